"""The baseline of the submission benchmark (bench/submission_ratio.py): a bare Flask app
that stores the JSON body of each POST in one row through SQLAlchemy, on the same kind of
database and with the same SQLite settings as Passage, and nothing else.

Served by gunicorn as ``bench.bare_app:create_app()``; ``BARE_DATABASE_URL`` names the
database (the table is made at start).
"""

from __future__ import annotations

import json
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

from core import db

METADATA = sa.MetaData()
ITEMS = sa.Table(
    "items",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)


def create_app() -> Flask:
    """The baseline app: POST /items stores the body and answers its id."""
    app = Flask(__name__)
    engine = db.create_engine(os.environ["BARE_DATABASE_URL"])
    METADATA.create_all(engine)

    @app.post("/items")
    def store() -> Any:
        body = request.get_json()
        with engine.begin() as connection:
            row = connection.execute(
                ITEMS.insert().values(body=json.dumps(body)).returning(ITEMS.c.id)
            ).scalar_one()
        return jsonify({"id": row}), 201

    return app
