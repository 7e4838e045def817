"""How the app talks to its database: SQLite settings for many concurrent requests.

SQLite is the one-machine default (``app/config.py``); production uses PostgreSQL, where
nothing here applies. Out of the box SQLite keeps a rollback journal: a writer waits until
no request is reading, every commit waits for the disk twice, and under load a write
transaction waits beyond its busy timeout and fails with ``database is locked`` (bench/README.md,
"Side by side with node-oidc-provider"). Every new connection therefore sets:

- ``journal_mode=WAL`` (https://www.sqlite.org/wal.html): readers never block the writer nor
  the writer them; writers still take turns, which keeps every write transaction short
  (a conditional ``UPDATE`` or an ``INSERT`` and its commit, nothing slow in between);
- ``synchronous=NORMAL``: in WAL mode a commit no longer waits for the disk; the database
  cannot be corrupted, but a power cut or an operating-system crash (not a crash of the
  app) may lose the last commits — codes and tokens a client then cannot redeem, and must
  ask for again;
- ``busy_timeout``: how long a writer waits for its turn before ``database is locked``.
"""

from sqlalchemy import event

from .extensions import db

BUSY_TIMEOUT_MS = 5000


def _configure_sqlite(connection, _record):
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # persistent in the file; a no-op in memory
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def init_app(app):
    """Configure every connection of the app's SQLite engines as the module docstring says."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _configure_sqlite)


def execute(statement, parameters=None):
    """Run a Core statement (rows, no ORM objects) in the request's session and transaction.

    What ``db.session.execute`` does for such a statement, without the ORM's execution layer
    around it: 35–55 µs less per statement on this machine (bench/README.md), on the paths
    every silent sign-in, authorization and token request takes. It commits and rolls back
    with the session, on the session's own connection.
    """
    return db.session.connection().execute(statement, parameters)
