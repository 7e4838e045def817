"""Refresh tokens: rotation, reuse detection, grace window, session binding, offline_access.

RFC 6749 §6, RFC 9700 §4.14.2, OpenID Connect Core §11.
"""

import pytest

from app.extensions import db
from app.idp import clients, tokens
from app.idp.models import BrowserSession, Token, epoch
from tests.helpers import (
    CLIENT_ID, IDP, PASSWORD, LiveServer, all_at_once, csrf_token, get_tokens, refresh, sign_in,
    userinfo)

OTHER_ORIGIN = "http://other.localhost:5000"
OTHER_REDIRECT_URI = f"{OTHER_ORIGIN}/cb"


@pytest.fixture
def no_grace(app):
    """Make every second use of a refresh token a replay."""
    app.config["LXL_REFRESH_GRACE_SECONDS"] = 0


@pytest.fixture
def confidential(app):
    """A confidential client: ``(client_id, secret)``."""
    with app.app_context():
        client, secret = clients.register("Back-end NGO", [OTHER_REDIRECT_URI], [OTHER_ORIGIN],
                                          confidential=True)
        return client.client_id, secret


def confidential_tokens(http, confidential, scope):
    client_id, secret = confidential
    response = get_tokens(http, client_id=client_id, redirect_uri=OTHER_REDIRECT_URI,
                          scope=scope, secret=secret)
    assert response.status_code == 200, response.json
    return response.json


def token_row(app, refresh_token):
    with app.app_context():
        return db.session.scalar(db.select(Token).filter_by(refresh_token=refresh_token))


def set_used_at(app, refresh_token, used_at):
    """Mark a refresh token used behind the app's back, as another instance would."""
    with app.app_context():
        db.session.execute(db.update(Token).filter_by(refresh_token=refresh_token)
                           .values(refresh_token_used_at=used_at))
        db.session.commit()


def sign_out(http):
    page = http.get(f"{IDP}/account")
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})


def change_password(http):
    page = http.get(f"{IDP}/account")
    response = http.post(f"{IDP}/account/password", data={
        "csrf_token": csrf_token(page.text), "current_password": PASSWORD,
        "new_password": "an-even-better-password"})
    assert response.status_code == 302


def assert_refused(response):
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"


# --- rotation and reuse detection ---------------------------------------------------------

def test_each_refresh_rotates_and_the_used_token_is_refused(http, no_grace):
    issued = get_tokens(http).json
    seen = {issued["refresh_token"]}
    current = issued["refresh_token"]
    for _ in range(3):
        response = refresh(http, current)
        assert response.status_code == 200, response.json
        assert response.headers["Cache-Control"] == "no-store"
        assert userinfo(http, response.json["access_token"]).status_code == 200
        current = response.json["refresh_token"]
        assert current not in seen, "a new refresh token every time"
        seen.add(current)
    assert_refused(refresh(http, issued["refresh_token"]))


def test_reuse_after_the_grace_window_revokes_the_whole_family(app, http, no_grace):
    first = get_tokens(http).json
    second = refresh(http, first["refresh_token"]).json
    newest = refresh(http, second["refresh_token"]).json
    assert userinfo(http, newest["access_token"]).status_code == 200

    replay = refresh(http, first["refresh_token"])
    assert_refused(replay)
    assert "refresh_token" in replay.json["error_description"]
    assert userinfo(http, newest["access_token"]).status_code == 401
    assert_refused(refresh(http, newest["refresh_token"]))
    assert token_row(app, newest["refresh_token"]).family == \
        token_row(app, first["refresh_token"]).family


def test_two_tabs_refreshing_at_once_both_succeed_in_one_family(app, http):
    issued = get_tokens(http).json
    tab_a = refresh(http, issued["refresh_token"])
    tab_b = refresh(http, issued["refresh_token"])
    assert tab_a.status_code == tab_b.status_code == 200, tab_b.json
    assert tab_a.json["refresh_token"] != tab_b.json["refresh_token"]
    for tab in (tab_a, tab_b):
        assert userinfo(http, tab.json["access_token"]).status_code == 200
        assert refresh(http, tab.json["refresh_token"]).status_code == 200
    family = {token_row(app, t.json["refresh_token"]).family for t in (tab_a, tab_b)}
    assert family == {token_row(app, issued["refresh_token"]).family}


CONCURRENT_REFRESHES = 8


