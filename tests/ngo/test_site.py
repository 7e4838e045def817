"""The sample NGO site as a relying party (Authlib's client, unmodified)."""

import logging
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app.ngo.cookies import NONCE as NONCE_COOKIE
from tests.helpers import IDP, NGO


def test_home_page_names_the_site_and_offers_sign_in(http):
    page = http.get(f"{NGO}/")
    assert page.status_code == 200
    assert "Sample NGO" in page.text and "Sign in with LxL ID" in page.text


@pytest.fixture
def discovery(http, monkeypatch):
    """The backend fetches discovery over HTTP; hand it the same document directly."""
    from app.ngo.oidc_client import _IdpApp

    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    monkeypatch.setattr(_IdpApp, "load_server_metadata",
                        lambda self: self.server_metadata.update(metadata) or metadata)


def test_login_starts_code_flow_with_pkce_s256(http, discovery):
    response = http.get(f"{NGO}/login")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{IDP}/oidc/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == ["ngo-demo"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{NGO}/auth/callback"] and query["nonce"]


def test_callback_with_an_error_explains_it(http):
    page = http.get(f"{NGO}/auth/callback?error=access_denied&error_description=Denied")
    assert page.status_code == 400 and "access_denied" in page.text and "Denied" in page.text


@pytest.mark.parametrize("error, logged", [("access_denied", "access_denied"),
                                           ("ada@example.org", "(other)")])
def test_a_callbacks_error_is_logged_only_as_an_error_code(http, caplog, error, logged):
    caplog.set_level(logging.DEBUG, logger="app")
    http.get(f"{NGO}/auth/callback?" + urlencode(
        {"error": error, "error_description": "secret-description"}))
    [message] = [record.getMessage() for record in caplog.records
                 if record.name.startswith("app.ngo.")]
    assert message == f"Sign-in failed: {logged}"


def test_callback_without_a_matching_state_is_refused(http):
    page = http.get(f"{NGO}/auth/callback?code=abc&state=forged")
    assert page.status_code == 400 and "mismatching_state" in page.text


def test_the_ngo_session_cookie_is_its_own(http, discovery):
    http.get(f"{NGO}/login")  # stores state, nonce and the PKCE verifier in its session
    assert http.get_cookie("ngo_session", domain="ngo.localhost") is not None
    assert http.get_cookie("lxl_session", domain="ngo.localhost") is None


def test_ngo_pages_may_embed_the_idp_but_nobody_may_frame_them(http):
    policy = http.get(f"{NGO}/").headers["Content-Security-Policy"]
    assert f"frame-src 'self' {IDP}" in policy and f"connect-src 'self' {IDP}" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_demo_seed_registers_the_client_the_ngo_site_signs_in_with(app):
    from app.extensions import db
    from app.idp.models import Client
    from app.ngo.oidc_client import callback_uri, credential_uri

    with app.test_request_context(f"{NGO}/"):
        client = db.session.scalar(db.select(Client).filter_by(
            client_id=app.config["LXL_NGO_CLIENT_ID"]))
        # The code flow's redirect URI, and login_uri for the button's redirect mode.
        assert client is not None and client.redirect_uris == [callback_uri(), credential_uri()]


def test_every_page_embeds_the_sdk_with_a_nonce_and_costs_no_stored_session(app, http):
    from tests.test_sessions import stored_sessions

    for path in ("/", "/members"):
        page = http.get(f"{NGO}{path}")
        assert f'<script src="{IDP}/static/lxl-id.js" async id="lxl-sdk"></script>' in page.text
        assert "auto_select: true" in page.text and "itp_support: true" in page.text
        assert 'client_id: "ngo-demo"' in page.text
        nonce = re.search(r'nonce: "([^"]+)"', page.text).group(1)
        assert http.get_cookie(NONCE_COOKIE, domain="ngo.localhost") is not None
        assert "data-lxl-user" not in page.text
    assert http.get(f"{NGO}/").text.count(nonce) == 1, "the nonce is shared by page loads"
    assert stored_sessions(app) == []


def test_the_members_page_offers_sign_in_to_anyone_not_signed_in(http):
    page = http.get(f"{NGO}/members")
    assert page.status_code == 200 and "sign in with LxL ID" in page.text
    assert "Sign in with LxL ID" in page.text and "data-ngo-shifts" not in page.text


@pytest.mark.parametrize("origin", ["http://ngo.localhost:8000", "http://ngo.localhost:5000"])
def test_seed_demo_moves_ngo_demo_to_the_origin_the_app_runs_on(make_app, origin):
    """CONTRACT.md "Demo data": after the port changed, the NGO sign-in still works."""
    from app.extensions import db
    from app.idp.models import Client

    make_app()  # a first run on port 5000 seeded ngo-demo there
    app = make_app(LXL_NGO_ORIGIN=origin)  # PORT=8000 bin/run, or the same port again
    result = app.test_cli_runner().invoke(args=["lxl", "seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id="ngo-demo"))
        assert client.redirect_uris == [f"{origin}/auth/callback", f"{origin}/auth/credential"]
        assert client.web_origins == [origin]
        assert client.post_logout_redirect_uris == [f"{origin}/"]
        assert db.session.scalar(db.select(db.func.count(Client.id))) == 1


def test_home_signs_in_with_the_popup_and_members_with_the_redirect_mode(http):
    home, members = http.get(f"{NGO}/").text, http.get(f"{NGO}/members").text
    for page, path in ((home, "/"), (members, "/members")):
        assert "lxl.accounts.id.renderButton(button" in page
        assert 'data-ngo-signin="waiting"' in page and 'role="status"' in page
        # The plain way in, for no script and for an unreachable LxL ID: the code flow.
        assert page.count(f'href="/login?next={path}"') == 2
    assert "ux_mode" not in home and "login_uri" not in home
    assert "ux_mode: 'redirect'" in members
    assert f'login_uri: "{NGO}/auth/credential"' in members
