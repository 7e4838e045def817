"""The sign-in button's IdP side: its frame, the popup's pages, and the redirect mode's
form_post to the site's login_uri.

What a browser does with these pages (the click's activation, requestStorageAccess, the popup)
is driven in Chromium by tests/browser; here, what the IdP sends.
"""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from app.extensions import db
from app.idp import consents, demo
from app.idp.models import Client
from app.idp.oidc import button_frame
from tests.helpers import (
    CLIENT_ID, IDP, NGO, authorize_url, consent_form, csrf_token, sign_in, sign_in_for)
from tests.idp.test_silent import signed_in_and_consented, web_message_response

LOGIN_URI = f"{NGO}/auth/credential"
# What the SDK's part sends besides the options: the request the storage-access finish uses.
AUTHORIZATION = {"response_type": "id_token", "scope": "openid email", "nonce": "n-btn",
                 "state": "s-btn", "redirect_uri": NGO}


def button_url(origin=NGO, client_id=CLIENT_ID, **params):
    query = {"client_id": client_id, "origin": origin, **params}
    return f"{IDP}/oidc/iframe/button?" + urlencode({k: v for k, v in query.items()
                                                     if v is not None})


def script_of(page):
    """Return the text of the page's script."""
    return page.split("<script", 1)[1].split(">", 1)[1].split("</script>", 1)[0].lstrip()


def nonce_of(response):
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)


def status_url_of(page):
    """Return the ``/oidc/iframe/status`` URL the button's script fetches after storage access."""
    pairs = re.search(r'\[\["client_id", "[^"]*"\], \["origin", origin\]\]\.concat\((.*?)\)\);',
                      page).group(1)
    origin = json.loads(re.search(r"var origin = (.*?);\n", page).group(1))
    client_id = re.search(r'\[\["client_id", ("[^"]*")\]', page).group(1)
    query = [("client_id", json.loads(client_id)), ("origin", origin), *json.loads(pairs)]
    return f"{IDP}/oidc/iframe/status?{urlencode(query)}"


def button_tag(page):
    return re.search(r"<button [^>]*>", page).group(0)


# --- the frame ------------------------------------------------------------------------------

def test_the_button_frame_says_hello_first_and_shows_a_real_button(http):
    response = http.get(button_url(itp_support="1", **AUTHORIZATION))
    page = response.text
    assert response.status_code == 200
    assert script_of(page).startswith(
        f'window.parent.postMessage({{type: "lxl:hello"}}, "{NGO}");')
    assert '<button type="button"' in page and page.count("<button") == 1
    assert "<span>Sign in with LxL ID</span>" in page
    assert re.search(r'<svg [^>]*aria-hidden="true"', page), "the logo is decoration"
    assert "html, body { margin: 0; background: transparent; }" in page
    assert "button:focus-visible { outline: 2px solid" in page
    assert "@media (prefers-color-scheme: dark)" in page
    assert "lxl:resize" in page and "lxl:click" in page
    assert '"*"' not in page and "postMessage(message, origin)" in page
    assert "addEventListener(\"message\"" not in page, "it takes no messages"
    assert len(response.data) < 5000, "on the way to every button: keep it small"


def test_a_click_tells_the_page_first_before_any_promise(http):
    """The page's click_listener runs on lxl:pressed: posted at once on every click, also one
    that storage access then finishes in the frame (which posts no lxl:click)."""
    script = script_of(http.get(button_url(itp_support="1", **AUTHORIZATION)).text)
    opening = 'document.querySelector("button").addEventListener("click", function () {\n'
    assert script.count(opening) == 1
    handler = script.split(opening, 1)[1]
    assert handler.lstrip().startswith('post({type: "lxl:pressed"});\n')
    assert script.count("lxl:pressed") == 1


def test_the_button_frames_headers(http):
    response = http.get(button_url())
    nonce = nonce_of(response)
    assert response.headers["Content-Security-Policy"] == (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; connect-src 'self'; "
        f"frame-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors {NGO}")
    assert f'<style nonce="{nonce}">' in response.text
    assert f'<script nonce="{nonce}">' in response.text
    assert response.headers["Vary"] == "Cookie, Sec-Fetch-Storage-Access"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cross-Origin-Opener-Policy" not in response.headers


def test_the_button_page_is_the_same_for_everyone_until_the_click(http):
    """It says nothing about who is signed in: any registered page shows the same button."""
    def without_nonce(page):
        return re.sub(r'nonce="[^"]*"', "", page)

    before = without_nonce(http.get(button_url(**AUTHORIZATION)).text)
    signed_in_and_consented(http)
    after = without_nonce(http.get(button_url(**AUTHORIZATION)).text)
    assert before == after


