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
from typing import NamedTuple

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
    """Run a Core statement in the request's session and transaction; return its ``Rows``.

    For the statements built once at import, on the paths every silent sign-in,
    authorization and token request takes (bench/README.md, issue 12). SQLAlchemy compiles
    each one once per dialect and set of parameter names (``Prepared``); the SQL then runs on
    the driver's cursor of the session's own connection, so it commits and rolls back with
    the session. Left out is the execution context and result object SQLAlchemy builds
    around every statement (about 35 µs a statement here, a tenth of an authorization);
    kept are its events (bench/profile and the tests count statements by them) and its
    errors: a driver error is handed to SQLAlchemy's own handler, which raises the
    ``DBAPIError`` ``exec_driver_sql`` would, and invalidates a connection found dead (an
    outage is still recognised as one, app/health.py).
    """
    parameters = parameters or {}
    connection = db.session.connection()
    prepared = _prepared(statement, connection.dialect, frozenset(parameters))
    arguments = prepared.arguments(parameters)
    dispatch, cursor = connection.dispatch, None
    try:
        cursor = connection.connection.cursor()
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, prepared.sql, arguments, None,
                                           False)
        cursor.execute(prepared.sql, arguments)
        rows = Rows(cursor.fetchall() if cursor.description else [], cursor.rowcount)
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, prepared.sql, arguments, None,
                                          False)
    except connection.dialect.loaded_dbapi.Error as error:
        # The method exec_driver_sql calls: the same exception, the same invalidation.
        connection._handle_dbapi_exception(error, prepared.sql, arguments, cursor, None)
    cursor.close()
    return rows


class Rows(NamedTuple):
    """What a statement of ``execute`` returned: the driver's rows (tuples) and its count."""

    rows: list
    rowcount: int  # of rows an UPDATE or DELETE changed

    def first(self):
        """Return the first row, or None if there is none."""
        return self.rows[0] if self.rows else None

    def all(self):
        """Return every row."""
        return self.rows


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
