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

import functools

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

    For the statements built once at import, on the paths every silent sign-in,
    authorization and token request takes (bench/README.md, issue 12). SQLAlchemy compiles
    each one once per dialect and set of parameter names (``Prepared``), and the SQL runs
    with ``exec_driver_sql`` on the session's own connection: it commits and rolls back with
    the session, its errors are SQLAlchemy's (an outage is still recognised as one,
    app/health.py), and its events fire (bench/profile counts statements by them). What is
    left out is the work ``Connection.execute`` repeats for every execution of a compiled
    statement: 24–39 µs a statement before, 15–17 µs now (a micro-benchmark on this machine).
    """
    parameters = parameters or {}
    connection = db.session.connection()
    prepared = _prepared(statement, connection.dialect, frozenset(parameters))
    return connection.exec_driver_sql(prepared.sql, prepared.arguments(parameters))


class Prepared:
    """A Core statement compiled for one dialect and one set of parameter names.

    ``arguments`` turns parameters by name into what the driver takes, as SQLAlchemy's own
    execution would: the statement's constant binds (a ``LIMIT``), the Python-side column
    defaults of an ``INSERT`` (``created_at``), each bind's type processing (a ``Boolean``),
    in the driver's parameter style.
    """

    def __init__(self, statement, dialect, names):
        compiled = statement.compile(dialect=dialect, column_keys=sorted(names))
        self.sql = compiled.string
        self._compiled = compiled
        self._defaults = [column for column in (*compiled.insert_prefetch,
                                                *compiled.update_prefetch)
                          if column.key not in names]
        self._processors = compiled._bind_processors
        self._order = compiled.positiontup if compiled.positional else None

    def arguments(self, parameters):
        """Return the driver's parameters for these parameters by name."""
        values = dict(parameters)
        for column in self._defaults:
            default = column.default
            values[column.key] = default.arg(None) if default.is_callable else default.arg
        values = self._compiled.construct_params(values)
        for name, process in self._processors.items():
            if name in values:
                values[name] = process(values[name])
        if self._order is None:
            return values
        return tuple(values[name] for name in self._order)


@functools.lru_cache(maxsize=256)
def _prepared(statement, dialect, names):
    # Keyed by the statement object itself: callers pass statements built once, at import.
    return Prepared(statement, dialect, names)
