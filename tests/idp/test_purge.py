"""``flask lxl purge``: dead rows go, anything that may still be used or checked stays."""

import json
import secrets

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text

from app.extensions import db
from app.idp import clients, prompt_cooldowns, purge as purge_module, tokens
from app.idp.accounts import EXPIRED_NOTICE_SECONDS
from app.idp.models import (
    AuthorizationCode, BrowserSession, PromptCooldown, Token, TokenFamily, User, epoch)
from tests.helpers import IDP, NGO, csrf_token, get_tokens, sign_in

LONG_AGO = 10 * 24 * 3600


def purge(app):
    result = app.test_cli_runner().invoke(args=["lxl", "purge"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def count(app, model):
    with app.app_context():
        return db.session.query(model).count()


def age(app, model, seconds, **columns):
    """Move every row of ``model`` ``seconds`` into the past (the given time columns)."""
    with app.app_context():
        db.session.execute(db.update(model).values(
            {name: getattr(model, name) - seconds for name in columns}))
        db.session.commit()


def sign_out(http):
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})


def test_nothing_alive_is_purged(app, http):
    get_tokens(http)
    assert purge(app) == {"tokens": 0, "authorization_codes": 0, "token_families": 0,
                          "browser_sessions": 0, "prompt_cooldowns": 0, "sessions": 0}
    assert count(app, Token) == 1 and count(app, BrowserSession) == 1


def test_a_signed_out_sessions_tokens_codes_and_row_are_purged_once(app, http):
    get_tokens(http)
    sign_out(http)
    age(app, Token, LONG_AGO, issued_at=True)
    age(app, AuthorizationCode, LONG_AGO, created_at=True)
    assert purge(app) == {"tokens": 1, "authorization_codes": 1, "token_families": 1,
                          "browser_sessions": 1, "prompt_cooldowns": 0, "sessions": 0}
    assert purge(app) == {"tokens": 0, "authorization_codes": 0, "token_families": 0,
                          "browser_sessions": 0, "prompt_cooldowns": 0, "sessions": 0}


def test_a_used_code_stays_while_its_tokens_live(app, http):
    get_tokens(http)
    age(app, AuthorizationCode, LONG_AGO, created_at=True)
    assert purge(app)["authorization_codes"] == 0  # a replay of it must still revoke them
    assert count(app, AuthorizationCode) == 1


def test_an_unused_expired_code_goes(app, http):
    sign_in(http)
    with app.app_context():
        user_id = db.session.scalar(db.select(BrowserSession.user_id))
        family = TokenFamily()
        db.session.add(family)
        db.session.flush()
        db.session.add(AuthorizationCode(code="c", client_id="ngo-demo", redirect_uri=NGO,
                                         scope="openid", user_id=user_id, family=family.id,
                                         created_at=epoch() - LONG_AGO))
        db.session.commit()
    purged = purge(app)
    assert purged["authorization_codes"] == 1 and purged["token_families"] == 1


def test_a_revoked_familys_tokens_go_though_their_rows_look_alive(app, http):
    get_tokens(http)
    with app.app_context():
        tokens.revoke_family(db.session.scalar(db.select(Token.family)))
    purged = purge(app)
    assert purged["tokens"] == 1 and purged["token_families"] == 0  # its code still refers
    with app.app_context():
        db.session.execute(db.update(AuthorizationCode).values(created_at=epoch() - LONG_AGO))
        db.session.commit()
    assert purge(app)["token_families"] == 1


def test_a_family_with_one_usable_token_is_kept_whole(app, http):
    get_tokens(http)
    with app.app_context():
        family = db.session.scalar(db.select(Token.family))
        db.session.add(Token(client_id="ngo-demo", token_type="Bearer", access_token="a2",
                             refresh_token="r2", scope="openid", issued_at=epoch(),
                             expires_in=3600, user_id=1, family=family,
                             access_token_revoked_at=epoch(), refresh_token_revoked_at=epoch()))
        db.session.commit()
    age(app, Token, LONG_AGO, issued_at=True)  # access tokens expired, first refresh live
    assert purge(app)["tokens"] == 0 and count(app, Token) == 2


