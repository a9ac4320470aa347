"""Composition root: ``create_app(config=None)`` builds Passage from its packages.

Run it with ``flask --app wsgi run`` in development or ``gunicorn 'wsgi:create_app()'`` in
production. Nothing is built when this module is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import SQLAlchemyError

from access import (
    admin_views,
    approval_views,
    audit_sealer,
    audit_views,
    authn,
    guard,
    policy,
    sessions,
)
from access import api as access_api
from access import views as access_views
from access.cli import audit_cli, demo_cli, demo_data, tokens_cli, users_cli
from access.forms import ROLE_LABELS
from access.recovery_cli import backup_cli, keys_cli
from access.services import user_disabled, user_moved
from core import cli as core_cli
from core import (
    clock,
    db,
    errors,
    i18n,
    keys,
    logs,
    mail,
    ratelimit,
    settings,
    static_files,
    web,
)
from core.api import openapi_document
from core.clock import Clock
from referral import admin_views as partners_admin
from referral import api as referral_api
from referral import (
    case_status,
    case_work_views,
    cases,
    correction_views,
    handover,
    handover_views,
    inbox_views,
    outbox_views,
    steps,
    task_views,
)
from referral import views as referral_views
from referral.cli import load_demo_directory, notices_cli, partners_cli, referrals_cli
from referral.demo_cases import load_demo_cases
from referral.task_cli import tasks_cli
from reporting import api as reporting_api
from reporting import charts, facts, service_facts
from reporting import views as reporting_views
from reporting.cli import reports_cli
from reporting.demo import load_demo_facts
from screening import api as screening_api
from screening import instrument_files, protocols, retention
from screening import services as screenings
from screening import views as screening_views
from screening.cli import retention_cli

PROJECT_ROOT = Path(__file__).resolve().parent
API_BLUEPRINTS = (access_api.bp, screening_api.bp, referral_api.bp, reporting_api.bp)
API_SPECS = (access_api.spec, screening_api.spec, referral_api.spec, reporting_api.spec)


def create_app(config: dict[str, Any] | None = None, clock_: Clock | None = None) -> Flask:
    """Build the Passage application; ``config`` overrides every other configuration source."""
    app = Flask(
        __name__,
        root_path=str(PROJECT_ROOT),
        static_folder=None,  # core.static_files serves it, under fingerprinted names
        instance_path=_instance_path(config),
        instance_relative_config=True,
    )
    settings.load(app, config)
    logs.init_app(app)
    clock.init_app(app, clock_)
    keys.init_app(app)
    instrument_files.init_app(app)
    protocols.init_app(app)
    db.init_app(app)
    audit_sealer.init_app(app)
    web.init_app(app)
    static_files.init_app(app, PROJECT_ROOT / "static")
    errors.init_app(app)
    sessions.init_app(app)
    authn.init_app(app)
    i18n.init_app(app)
    charts.register(app)
    # The limits count every request of an address, refused or not, so they come before the
    # guard: a flood of unsigned, mistyped or forbidden calls is limited too (R59).
    ratelimit.init_app(app)
    guard.init_app(app)
    csrf = CSRFProtect(app)
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)  # bearer tokens only; browsers' cookies never reach the API
    facts.init_app(app)
    mail.init_app(app)
    _attach_hooks(app)
    _register_blueprints(app)
    _register_commands(app)
    app.extensions["passage.openapi"] = openapi_document(API_SPECS, "Passage", "1")
    app.jinja_env.globals.update(can=_can, role_labels=ROLE_LABELS)
    if settings.of(app).env == "testing":
        _register_test_routes(app)
    return app


def _attach_hooks(app: Flask) -> None:
    # Every place a lower package reaches an upper one (core/hooks.py): a port answers the
    # caller and must have its one receiver; an event calls its receivers in this order.
    ratelimit.breached.attach(app, guard.audit_rate_limited)
    user_disabled.attach(app, handover.on_user_disabled)
    user_moved.attach(app, handover.on_user_moved)
    demo_data.attach(app, load_demo_directory)
    demo_data.attach(app, load_demo_facts)
    demo_data.attach(app, load_demo_cases)
    screenings.open_case.attach(app, cases.on_completed)
    screenings.find_case.attach(app, cases.on_case_wanted)
    screenings.completed_event.attach(app, facts.on_completed)
    screenings.completed_event.attach(app, service_facts.on_completed)
    screenings.counted_without_record.attach(app, facts.on_counted_without_record)
    retention.shredding.attach(app, case_status.on_shredding)
    steps.referral_event.attach(app, service_facts.on_referral_event)


def _instance_path(config: dict[str, Any] | None) -> str:
    path = (config or {}).get("INSTANCE_PATH") or os.environ.get("PASSAGE_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else str(PROJECT_ROOT / "instance")


def _register_blueprints(app: Flask) -> None:
    for blueprint in (
        access_views.bp,
        admin_views.bp,
        approval_views.bp,
        audit_views.bp,
        screening_views.bp,
        referral_views.bp,
        case_work_views.bp,
        correction_views.bp,
        handover_views.bp,
        task_views.bp,
        inbox_views.bp,
        partners_admin.bp,
        outbox_views.bp,
        reporting_views.bp,
        *API_BLUEPRINTS,
    ):
        app.register_blueprint(blueprint)
    app.add_url_rule("/healthz", "healthz", healthz)


def _register_commands(app: Flask) -> None:
    core_cli.init_app(app)
    for group in (
        users_cli,
        tokens_cli,
        audit_cli,
        keys_cli,
        backup_cli,
        retention_cli,
        partners_cli,
        referrals_cli,
        tasks_cli,
        notices_cli,
        reports_cli,
        demo_cli,
    ):
        app.cli.add_command(group)


def _can(action: str, obj: Any = None) -> bool:
    # Templates ask the policy the services enforce: a button shown is a request allowed.
    return policy.authorize(current_user, action, obj)


@guard.public
def healthz() -> Any:
    """``200 {"status": "ok"}`` when the database answers, else 503."""
    try:
        db.session().execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


def _register_test_routes(app: Flask) -> None:
    # Exists only under ENV=testing: proves a crash shows a generic page and that the log
    # keeps the exception's message (which may quote a person's data) out.
    @guard.public
    def boom() -> Any:
        value = "-".join(("canary", "secret", "in", "exception"))
        raise RuntimeError(f"{value} Traceback")

    app.add_url_rule("/_test/boom", "test_boom", boom)
