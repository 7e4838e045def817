"""database.execute: hot statements compiled once, their parameters as SQLAlchemy would send them,
run on the driver's cursor with SQLAlchemy's errors and events."""

import sqlite3

import pytest
import sqlalchemy.exc
from sqlalchemy import bindparam, event
from sqlalchemy.dialects import postgresql, sqlite

from app import database
from app.extensions import db
from app.idp.models import AuthorizationCode, TokenFamily, epoch

_INSERT_CODE = db.insert(AuthorizationCode.__table__)
_NONCE_USED = db.select(AuthorizationCode.id).where(
    AuthorizationCode.nonce == bindparam("nonce")).limit(1)
CODE = dict(code="c", client_id="ngo-demo", family="f", redirect_uri="https://ngo.example/",
            response_type="code", scope="openid", nonce="n", user_id=7, auth_time=1,
            browser_session_id=None, code_challenge="x", code_challenge_method="S256",
            max_age_requested=True)


def test_an_insert_gets_its_python_defaults_and_its_types_processed_on_both_databases():
    # SQLite stores a Boolean as an integer; PostgreSQL takes it as it is.
    for dialect, stored_true in ((sqlite.dialect(), 1), (postgresql.psycopg.dialect(), True)):
        prepared = database.Prepared(_INSERT_CODE, dialect, frozenset(CODE))
        before = epoch()
        arguments = prepared.arguments(CODE)
        if dialect.positional:
            values = dict(zip(prepared._order, arguments))
            assert prepared.sql.count("?") == len(arguments)
        else:
            values = arguments
            assert all(f"%({name})s" in prepared.sql for name in values)
        assert before <= values["created_at"] <= epoch()  # the column's default, per call
        assert values["code"] == "c" and values["user_id"] == 7
        assert type(values["max_age_requested"]) is type(stored_true)  # Boolean's processing
        assert values["max_age_requested"] == stored_true


def test_a_select_keeps_its_constant_binds_in_the_drivers_order():
    prepared = database.Prepared(_NONCE_USED, sqlite.dialect(), frozenset({"nonce"}))
    assert prepared.sql.endswith("LIMIT ? OFFSET ?")
    assert prepared.arguments({"nonce": "n"}) == ("n", 1, 0)


def test_statements_run_in_the_requests_transaction_and_roll_back_with_it(app):
    with app.app_context():
        database.execute(db.insert(TokenFamily.__table__), {"id": "family-1"})
        assert database.execute(db.select(TokenFamily.id).where(
            TokenFamily.id == bindparam("id")), {"id": "family-1"}).first() == ("family-1",)
        db.session.rollback()
        assert db.session.get(TokenFamily, "family-1") is None


def test_a_drivers_error_is_sqlalchemys_and_the_session_goes_on_after_a_rollback(app):
    family = db.insert(TokenFamily.__table__)
    with app.app_context():
        database.execute(family, {"id": "family-1"})
        with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
            database.execute(family, {"id": "family-1"})
        assert isinstance(raised.value.orig, sqlite3.IntegrityError)
        assert "family-1" not in str(raised.value)  # hide_parameters, as for exec_driver_sql
        db.session.rollback()
        assert database.execute(family, {"id": "family-2"}).rowcount == 1


def test_a_connection_found_dead_is_invalidated_as_sqlalchemy_would(app):
    # app/health.py answers 503 for an error whose connection was invalidated.
    with app.app_context():
        db.session.connection().connection.dbapi_connection.close()
        with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
            database.execute(_NONCE_USED, {"nonce": "n"})
        assert raised.value.connection_invalidated
        db.session.rollback()
        assert database.execute(_NONCE_USED, {"nonce": "n"}).first() is None  # a new one


def test_statement_events_fire_with_what_the_driver_ran(app):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("before", statement, parameters))

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        try:
            database.execute(_NONCE_USED, {"nonce": "n"})
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
    sql = database.Prepared(_NONCE_USED, sqlite.dialect(), frozenset({"nonce"})).sql
    assert seen == [("before", sql, ("n", 1, 0)), ("after", sql, ("n", 1, 0))]