def test_a_replay_revokes_tokens_issued_by_refreshes_racing_it(app, http):
    """Tokens saved after their family was revoked never work (RFC 9700 §4.14.2).

    The replay of a rotated token races refreshes of its successor that passed their checks
    before the family was revoked and save their new tokens after it.
    """
    first = get_tokens(http).json
    second = refresh(http, first["refresh_token"]).json
    set_used_at(app, first["refresh_token"], epoch() - app.config["LXL_REFRESH_GRACE_SECONDS"] - 1)

    def exchange(refresh_token):
        return lambda: live.post("/oidc/token", {
            "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID})

    with LiveServer(app) as live:
        replay, *racers = all_at_once(exchange(first["refresh_token"]),
                                      *[exchange(second["refresh_token"])] * CONCURRENT_REFRESHES)
    assert replay[0] == 400 and replay[1]["error"] == "invalid_grant", replay
    issued = [body for status, body in racers if status == 200]
    assert all(status in (200, 400) for status, _ in racers), racers
    for body in [second, *issued]:
        assert userinfo(http, body["access_token"]).status_code == 401
        assert_refused(refresh(http, body["refresh_token"]))


def test_a_token_used_by_another_instance_is_refused_after_the_grace_window(app, http):
    issued = get_tokens(http).json
    grace = app.config["LXL_REFRESH_GRACE_SECONDS"]
    set_used_at(app, issued["refresh_token"], epoch() - grace - 1)
    assert_refused(refresh(http, issued["refresh_token"]))
    assert userinfo(http, issued["access_token"]).status_code == 401, "family revoked"


def test_a_token_used_by_another_instance_just_now_is_within_grace(app, http):
    issued = get_tokens(http).json
    set_used_at(app, issued["refresh_token"], epoch())
    assert refresh(http, issued["refresh_token"]).status_code == 200


def test_marking_used_succeeds_once(app, http):
    issued = get_tokens(http).json
    with app.app_context():
        token = db.session.scalar(db.select(Token).filter_by(
            refresh_token=issued["refresh_token"]))
        assert tokens.mark_refresh_token_used(token, grace_seconds=0)
        assert not tokens.mark_refresh_token_used(token, grace_seconds=0)


def test_another_client_cannot_use_or_burn_a_refresh_token(app, http, confidential):
    issued = get_tokens(http).json
    client_id, secret = confidential
    assert_refused(refresh(http, issued["refresh_token"], client_id=client_id, secret=secret))
    assert token_row(app, issued["refresh_token"]).refresh_token_used_at is None
    assert refresh(http, issued["refresh_token"]).status_code == 200


# --- session-bound tokens of public clients -----------------------------------------------

def test_sign_out_ends_the_sessions_refresh_tokens(http):
    issued = get_tokens(http).json
    sign_out(http)
    assert_refused(refresh(http, issued["refresh_token"]))
    assert userinfo(http, issued["access_token"]).status_code == 401


def test_sign_out_everywhere_ends_refresh_tokens_of_other_browsers(app, http):
    issued = get_tokens(http).json
    other = app.test_client()
    sign_in(other)
    page = other.get(f"{IDP}/account")
    other.post(f"{IDP}/account/signout-everywhere", data={"csrf_token": csrf_token(page.text)})
    assert_refused(refresh(http, issued["refresh_token"]))


def test_password_change_ends_refresh_tokens(http):
    issued = get_tokens(http).json
    change_password(http)
    assert_refused(refresh(http, issued["refresh_token"]))


def test_session_expiry_ends_refresh_tokens(app, http):
    issued = get_tokens(http).json
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(expires_at=epoch() - 1))
        db.session.commit()
    assert_refused(refresh(http, issued["refresh_token"]))


def test_a_public_client_never_gets_offline_tokens(app, http):
    issued = get_tokens(http, scope="openid offline_access").json
    row = token_row(app, issued["refresh_token"])
    assert not row.offline and row.browser_session_id is not None
    sign_out(http)
    assert_refused(refresh(http, issued["refresh_token"]))


# --- offline_access for confidential clients ----------------------------------------------

def test_offline_tokens_outlive_sign_out_but_not_a_password_change(app, http, confidential):
    issued = confidential_tokens(http, confidential, "openid offline_access")
    assert token_row(app, issued["refresh_token"]).offline
    client_id, secret = confidential
    sign_out(http)
    rotated = refresh(http, issued["refresh_token"], client_id=client_id, secret=secret)
    assert rotated.status_code == 200, rotated.json
    assert token_row(app, rotated.json["refresh_token"]).offline

    sign_in(http)
    change_password(http)
    assert_refused(refresh(http, rotated.json["refresh_token"], client_id=client_id,
                           secret=secret))


def test_confidential_tokens_without_offline_access_are_session_bound(app, http, confidential):
    issued = confidential_tokens(http, confidential, "openid")
    assert not token_row(app, issued["refresh_token"]).offline
    sign_out(http)
    client_id, secret = confidential
    assert_refused(refresh(http, issued["refresh_token"], client_id=client_id, secret=secret))