def test_offline_tokens_outlive_their_session_and_keep_it(app, http):
    with app.app_context():
        client, secret = clients.register("Back end", [f"{NGO}/cb"], [NGO], confidential=True)
        client_id = client.client_id
    get_tokens(http, client_id=client_id, redirect_uri=f"{NGO}/cb",
               scope="openid offline_access", secret=secret)
    sign_out(http)
    age(app, Token, LONG_AGO, issued_at=True)
    assert purge(app)["tokens"] == 0 and count(app, Token) == 1
    assert count(app, BrowserSession) == 1  # still referenced


@pytest.mark.parametrize("expired_for, purged", [(EXPIRED_NOTICE_SECONDS - 60, 0),
                                                 (EXPIRED_NOTICE_SECONDS + 60, 1)])
def test_an_expired_session_stays_a_week_for_the_session_expired_notice(app, http, expired_for,
                                                                        purged):
    sign_in(http)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(expires_at=epoch() - expired_for))
        db.session.commit()
    assert purge(app)["browser_sessions"] == purged


def test_revoked_session_bound_tokens_of_a_live_session_go(app, http):
    get_tokens(http)
    with app.app_context():
        tokens.revoke_all_of(db.session.scalar(db.select(Token)).user)
    age(app, Token, LONG_AGO, issued_at=True)
    assert purge(app)["tokens"] == 1 and count(app, BrowserSession) == 1


@pytest.mark.parametrize("ended_ago, purged", [
    (-60, 0),  # still quiet
    (prompt_cooldowns.FORGET_AFTER_SECONDS - 60, 0),
    (prompt_cooldowns.FORGET_AFTER_SECONDS + 60, 1),
])
def test_a_cards_cooldown_goes_90_days_after_its_quiet_ended(app, ended_ago, purged):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        db.session.add(PromptCooldown(user_id=ada.id, client_id="ngo-demo", dismissals=4,
                                      quiet_until=epoch() - ended_ago))
        db.session.commit()
    assert purge(app)["prompt_cooldowns"] == purged
    assert count(app, PromptCooldown) == 1 - purged


# --- PostgreSQL: one purge at a time ---------------------------------------------------------

# The machine's PostgreSQL (trust authentication); each test makes its own database there.
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url():
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        pytest.skip("needs PostgreSQL at 127.0.0.1:5432 (database test, user postgres, trust "
                    "authentication), which is not reachable")
    name = f"lxl_purge_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


# The state of the session holding the purge's advisory lock (its 64-bit key is split into
# classid and objid), as another session sees it.
LOCK_HOLDER_STATE = text("""
    SELECT activity.state FROM pg_locks AS lock
    JOIN pg_stat_activity AS activity ON activity.pid = lock.pid
    WHERE lock.locktype = 'advisory' AND lock.granted
      AND lock.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND (lock.classid::bigint << 32 | lock.objid::bigint) = :key""")


def test_a_second_purge_on_postgresql_does_nothing_and_exits_0(make_app, postgres_url,
                                                               monkeypatch):
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_url)
    purge_rows = purge_module._purge
    during_the_first = {}

    def purge_while_another_starts(now, session):
        during_the_first["second"] = app.test_cli_runner().invoke(args=["lxl", "purge"])
        during_the_first["lock_holder"] = session.execute(
            LOCK_HOLDER_STATE, {"key": purge_module.PURGE_LOCK}).scalars().all()
        return purge_rows(now, session)

    monkeypatch.setattr(purge_module, "_purge", purge_while_another_starts)
    assert purge(app)["tokens"] == 0
    second = during_the_first["second"]
    assert second.exit_code == 0
    assert second.output.startswith("Another purge is running on this database")
    # The lock's connection waits in no transaction while the purge works.
    assert during_the_first["lock_holder"] == ["idle"]
    monkeypatch.undo()
    assert purge(app)["tokens"] == 0  # the lock was released
