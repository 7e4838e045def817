"""The IdP's data (app/idp/models.py)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, event
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.idp import tokens
from app.idp.models import CODE_LIFETIME_SECONDS, AuthorizationCode, PromptCooldown, User, epoch


def test_every_time_the_idp_stores_is_epoch_seconds(app):
    # One clock (models.epoch), as JWT claims count time: no datetime beside integers.
    # Flask-Session's own table keeps its library's datetime expiry.
    idp_tables = [table for name, table in db.metadata.tables.items() if name != "sessions"]
    datetimes = [f"{table.name}.{column.name}" for table in idp_tables
                 for column in table.columns if isinstance(column.type, DateTime)]
    assert datetimes == []


def test_the_migrations_build_exactly_the_models_tables(app):
    """Each model change comes with its migration (the One-Tap card's cooldowns included)."""
    def include_object(obj, name, type_, reflected, compare_to):
        return not (type_ == "table" and name == "sessions")  # Flask-Session's own, as env.py

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, db.metadata) == []


def test_one_cooldown_per_user_and_client(app):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        db.session.add(PromptCooldown(user_id=ada.id, client_id="ngo-demo", quiet_until=1))
        db.session.commit()
        db.session.add(PromptCooldown(user_id=ada.id, client_id="ngo-demo", quiet_until=2))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_revoking_a_users_or_a_sessions_tokens_reads_no_whole_table(app):
    # A password change and a sign-out touch a few of a million tokens (bench/growth).
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        ada = User.by_email("ada@example.org")
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            tokens.revoke_all_of(ada)
            tokens.revoke_session_bound([1, 2])
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        updates = [(sql, p) for sql, p in statements if sql.startswith("UPDATE")]
        connection = db.session.connection()
        plans = {sql: [detail for *_, detail in
                       connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
                 for sql, parameters in updates}
    token_plans = [detail for sql, details in plans.items() if sql.startswith("UPDATE tokens")
                   for detail in details]
    assert len(token_plans) == 2
    assert all(detail.startswith("SEARCH tokens USING INDEX") for detail in token_plans), plans
    # The families of the user's codes and tokens too (codes by user_id, families by id).
    scans = [detail for details in plans.values() for detail in details
             if detail.startswith("SCAN")]
    assert not scans, plans


def test_a_code_row_follows_the_apps_rules_not_authlibs_defaults():
    # Authlib's mixin would expire it 300 s after the sign-in and always give auth_time.
    now = epoch()
    code = AuthorizationCode(created_at=now, auth_time=now - 3600, max_age_requested=False)
    assert not code.is_expired() and code.get_auth_time() is None
    code = AuthorizationCode(created_at=now - CODE_LIFETIME_SECONDS - 1, auth_time=now - 3600,
                             max_age_requested=True)
    assert code.is_expired() and code.get_auth_time() == now - 3600