@pytest.mark.parametrize("origin, client_id, reason", [
    ("http://evil.localhost:5000", CLIENT_ID, "origin_not_allowed"),
    (NGO + "/", CLIENT_ID, "origin_not_allowed"),
    (None, CLIENT_ID, "origin_not_allowed"),
    (NGO, "nope", "unknown_client"),
    (NGO, None, "unknown_client"),
])
def test_the_button_frame_refuses_other_callers_and_posts_nothing(http, origin, client_id,
                                                                  reason):
    response = http.get(button_url(origin=origin, client_id=client_id))
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert "postMessage" not in response.text and "<button" not in response.text
    assert reason in response.text


@pytest.mark.parametrize("query, name", [
    ("type=link", "type"),
    ("theme=dark", "theme"),
    ("size=huge", "size"),
    ("text=hello", "text"),
    ("shape=oval", "shape"),
    ("logo_alignment=right", "logo_alignment"),
    ("width=119", "width"),
    ("width=401", "width"),
    ("width=240px", "width"),
    ("width=-200", "width"),
    ("width=0240", "width"),
    ("itp_support=yes", "itp_support"),
    ("ask_storage_access=2", "ask_storage_access"),
    ("size=large&size=small", "size"),
])
def test_a_bad_option_is_refused_naming_it(http, query, name):
    """The origin is registered: its page may frame the refusal, which tells it (and only it)
    which parameter was wrong, so the SDK can name it to the site's developer."""
    response = http.get(button_url() + "&" + query)
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {NGO}")
    page = response.text
    assert "<button" not in page and f"&#39;{name}&#39;" in page
    lines = script_of(page).splitlines()
    assert lines[0] == f'window.parent.postMessage({{type: "lxl:hello"}}, "{NGO}");'
    refusal, target = lines[1].removeprefix("window.parent.postMessage(").rsplit(", ", 1)
    assert target == f'"{NGO}");' and len(lines) == 2
    message = json.loads(refusal)
    assert message["type"] == "lxl:refused" and message["error"] == "invalid_request"
    assert f"'{name}'" in message["error_description"]
    assert '"*"' not in page


def test_a_bad_option_of_an_unregistered_origin_is_refused_for_the_origin(http):
    """The client and origin are checked first: a stranger learns nothing about options."""
    response = http.get(button_url(origin="http://evil.localhost:5000", size="huge"))
    assert "origin_not_allowed" in response.text and "size" not in response.text


@pytest.mark.parametrize("text, label", [
    (None, "Sign in with LxL ID"),
    ("signin_with", "Sign in with LxL ID"),
    ("signup_with", "Sign up with LxL ID"),
    ("continue_with", "Continue with LxL ID"),
    ("signin", "Sign in"),
])
def test_the_buttons_words(http, text, label):
    page = http.get(button_url(text=text)).text
    assert f"<span>{label}</span>" in page and f"<title>{label}</title>" in page


def test_the_icon_button_has_only_the_logo_and_an_accessible_name(http):
    page = http.get(button_url(type="icon", text="continue_with", width="300")).text
    assert 'aria-label="Continue with LxL ID"' in button_tag(page)
    assert "<span>" not in page and "width: 300px" not in page, "an icon is square"


@pytest.mark.parametrize("params, classes", [
    ({}, ["auto", "large", "rectangular", "left"]),
    ({"theme": "outline"}, ["outline"]),
    ({"theme": "filled_blue", "size": "medium", "shape": "pill"},
     ["filled_blue", "medium", "pill"]),
    ({"theme": "filled_black", "size": "small", "shape": "circle",
      "logo_alignment": "center"}, ["filled_black", "small", "circle", "center"]),
    ({"shape": "square", "type": "icon"}, ["square", "icon"]),
])
def test_the_options_style_the_button(http, params, classes):
    """Without a theme the button follows prefers-color-scheme ("auto")."""
    tag = button_tag(http.get(button_url(**params)).text)
    assert set(classes) <= set(re.search(r'class="([^"]*)"', tag).group(1).split())


def test_the_style_holds_each_size_and_theme(http):
    """Heights 40/32/24 px (GIS's large, medium, small), from button_frame.HEIGHTS_PX; every
    class the page uses is styled."""
    assert button_frame.HEIGHTS_PX == {"large": 40, "medium": 32, "small": 24}
    style = re.search(r"<style[^>]*>(.*)</style>", http.get(button_url()).text, re.S).group(1)
    assert "height: 40px;" in style
    for size, px in button_frame.HEIGHTS_PX.items():
        assert f".{size} {{ height: {px}px; }} .icon.{size} {{ width: {px}px; }}" in style
    for name in ("filled_blue", "filled_black", "auto", "pill", "circle", "icon", "left"):
        assert f".{name}" in style


