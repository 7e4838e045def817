"""Sessions: anonymous visitors cost no stored row; a signed-in browser's session is stored.

Every test runs on both Flask-Session backends: the ``sessions`` table and Redis (skipped
when no Redis answers on 127.0.0.1:6379).
"""

import secrets
from datetime import datetime, timedelta, timezone

import pytest
import redis

from app.idp import demo
from app.idp.models import BrowserSession
from tests.helpers import IDP, NGO, csrf_token, sign_in

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["sqlalchemy", "redis"])
def app(request, make_app):
    """The conftest app, on each session backend in turn."""
    if request.param == "sqlalchemy":
        yield make_app()
        return
    client = redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"test-{secrets.token_hex(8)}:"
    yield make_app(SESSION_TYPE="redis", SESSION_REDIS=client, SESSION_KEY_PREFIX=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def stored_sessions(app):
    """Return the stored sessions: ``[(session id, expiry)]``, either backend."""
    interface = app.session_interface
    if app.config["SESSION_TYPE"] == "redis":
        client, prefix = app.config["SESSION_REDIS"], interface.key_prefix
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        return [(key.decode()[len(prefix):], now + timedelta(seconds=client.ttl(key)))
                for key in client.scan_iter(f"{prefix}*")]
    with app.app_context():
        model = interface.sql_session_model
        rows = interface.client.session.execute(
            interface.client.select(model.session_id, model.expiry)).all()
        return [(sid[len(interface.key_prefix):], expiry) for sid, expiry in rows]


@pytest.fixture
def discovery(http, monkeypatch):
    """The NGO backend fetches discovery over HTTP; hand it the same document directly."""
    from app.ngo.oidc_client import _IdpApp

    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    monkeypatch.setattr(_IdpApp, "load_server_metadata",
                        lambda self: self.server_metadata.update(metadata) or metadata)


@pytest.mark.parametrize("url", [f"{IDP}/signin", f"{IDP}/signup", f"{IDP}/oidc/logout",
                                 f"{NGO}/login"])
def test_anonymous_pages_store_no_session(app, http, discovery, url):
    for _ in range(3):
        response = app.test_client().get(url)
        assert response.status_code in (200, 302)
        assert "csrf_token" in response.text or response.status_code == 302
    assert stored_sessions(app) == []


def test_an_anonymous_form_still_needs_its_csrf_token(app, http):
    page = http.get(f"{IDP}/signin")
    form = {"csrf_token": csrf_token(page.text), "email": "ada@example.org",
            "password": demo.DEMO_PASSWORD}
    stranger = app.test_client()  # another browser: the token is not bound to its cookie
    assert stranger.post(f"{IDP}/signin", data=form).status_code == 400
    assert http.post(f"{IDP}/signin", data=form).status_code == 302


def test_a_forged_anonymous_cookie_is_ignored(app, http):
    page = http.get(f"{IDP}/signin")
    value = http.get_cookie("lxl_session", domain="id.localhost").value
    http.set_cookie("lxl_session", value[:-2] + "xx", domain="id.localhost")
    form = {"csrf_token": csrf_token(page.text), "email": "ada@example.org",
            "password": demo.DEMO_PASSWORD}
    assert http.post(f"{IDP}/signin", data=form).status_code == 400


def test_the_ngo_keeps_its_oauth_state_in_the_anonymous_cookie(app, http, discovery):
    location = http.get(f"{NGO}/login").headers["Location"]
    state = dict(p.split("=", 1) for p in location.split("?", 1)[1].split("&"))["state"]
    with http.session_transaction(f"{NGO}/") as session:
        assert f"_state_lxl_{state}" in session
    assert stored_sessions(app) == []


def test_signing_in_stores_the_session_and_signing_out_deletes_it(app, http):
    sign_in(http)
    sid = http.get_cookie("lxl_session", domain="id.localhost").value
    assert [s for s, _ in stored_sessions(app)] == [sid]
    page = http.get(f"{IDP}/account")
    assert page.status_code == 200
    http.post(f"{IDP}/signout", data={"csrf_token": csrf_token(page.text)})
    assert stored_sessions(app) == []
    assert http.get(f"{IDP}/account").status_code == 302


@pytest.mark.parametrize("remember, lifetime", [(True, timedelta(days=30)),
                                                (False, timedelta(hours=12))])
def test_a_session_lives_on_the_server_as_long_as_stay_signed_in_says(app, http, remember,
                                                                      lifetime):
    sign_in(http, remember=remember)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    [(_, expiry)] = stored_sessions(app)
    assert abs(expiry - (now + lifetime)) < timedelta(minutes=1)
    with app.app_context():
        [browser_session] = BrowserSession.query.all()
        expires = datetime.fromtimestamp(browser_session.expires_at, timezone.utc)
    assert abs(expires - (datetime.now(timezone.utc) + lifetime)) < timedelta(minutes=1)


def test_purge_deletes_expired_stored_sessions(app, http):
    sign_in(http, remember=False)
    assert len(stored_sessions(app)) == 1
    result = app.test_cli_runner().invoke(args=["lxl", "purge"])
    assert result.exit_code == 0 and len(stored_sessions(app)) == 1  # not expired yet
    if app.config["SESSION_TYPE"] != "redis":  # Redis expires its keys itself
        with app.app_context():
            model = app.session_interface.sql_session_model
            app.session_interface.client.session.execute(
                app.session_interface.client.update(model).values(
                    expiry=datetime(2000, 1, 1)))
            app.session_interface.client.session.commit()
        result = app.test_cli_runner().invoke(args=["lxl", "purge"])
        assert '"sessions": 1' in result.output and stored_sessions(app) == []
