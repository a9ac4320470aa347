"""Gunicorn's settings for Passage (README.md, "Deploying on PostgreSQL with gunicorn";
docs/architecture.md, "Serving"). Gunicorn reads this file by itself when started from the
project's folder; elsewhere, pass it with ``-c``. The command line may add to it (``--workers``,
``--bind``).

The app is built once, in the master process, before the workers are forked (``preload``),
and everything it built then — modules, the app, templates, catalogues, SQLAlchemy's mappers,
some hundreds of thousands of objects that live as long as the process — is frozen out of the
garbage collector's sight. Without that, each worker's full collection walks them all again
(92–118 ms pauses about every 50 requests, measured on issue 14), and touching their headers
copies the pages the workers would otherwise share with the master.
"""

import gc

wsgi_app = "wsgi:create_app()"
preload_app = True


def pre_fork(server, worker):
    """In the master, before each worker is forked: what the master holds is collected once
    and moved to the permanent generation, which collections never walk."""
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """In the new worker: a pool of database connections of its own. The master opens
    none (``create_app`` connects lazily), but a connection it ever opened would otherwise
    be shared by every worker, their conversations mixed on one socket."""
    app = worker.app.wsgi()  # built by the master already (preload): no second build
    # Gunicorn reads this file for any app started here (bench/bare_app.py among them).
    engine = getattr(app, "extensions", {}).get("passage.engine")
    if engine is not None:
        engine.dispose(close=False)