def test_width_sets_the_buttons_width(http):
    assert "button { width: 240px; }" in http.get(button_url(width="240")).text
    assert "button { width:" not in http.get(button_url()).text, "its words' width by default"


@pytest.mark.parametrize("params, itp, ask", [
    ({}, "false", "false"),
    ({"itp_support": "1"}, "true", "false"),
    ({"itp_support": "true", "ask_storage_access": "1"}, "true", "true"),
    ({"itp_support": "0", "ask_storage_access": "false"}, "false", "false"),
])
def test_the_storage_access_switches(http, params, itp, ask):
    page = http.get(button_url(**params)).text
    assert f"var itpSupport = {itp};" in page and f"var askStorageAccess = {ask};" in page


def test_the_status_fetch_carries_only_the_client_origin_and_authorization(http):
    page = http.get(button_url(size="small", itp_support="1", ask_storage_access="1",
                               prompt="login", extra="x", **AUTHORIZATION)).text
    query = parse_qs(urlsplit(status_url_of(page)).query)
    assert query == {"client_id": [CLIENT_ID], "origin": [NGO],
                     **{name: [value] for name, value in AUTHORIZATION.items()}}


def test_after_storage_access_the_status_fetch_returns_the_credential(http):
    signed_in_and_consented(http)
    page = http.get(button_url(itp_support="1", **AUTHORIZATION)).text
    answer = http.get(status_url_of(page)).json
    assert answer["status"]["status"] == "logged_in"
    authorization = answer["authorization"]
    assert authorization["state"] == "s-btn"
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    claims = jwt.decode(authorization["id_token"], keys).claims
    assert claims["nonce"] == "n-btn" and claims["aud"] == CLIENT_ID and claims["iss"] == IDP


@pytest.mark.parametrize("signed_in", [False, True])
def test_without_session_and_consent_the_status_fetch_returns_no_credential(http, signed_in):
    if signed_in:
        sign_in(http)  # but no consent for the site yet: the popup asks
    page = http.get(button_url(itp_support="1", **AUTHORIZATION)).text
    answer = http.get(status_url_of(page)).json
    assert answer["status"]["status"] == "logged_out" and answer["authorization"] is None
    assert answer["status"]["reason"] == ("consent_required" if signed_in else "no_session")


# --- the popup: sign-in, consent and web_message -------------------------------------------

POPUP = {"response_type": "id_token", "response_mode": "web_message", "redirect_uri": NGO,
         "display": "popup", "prompt": "select_account"}


def popup_consent_page(app, http):
    """Open the popup's request, sign in, and return the consent page it resumes to."""
    response = sign_in_for(http, authorize_url(**POPUP))
    assert response.status_code == 200 and 'value="allow"' in response.text
    return response


def test_the_popups_pages_keep_their_opener(app, http):
    """No Cross-Origin-Opener-Policy on any page the popup shows: the page's window.opener
    link, and so the web_message, must survive."""
    first = http.get(authorize_url(**POPUP))
    signin_page = http.get(IDP + first.headers["Location"])
    consent_page = popup_consent_page(app, http)
    answer = http.post(f"{IDP}/oidc/authorize/consent", data=consent_form(consent_page.text))
    for response in (first, signin_page, consent_page, answer):
        assert "Cross-Origin-Opener-Policy" not in response.headers, response.request.path
    assert signin_page.status_code == 200 and answer.status_code == 200


def test_display_popup_survives_sign_in_and_consent(app, http):
    to_sign_in = http.get(authorize_url(**POPUP))
    next_url = parse_qs(urlsplit(to_sign_in.headers["Location"]).query)["next"][0]
    assert parse_qs(urlsplit(next_url).query)["display"] == ["popup"]
    consent_page = popup_consent_page(app, http)
    signed = consent_form(consent_page.text)["authorization_request"]
    with app.app_context():
        pending = consents._pending_serializer().loads(signed)["params"]
    assert pending["display"] == "popup" and pending["response_mode"] == "web_message"


