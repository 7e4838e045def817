"""The query plans of what a request asks the database (bench/growth).

``capture`` records every statement the app sends while a block runs (a SQLAlchemy
``before_cursor_execute`` event on the app's engine); ``explain`` asks the database how it
would run each one — SQLite's ``EXPLAIN QUERY PLAN``, PostgreSQL's ``EXPLAIN`` — with the
very parameters the app sent, without running it; ``full_scans`` names the steps that read
a whole table. On PostgreSQL a ``Seq Scan`` of a table that grows with users is explained
again with sequential scans disabled: if an index then serves it, the table was merely
small.
"""

import contextlib
import re

from sqlalchemy import event

# Tables with a row (or more) per user: a scan of one of these grows with the population.
GROWING = {"users", "browser_sessions", "consents", "token_families", "tokens",
           "authorization_codes", "auto_select_opt_outs", "prompt_cooldowns", "sessions",
           "pending_signups", "outbox_messages"}
EXPLAINED = ("SELECT", "UPDATE", "DELETE")
# SQLite: ``SCAN t`` reads the whole table, ``SCAN t USING [COVERING] INDEX i`` the whole
# index; ``SEARCH`` is a lookup. PostgreSQL: a ``Seq Scan``, or an index scan with no
# ``Index Cond`` (the whole index, in its order).
SQLITE_SCAN = re.compile(r"^SCAN (\w+)")
POSTGRES_SEQ_SCAN = re.compile(r"\bSeq Scan on (\w+)")
POSTGRES_INDEX_SCAN = re.compile(r"\bIndex (?:Only )?Scan(?: Backward)? using \S+ on (\w+)")


@contextlib.contextmanager
def capture(engine):
    """Yield a list that fills with ``(statement, parameters)`` of every single execution."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(EXPLAINED) and not executemany:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(connection, kind, statement, parameters):
    """Return the plan of one statement as lines of text (indented as the database nests it)."""
    if kind == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        depth, lines = {0: -1}, []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return lines
    return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]


def explain_without_seq_scans(connection, statement, parameters):
    """Return PostgreSQL's plan with sequential scans disabled (``enable_seqscan = off``).

    On a small table the planner rightly prefers to read it whole; this shows whether an
    index would serve the lookup once the table is large.
    """
    connection.exec_driver_sql("SET enable_seqscan = off")
    try:
        return explain(connection, "postgres", statement, parameters)
    finally:
        connection.exec_driver_sql("RESET enable_seqscan")


def full_scans(kind, lines):
    """Return the tables a plan reads whole: ``[(table, grows with the population)]``."""
    found = []
    for i, line in enumerate(lines):
        if kind == "sqlite":
            match = SQLITE_SCAN.search(line.strip())
        elif not (match := POSTGRES_SEQ_SCAN.search(line)):
            match = POSTGRES_INDEX_SCAN.search(line)
            if match and _has_index_condition(lines[i + 1:]):
                match = None
        if match:
            found.append((match.group(1), match.group(1) in GROWING))
    return found


def _has_index_condition(rest):
    """True if the PostgreSQL plan node whose details are ``rest`` has an ``Index Cond``."""
    for line in rest:
        if "->" in line:
            return False  # the next node
        if "Index Cond:" in line:
            return True
    return False


def unique(statements):
    """Return each distinct statement once, with the parameters of its first execution."""
    seen = {}
    for statement, parameters in statements:
        seen.setdefault(statement, parameters)
    return list(seen.items())


def one_line(statement, width=150):
    """Return ``statement`` on one line, shortened to ``width`` characters."""
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"
