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

And the threads of one process take turns to write (``WriterTurns``). SQLite's own wait is
a poll: a writer that finds the database locked sleeps 1, 2, 5 … 100 ms before it tries again,
so with many threads writing (the token endpoint under load) the lock sat free while the
next writer slept, and the slowest answers waited far longer than the writes before them
took (bench/README.md). Queued on a lock of the process instead, the next writer starts the
moment the last one is done; only writers of different processes still meet in SQLite's poll.
"""

import threading

from sqlalchemy import event

from .extensions import db

BUSY_TIMEOUT_MS = 5000
WRITER_TURNS = "lxl.writer_turns"  # app.extensions: each SQLite engine's, by bind (None)


def _configure_sqlite(connection, _record):
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # persistent in the file; a no-op in memory
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


class WriterTurns:
    """The threads of one process write to one SQLite engine in turn, queued on a lock.

    A connection takes the turn before its transaction's first ``INSERT``, ``UPDATE`` or
    ``DELETE`` (where the SQLite driver begins the write transaction) and gives it back when
    it returns to the pool, after its commit or rollback: a request's session hands its
    connection back at each commit. It waits at most the busy timeout for its turn, and then
    writes anyway: SQLite's own lock still decides, so a thread that holds the turn while it
    waits for another request of this process (the NGO site calling the IdP) delays writers,
    never deadlocks them.
    """

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")  # REPLACE, cut to the same length
    HELD = "lxl_writer_turn"  # in the connection's info once it asked: True if it got it

    def __init__(self, engine):
        self.lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self.before_statement)
        event.listen(engine, "checkin", self.returned_to_pool)

    def before_statement(self, connection, _cursor, statement, *_args):
        info = connection.info  # the pooled connection's: kept until it is checked in
        if self.HELD not in info and statement.lstrip()[:6].upper() in self.WRITES:
            info[self.HELD] = self.lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)

    def returned_to_pool(self, _dbapi_connection, record):
        if record.info.pop(self.HELD, False):
            self.lock.release()


def init_app(app):
    """Configure every connection of the app's SQLite engines as the module docstring says."""
    with app.app_context():
        for bind, engine in db.engines.items():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _configure_sqlite)
                app.extensions.setdefault(WRITER_TURNS, {})[bind] = WriterTurns(engine)


def execute(statement, parameters=None):
    """Run a Core statement (rows, no ORM objects) in the request's session and transaction.

    What ``db.session.execute`` does for such a statement, without the ORM's execution layer
    around it: 35–55 µs less per statement on this machine (bench/README.md), on the paths
    every silent sign-in, authorization and token request takes. It commits and rolls back
    with the session, on the session's own connection.
    """
    return db.session.connection().execute(statement, parameters)