def test_allow_in_the_popup_posts_the_credential_to_the_opener(app, http):
    consent_page = popup_consent_page(app, http)
    answer = http.post(f"{IDP}/oidc/authorize/consent", data=consent_form(consent_page.text))
    page = answer.text
    assert answer.headers["Content-Security-Policy"].endswith(f"frame-ancestors {NGO}")
    assert "window.opener || window.parent" in page and "window.close()" in page
    assert page.index("lxl:hello") < page.index("authorization_response")
    posted = web_message_response(page)
    assert posted["state"] == "st4te" and posted["id_token"]


def test_deny_in_the_popup_posts_access_denied_with_the_state(app, http):
    consent_page = popup_consent_page(app, http)
    answer = http.post(f"{IDP}/oidc/authorize/consent",
                       data=consent_form(consent_page.text, decision="deny"))
    assert answer.status_code == 200 and "Location" not in answer.headers
    posted = web_message_response(answer.text)
    assert posted["error"] == "access_denied" and posted["state"] == "st4te"
    assert "id_token" not in posted
    assert f'var origin = "{NGO}"' in answer.text


def test_the_sign_in_and_consent_pages_fit_a_popup(http):
    """A 480×640 popup is narrower than the pages' card: it becomes the whole window."""
    css = http.get(f"{IDP}/static/site.css").text
    assert re.search(r"@media \(max-width: 5\d\dpx\) \{ main \{ margin: 0;", css)
    page = http.get(f"{IDP}/signin").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


# --- ux_mode 'redirect': form_post to the site's login_uri --------------------------------

def test_the_demo_client_takes_the_credential_path_as_a_redirect_uri(app):
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=CLIENT_ID))
        assert client.redirect_uris == [f"{NGO}/auth/callback", LOGIN_URI]


@pytest.mark.parametrize("origin", ["http://ngo.localhost:8000", "http://ngo.localhost:5000"])
def test_seed_demo_keeps_both_redirect_uris_on_the_apps_origin(make_app, origin):
    make_app()
    app = make_app(LXL_NGO_ORIGIN=origin)
    for _ in range(2):  # idempotent
        assert app.test_cli_runner().invoke(args=["lxl", "seed-demo"]).exit_code == 0
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=CLIENT_ID))
        assert client.redirect_uris == [f"{origin}/auth/callback", f"{origin}/auth/credential"]
        assert client.web_origins == [origin]
        assert db.session.scalar(db.select(db.func.count(Client.id))) == 1


def test_seed_demo_changes_nothing_when_nothing_changed(app):
    with app.app_context():
        client = db.session.scalar(db.select(Client).filter_by(client_id=CLIENT_ID))
        before = dict(client.client_metadata)
        demo.seed()
        db.session.refresh(client)
        assert client.client_metadata == before


REDIRECT_MODE = {"response_type": "id_token", "response_mode": "form_post",
                 "redirect_uri": LOGIN_URI, "state": "g-csrf", "nonce": "ngo-nonce"}


def form_post_fields(page):
    """Return the form_post page's action and its hidden fields."""
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return action, fields


def test_redirect_mode_posts_the_id_token_and_state_to_the_login_uri(http):
    signed_in_and_consented(http)
    response = http.get(authorize_url(**REDIRECT_MODE))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    action, fields = form_post_fields(response.text)
    assert action == LOGIN_URI and set(fields) >= {"id_token", "state"}
    assert fields["state"] == "g-csrf" and "code" not in fields
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    claims = jwt.decode(fields["id_token"], keys).claims
    assert claims["nonce"] == "ngo-nonce" and claims["aud"] == CLIENT_ID
    assert "document.forms[0].submit()" in response.text


def test_redirect_mode_signs_in_and_asks_consent_first(http):
    consent_page = sign_in_for(http, authorize_url(**REDIRECT_MODE))
    answer = http.post(f"{IDP}/oidc/authorize/consent", data=consent_form(consent_page.text))
    action, fields = form_post_fields(answer.text)
    assert action == LOGIN_URI and fields["state"] == "g-csrf" and fields["id_token"]


def test_redirect_mode_to_an_unregistered_path_is_refused(http):
    signed_in_and_consented(http)
    response = http.get(authorize_url(**{**REDIRECT_MODE,
                                         "redirect_uri": f"{NGO}/auth/elsewhere"}))
    assert response.status_code == 400 and "<form" not in response.text
    assert "Redirect URI" in response.text


def test_the_popups_sign_in_form_has_contracts_fields(http):
    """The popup's sign-in page is the ordinary one: its form fields are CONTRACT's."""
    page = http.get(f"{IDP}/signin?display=popup").text
    assert csrf_token(page)
    for field in ('name="email" type="email" autocomplete="username"',
                  'name="password" type="password" autocomplete="current-password"',
                  'name="remember" type="checkbox"'):
        assert field in page
