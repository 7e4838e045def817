"""The sample NGO site as a relying party (Authlib's client, unmodified)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import IDP, NGO


def test_home_page_names_the_site_and_offers_sign_in(http):
    page = http.get(f"{NGO}/")
    assert page.status_code == 200
    assert "Sample NGO" in page.text and "Sign in with LxL ID" in page.text


@pytest.fixture
def discovery(http, monkeypatch):
    """The backend fetches discovery over HTTP; hand it the same document directly."""
    from authlib.integrations.flask_client import FlaskOAuth2App

    metadata = http.get(f"{IDP}/.well-known/openid-configuration").json
    monkeypatch.setattr(FlaskOAuth2App, "load_server_metadata",
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
    from app.ngo.oidc_client import callback_uri

    with app.test_request_context(f"{NGO}/"):
        client = db.session.scalar(db.select(Client).filter_by(
            client_id=app.config["LXL_NGO_CLIENT_ID"]))
        assert client is not None and client.redirect_uris == [callback_uri()]
