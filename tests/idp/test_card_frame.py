"""The One-Tap card's IdP side: its cooldown, its frame, and the two endpoints its script calls.

What a browser does with the page (the anti-clickjacking guard, the popup) is driven in
Chromium by tests/browser; here, what the IdP decides and sends.
"""

import json
import re
from urllib.parse import urlencode

import pytest
from itsdangerous import URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import KeySet

from app.extensions import db
from app.idp import accounts, clients, prompt_cooldowns
from app.idp.models import BrowserSession, PromptCooldown, User, epoch
from app.idp.oidc import card_frame, claims, reasons
from tests.helpers import (
    CLIENT_ID, IDP, NGO, PASSWORD, authorize_url, consent, redirect_params, sign_in)
from tests.idp.test_button_frame import button_url, nonce_of
from tests.idp.test_silent import embedded, frame_action, signed_in_and_consented

HOUR, DAY, WEEK = 3600, 24 * 3600, 7 * 24 * 3600


class Clock:
    """The cooldown's clock (``prompt_cooldowns.epoch``), moved by hand."""

    def __init__(self, now=1_900_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Replace the cooldown's clock only: sessions and tokens keep the real one, so a test
    can step weeks ahead without the browser session expiring."""
    fake = Clock()
    monkeypatch.setattr(prompt_cooldowns, "epoch", fake)
    return fake


# --- the cooldown (app/idp/prompt_cooldowns.py) ---------------------------------------------

def test_the_steps_are_gis_2_hours_1_day_1_week_4_weeks():
    assert prompt_cooldowns.STEPS_SECONDS == (2 * HOUR, DAY, WEEK, 4 * WEEK)
    assert prompt_cooldowns.FORGET_AFTER_SECONDS == 90 * DAY


def test_each_closing_quiets_the_card_for_the_next_step_then_4_weeks_each_time(app, clock):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        for step in (2 * HOUR, DAY, WEEK, 4 * WEEK, 4 * WEEK, 4 * WEEK):
            assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + step
            clock.now += step - 1
            assert prompt_cooldowns.is_quiet(ada, "ngo-demo")
            clock.now += 1
            assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert prompt_cooldowns.find(ada, "ngo-demo").dismissals == 6


def test_a_cooldown_is_per_user_and_client(app, clock):
    with app.app_context():
        ada, grace = User.by_email("ada@example.org"), User.by_email("grace@example.org")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        assert prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert not prompt_cooldowns.is_quiet(ada, "other-site")
        assert not prompt_cooldowns.is_quiet(grace, "ngo-demo")


def test_clear_starts_the_count_again(app, clock):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        prompt_cooldowns.dismissed(ada, "ngo-demo")
        prompt_cooldowns.clear(ada, "ngo-demo")
        assert not prompt_cooldowns.is_quiet(ada, "ngo-demo")
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + 2 * HOUR


@pytest.mark.parametrize("quiet_for, step", [
    (prompt_cooldowns.FORGET_AFTER_SECONDS, DAY),  # remembered: the second step
    (prompt_cooldowns.FORGET_AFTER_SECONDS + 1, 2 * HOUR),  # forgotten, purged or not
])
def test_a_quiet_of_90_days_forgets_the_count(app, clock, quiet_for, step):
    with app.app_context():
        ada = User.by_email("ada@example.org")
        quiet_until = prompt_cooldowns.dismissed(ada, "ngo-demo")
        clock.now = quiet_until + quiet_for
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + step


def test_two_first_closings_at_once_count_twice_on_one_row(app, clock, monkeypatch):
    """The other tab's insert lands between our look-up and our own insert."""
    with app.app_context():
        ada = User.by_email("ada@example.org")
        find = prompt_cooldowns.find
        raced = []

        def find_then_race(user, client_id):
            row = find(user, client_id)
            if not raced:
                raced.append(True)
                with db.engine.begin() as other_tab:
                    other_tab.execute(db.insert(PromptCooldown).values(
                        user_id=user.id, client_id=client_id, dismissals=1,
                        quiet_until=clock.now + 2 * HOUR))
            return row

        monkeypatch.setattr(prompt_cooldowns, "find", find_then_race)
        assert prompt_cooldowns.dismissed(ada, "ngo-demo") == clock.now + DAY
        assert find(ada, "ngo-demo").dismissals == 2


# --- the frame ------------------------------------------------------------------------------

# What the SDK's part sends besides client_id and origin: the site's authorization request.
AUTHORIZATION = {"response_type": "id_token", "scope": "openid email", "nonce": "n-card",
                 "state": "s-card", "redirect_uri": NGO}
SAME_ORIGIN = {"Origin": IDP, "Sec-Fetch-Site": "same-origin"}


def card_url(origin=NGO, client_id=CLIENT_ID, **params):
    query = {"client_id": client_id, "origin": origin, **AUTHORIZATION, **params}
    return f"{IDP}/oidc/iframe/card?" + urlencode({k: v for k, v in query.items()
                                                   if v is not None})


def posted(page):
    """Return the ``lxl:card`` message the page posts first (``var decision``)."""
    return embedded(page, "decision")


def token_of(page):
    return embedded(page, "card")["token"]


def script_of(page):
    return page.split("<script", 1)[1].split(">", 1)[1].split("</script>", 1)[0]


def card_call(http, action, page=None, headers=SAME_ORIGIN, **body):
    """POST the card's ``continue`` or ``dismiss`` as its script does, from ``page``."""
    if page is not None:
        body = {**embedded(page, "card"), **embedded(page, "authorization"), **body}
    return http.post(f"{IDP}/oidc/iframe/card/{action}", json=body, headers=headers)


def shown_card(http, **params):
    """Return the card page, asserting that it is displayed."""
    page = http.get(card_url(**params)).text
    assert posted(page) == {"type": "lxl:card", "displayed": True}, posted(page)
    return page


def id_token_claims(http, response):
    keys = KeySet.import_key_set(http.get(f"{IDP}/oidc/jwks").json)
    return jwt.decode(response["id_token"], keys).claims


def test_the_card_says_hello_first_then_whether_it_is_displayed(http):
    sign_in(http)
    response = http.get(card_url(itp_support="1"))
    page = response.text
    assert response.status_code == 200
    assert script_of(page).lstrip().startswith(
        f'window.parent.postMessage({{type: "lxl:hello"}}, "{NGO}");')
    assert posted(page) == {"type": "lxl:card", "displayed": True}
    assert page.index('type: "lxl:hello"') < page.index("post(decision);")
    assert "<h1 id=\"heading\">Sign in to Sample NGO with LxL ID</h1>" in page
    assert ">Ada Lovelace</span>" in page and ">ada@example.org</span>" in page
    assert "<span>Continue as Ada</span>" in page
    assert '<button type="button" class="close" aria-label="Close">' in page
    assert '<button type="button" class="continue">' in page and page.count("<button") == 2
    assert 'role="status"' in page and "autofocus" not in page
    assert '"*"' not in page and "postMessage(message, origin)" in page
    assert 'addEventListener("message"' not in page, "it takes no messages"
    assert "lxl:resize" not in page, "the card never posts its size"


def test_the_cards_headers(http):
    response = http.get(card_url())
    nonce = nonce_of(response)
    assert response.headers["Content-Security-Policy"] == (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; connect-src 'self'; "
        f"frame-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; frame-ancestors {NGO}")
    assert response.headers["Vary"] == "Cookie, Sec-Fetch-Storage-Access"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cross-Origin-Opener-Policy" not in response.headers
    sign_in(http)
    page = http.get(card_url()).text
    assert page.count(f'nonce="{nonce_of(http.get(card_url()))}"') == 0, "fresh per response"
    assert re.search(r'<style nonce="[^"]+">', page) and re.search(r'<script nonce="[^"]+">',
                                                                   page)


def _expired(app, http):
    sign_in(http)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(expires_at=epoch() - 1))
        db.session.commit()


def _cookies_withheld(app, http):
    sign_in(http)
    http.delete_cookie("lxl_silent", domain="id.localhost", path="/oidc/")


def _closed(app, http):
    sign_in(http)
    assert card_call(http, "dismiss", shown_card(http)).json == {"ok": True}


@pytest.mark.parametrize("setup, headers, message", [
    (lambda app, http: None, {"Sec-Fetch-Storage-Access": "active"},
     {"not_displayed_reason": "opt_out_or_no_session", "reason": "no_session"}),
    (_expired, {"Sec-Fetch-Storage-Access": "active"},
     {"not_displayed_reason": "opt_out_or_no_session", "reason": "session_expired"}),
    (_cookies_withheld, {"Sec-Fetch-Storage-Access": "none"},
     {"not_displayed_reason": "browser_not_supported",
      "reason": "third_party_cookies_blocked"}),
    (_cookies_withheld, {"Sec-Fetch-Storage-Access": "inactive"},
     {"not_displayed_reason": "browser_not_supported",
      "reason": "third_party_cookies_blocked"}),
    (_closed, {}, {"not_displayed_reason": "suppressed_by_user"}),
])
def test_why_the_card_is_not_displayed(app, http, setup, headers, message):
    setup(app, http)
    response = http.get(card_url(), headers=headers)
    page = response.text
    assert response.status_code == 200
    assert posted(page) == {"type": "lxl:card", "displayed": False, **message}
    assert message["not_displayed_reason"] in reasons.NOT_DISPLAYED_REASONS
    if "reason" in message:
        assert reasons.NOT_DISPLAYED_BY_REASON[message["reason"]] == \
            message["not_displayed_reason"]
    assert "<main" not in page and "<button" not in page and "var card" not in page
    assert "Ada" not in page and "ada@example.org" not in page
    assert "cookiesBlocked" not in page, "the browser told us whether it sent our cookie"


def test_without_storage_access_headers_the_frame_asks_the_browser_before_no_session(http):
    """Firefox and Safari send no Sec-Fetch-Storage-Access: "no cookie" may be "withheld"."""
    page = http.get(card_url()).text
    assert posted(page)["reason"] == "no_session"
    assert embedded(page, "cookiesBlocked") == {
        "type": "lxl:card", "displayed": False, "not_displayed_reason": "browser_not_supported",
        "reason": "third_party_cookies_blocked"}
    assert "document.hasStorageAccess().then(function (has) { post(has ? decision : " \
           "cookiesBlocked); }" in page


def test_inactive_storage_access_asks_the_browser_to_retry_with_our_cookie(http):
    response = http.get(card_url(), headers={"Sec-Fetch-Storage-Access": "inactive"})
    assert response.headers["Activate-Storage-Access"] == f'retry; allowed-origin="{NGO}"'
    assert "Sec-Fetch-Storage-Access" in response.headers["Vary"]


@pytest.mark.parametrize("setup, needs_consent", [
    (sign_in, True),
    (signed_in_and_consented, False),
    (lambda http: signed_in_and_consented(http) or frame_action(http, "disable_auto_select"),
     False),
])
def test_the_card_is_displayed_to_anyone_signed_in_and_knows_whether_consent_is_needed(
        http, setup, needs_consent):
    """The SDK calls for the card only when silent sign-in failed or none ran: the card
    itself shows to anyone signed in (no consent, auto-select turned off, or neither)."""
    setup(http)
    page = shown_card(http)
    assert embedded(page, "needsConsent") is needs_consent


def test_consent_is_judged_on_the_requests_scope(http):
    signed_in_and_consented(http)  # granted: openid email profile
    assert embedded(shown_card(http, scope="openid profile"), "needsConsent") is False
    assert embedded(shown_card(http, scope="openid offline_access"), "needsConsent") is True


@pytest.mark.parametrize("origin, client_id, reason", [
    ("http://evil.localhost:5000", CLIENT_ID, "origin_not_allowed"),
    (NGO + "/", CLIENT_ID, "origin_not_allowed"),
    (None, CLIENT_ID, "origin_not_allowed"),
    (NGO, "nope", "unknown_client"),
    (NGO, None, "unknown_client"),
])
def test_the_card_refuses_other_callers_framed_by_nobody_and_posting_nothing(
        http, origin, client_id, reason):
    sign_in(http)
    response = http.get(card_url(origin=origin, client_id=client_id))
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert "postMessage" not in response.text and "<button" not in response.text
    assert "Ada" not in response.text and reason in response.text


@pytest.mark.parametrize("frame_url", [card_url, button_url], ids=["card", "button"])
@pytest.mark.parametrize("repeated", [f"client_id={CLIENT_ID}", f"origin={NGO}",
                                      "origin=http://evil.localhost:5000"])
def test_a_repeated_client_id_or_origin_is_refused_naming_it_by_both_frames(
        http, frame_url, repeated):
    """Neither value is picked: the page is refused, framed by nobody, and says which one."""
    sign_in(http)
    name = repeated.split("=", 1)[0]
    response = http.get(frame_url() + "&" + repeated)
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert "postMessage" not in response.text and "<button" not in response.text
    assert f"Repeated &#39;{name}&#39; parameter" in response.text


@pytest.mark.parametrize("query, name", [
    ("itp_support=yes", "itp_support"),
    ("itp_support=1&itp_support=0", "itp_support"),
    ("scope=openid+email", "scope"),
    ("nonce=again", "nonce"),
    ("state=again", "state"),
])
def test_a_bad_parameter_is_refused_naming_it_to_the_registered_origin(http, query, name):
    sign_in(http)
    response = http.get(card_url(itp_support=None) + "&" + query)
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {NGO}")
    page = response.text
    assert "<button" not in page and "Ada" not in page and f"&#39;{name}&#39;" in page
    lines = script_of(page).strip().splitlines()
    assert lines[0] == f'window.parent.postMessage({{type: "lxl:hello"}}, "{NGO}");'
    refusal, target = " ".join(lines[1:]).removeprefix("window.parent.postMessage(") \
        .rsplit(", ", 1)
    assert target == f'"{NGO}");'
    message = json.loads(refusal)
    assert message["type"] == "lxl:refused" and message["error"] == "invalid_request"
    assert f"'{name}'" in message["error_description"]


def test_the_cards_size_is_fixed_once(http):
    assert (card_frame.CARD_WIDTH_PX, card_frame.CARD_HEIGHT_PX) == (360, 176)
    sign_in(http)
    style = re.search(r"<style[^>]*>(.*)</style>", shown_card(http), re.S).group(1)
    assert "max-width: 360px; height: 176px;" in style
    assert "@media (prefers-color-scheme: dark)" in style
    assert "button:focus-visible { outline: 2px solid" in style
    assert "text-overflow: ellipsis" in style


def without_who(page, user):
    """Return the page with what differs per response or per person blanked out: the CSP
    nonce, the token, and the person's name, first name, initial and email as text."""
    page = re.sub(r'nonce="[^"]*"', 'nonce=""', page)
    page = re.sub(r'"token": "[^"]*"', '"token": ""', page)
    first = user["name"].split()[0]
    page = page.replace(f">{user['name']}<", "><").replace(f">{user['email']}<", "><")
    page = page.replace(f"<span>Continue as {first}</span>", "<span>Continue as </span>")
    return page.replace(f'aria-hidden="true">{first[0]}</span>', 'aria-hidden="true"></span>')


def test_the_card_is_the_same_page_whoever_is_signed_in(app, http):
    """A long name changes no size and no message: the page differs only in the text of
    the name, email and Continue boxes, and in the token the script sends back."""
    with app.app_context():
        accounts.create_user("w@example.org", "Wolfeschlegelsteinhausenbergerdorff " * 4,
                             PASSWORD)
    pages = {}
    for email, name in (("ada@example.org", "Ada Lovelace"),
                        ("grace@example.org", "Grace Hopper"),
                        ("w@example.org", ("Wolfeschlegelsteinhausenbergerdorff " * 4).strip())):
        browser = app.test_client()
        sign_in(browser, email=email)
        pages[email] = without_who(shown_card(browser), {"name": name, "email": email})
    assert len(set(pages.values())) == 1


@pytest.mark.parametrize("email", ["ada@example.org", "grace@example.org"])
def test_nothing_in_the_script_says_who_is_signed_in(app, http, email):
    sign_in(http, email=email)
    page = shown_card(http)
    script = script_of(page.split("</main>", 1)[1])
    with app.app_context():
        user = User.by_email(email)
        sub = claims.subject(user, CLIENT_ID)
        secrets_of_user = [user.name, *user.name.split(), user.email, sub, user.subject_seed]
    assert not [word for word in secrets_of_user if word in script]
    payload = URLSafeTimedSerializer("x").loads_unsafe(token_of(page))[1]
    assert set(payload) == {"client_id", "origin", "browser"}
    assert not [word for word in secrets_of_user if word in json.dumps(payload)]
    # Outside the script, the person appears only as the text of the card's boxes.
    markup = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert page.replace(markup, "").count(user.email) == 0
    assert page.count(user.email) == 1 and page.count(user.name) == 1


def test_the_cards_calls_use_the_storage_access_grant_that_let_it_through(http):
    """Third-party cookies blocked: Chromium sent our cookie with the frame's request under a
    grant (Storage Access Headers), which the document itself must ask for before its calls
    carry the cookie (checked in Chromium 156: without it Continue and close are refused)."""
    sign_in(http)
    script = script_of(shown_card(http).split("</main>", 1)[1])
    assert "if (!has) return document.requestStorageAccess();" in script
    assert "return withStorageAccess().then(function () {\n      return fetch(path, {" in script


# --- Continue -------------------------------------------------------------------------------

def test_continue_with_consent_signs_in_with_the_requests_nonce_and_state(http):
    signed_in_and_consented(http)
    page = shown_card(http)
    assert embedded(page, "needsConsent") is False
    response = card_call(http, "continue", page)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    authorization = response.json["authorization"]
    assert set(response.json) == {"authorization"}
    assert authorization["state"] == "s-card" and authorization["session_state"]
    assert "access_token" not in authorization
    claims_ = id_token_claims(http, authorization)
    assert claims_["nonce"] == "n-card" and claims_["aud"] == CLIENT_ID
    assert claims_["iss"] == IDP and claims_["email"] == "ada@example.org"


def test_continue_turns_automatic_sign_in_back_on(http):
    """An opted-out person (disableAutoSelect) who presses Continue signed in by hand."""
    signed_in_and_consented(http)
    frame_action(http, "disable_auto_select")
    assert redirect_params(http.get(authorize_url(response_type="id_token", prompt="none"))) \
        ["reason"] == "auto_select_disabled"
    assert "authorization" in card_call(http, "continue", shown_card(http)).json
    assert "id_token" in redirect_params(http.get(authorize_url(response_type="id_token",
                                                                prompt="none")))


def test_continue_without_consent_asks_for_the_popup_and_changes_nothing(http):
    sign_in(http)
    page = shown_card(http)
    frame_action_ok = frame_action(http, "disable_auto_select").json
    assert frame_action_ok == {"ok": True}
    assert card_call(http, "continue", page).json == {"popup": True}
    error = redirect_params(http.get(authorize_url(response_type="id_token", prompt="none")))
    assert error["reason"] == "auto_select_disabled", "no sign-in happened: still opted out"


def test_continue_after_consent_was_revoked_asks_for_the_popup(http):
    signed_in_and_consented(http)
    page = shown_card(http)
    token = redirect_params(http.get(authorize_url(response_type="id_token",
                                                   prompt="none")))["id_token"]
    assert frame_action(http, "revoke", hint=token).json == {"ok": True}
    assert card_call(http, "continue", page).json == {"popup": True}


def test_continue_when_the_session_cannot_answer_the_request_asks_for_the_popup(app, http):
    signed_in_and_consented(http)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(auth_time=epoch() - 600))
        db.session.commit()
    assert card_call(http, "continue", shown_card(http, max_age="60")).json == {"popup": True}
    assert card_call(http, "continue", shown_card(http, login_hint="grace@example.org")) \
        .json == {"popup": True}


@pytest.mark.parametrize("changed, answer", [
    ({"redirect_uri": "http://evil.localhost:5000"}, "authorization"),  # an error response
    ({"nonce": None}, "authorization"),
    ({"login_hint": "grace@example.org"}, "popup"),
    ({"max_age": "60"}, "popup"),  # signed in 10 minutes ago
])
def test_continue_without_a_credential_leaves_the_opt_out_and_the_cooldown(
        app, http, clock, changed, answer):
    """Only a credential is a sign-in by hand: a request the site got wrong, or one the session
    cannot answer, turns nothing back on."""
    signed_in_and_consented(http)
    frame_action(http, "disable_auto_select")
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(auth_time=epoch() - 600))
        db.session.commit()
    page = shown_card(http)
    card_call(http, "dismiss", page)
    response = card_call(http, "continue", page, **changed).json
    assert set(response) == {answer} and "id_token" not in response.get("authorization", {})
    assert cooldown_of(app) is not None
    assert redirect_params(http.get(authorize_url(response_type="id_token", prompt="none"))) \
        ["reason"] == "auto_select_disabled"


def test_continue_with_a_malformed_request_answers_the_sites_error(http):
    """As the status frame: posted to the registered origin only, naming the parameter."""
    signed_in_and_consented(http)
    page = shown_card(http)
    answer = card_call(http, "continue", page, redirect_uri="http://evil.localhost:5000").json
    error = answer["authorization"]
    assert error["error"] == "invalid_request" and "redirect_uri" in error["error_description"]
    assert error["state"] == "s-card" and "id_token" not in error
    answer = card_call(http, "continue", page, nonce=None).json["authorization"]
    assert answer["error"] == "invalid_request" and "nonce" in answer["error_description"]


def test_continue_clears_the_cooldown(app, http, clock):
    signed_in_and_consented(http)
    page = shown_card(http)
    card_call(http, "dismiss", page)
    with app.app_context():
        assert prompt_cooldowns.find(User.by_email("ada@example.org"), CLIENT_ID) is not None
    assert "authorization" in card_call(http, "continue", page).json
    with app.app_context():
        assert prompt_cooldowns.find(User.by_email("ada@example.org"), CLIENT_ID) is None
    shown_card(http)


def cooldown_of(app, email="ada@example.org"):
    with app.app_context():
        return prompt_cooldowns.find(User.by_email(email), CLIENT_ID)


@pytest.mark.parametrize("consented_before, params", [
    (False, {}),  # Continue without consent: the consent popup
    (True, {"prompt": "consent"}),  # Continue where the browser cannot vouch for the card
])
def test_a_sign_in_through_the_popup_clears_the_cooldown_and_the_opt_out(
        app, http, clock, consented_before, params):
    """The person signed in to the site by hand (silent.signed_in_by_hand), as with Continue."""
    (signed_in_and_consented if consented_before else sign_in)(http)
    frame_action(http, "disable_auto_select")
    card_call(http, "dismiss", shown_card(http))
    assert cooldown_of(app) is not None
    consent(http, authorize_url(response_type="id_token", **params))
    assert cooldown_of(app) is None
    shown_card(http)
    assert "id_token" in redirect_params(http.get(authorize_url(response_type="id_token",
                                                                prompt="none")))


def test_denying_in_the_popup_keeps_the_cooldown(app, http, clock):
    sign_in(http)
    card_call(http, "dismiss", shown_card(http))
    consent(http, authorize_url(response_type="id_token"), decision="deny")
    assert cooldown_of(app) is not None


# --- the card token: this browser's card, for this site, for an hour ------------------------

def test_another_browsers_card_token_is_refused(app, http):
    signed_in_and_consented(http)
    other = app.test_client()
    sign_in(other)  # the same person, in another browser
    page = shown_card(other)
    for action in ("continue", "dismiss"):
        response = card_call(http, action, page)
        assert response.status_code == 403 and response.json["error"] == "invalid_card"
        assert "'token'" in response.json["error_description"]
        assert response.headers["Cache-Control"] == "no-store"


def test_a_token_does_not_outlive_its_browser_session(http):
    """Signing out (or in as someone else) gives the browser a new key: the token is void."""
    signed_in_and_consented(http)
    page = shown_card(http)
    sign_in(http, email="grace@example.org")
    assert card_call(http, "continue", page).json["error"] == "invalid_card"


def test_a_token_is_bound_to_its_client_and_origin(app, http):
    with app.app_context():
        client, _ = clients.register("Two sites", [f"{NGO}/cb"], [NGO, "http://b.localhost"])
        two_sites = client.client_id
    signed_in_and_consented(http)
    page = shown_card(http)
    for other in ({"client_id": two_sites}, {"client_id": two_sites, "origin": NGO}):
        response = card_call(http, "continue", page, **other)
        assert response.status_code == 403 and response.json["error"] == "invalid_card"
    b_page = shown_card(http, client_id=two_sites, origin="http://b.localhost",
                        redirect_uri="http://b.localhost")
    response = card_call(http, "dismiss", b_page, origin=NGO)
    assert response.status_code == 403


@pytest.mark.parametrize("token", ["", "x", "a.b.c", "eyJ9.e30.sig"])
def test_a_forged_token_is_refused(http, token):
    signed_in_and_consented(http)
    response = card_call(http, "continue", shown_card(http), token=token)
    assert response.status_code == 403 and response.json["error"] == "invalid_card"


def test_a_token_signed_for_something_else_is_refused(app, http):
    signed_in_and_consented(http)
    page = shown_card(http)
    with app.app_context():  # the same shape, signed for the consent page instead
        other = URLSafeTimedSerializer(app.secret_key, salt="lxl.pending-authorization") \
            .dumps(URLSafeTimedSerializer("x").loads_unsafe(token_of(page))[1])
    assert card_call(http, "continue", page, token=other).status_code == 403


def test_a_token_expires_after_an_hour(http, monkeypatch):
    signed_in_and_consented(http)
    page = shown_card(http)
    assert card_frame.TOKEN_SECONDS == 3600
    monkeypatch.setattr(card_frame, "TOKEN_SECONDS", -1)
    response = card_call(http, "continue", page)
    assert response.status_code == 403 and "expired" in response.json["error_description"]


# --- the same-origin JSON check, one helper for the card's calls and the status frame's -----

ENDPOINTS = ["/oidc/iframe/card/continue", "/oidc/iframe/card/dismiss", "/oidc/iframe/action"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("headers", [
    {"Origin": NGO, "Sec-Fetch-Site": "cross-site"},
    {"Origin": NGO, "Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://evil.localhost:5000", "Sec-Fetch-Site": "same-site"},
    {"Origin": IDP, "Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "same-origin"},
    {},
])
def test_cross_site_and_originless_calls_are_refused(http, path, headers):
    signed_in_and_consented(http)
    page = shown_card(http)
    body = {**embedded(page, "card"), **AUTHORIZATION, "action": "disable_auto_select"}
    response = http.post(f"{IDP}{path}", json=body, headers=headers)
    assert response.status_code == 403 and response.json == {"error": "forbidden"}
    assert shown_card(http), "nothing was recorded"


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain",
                                          "multipart/form-data; boundary=x"])
def test_a_form_or_text_body_is_refused(http, path, content_type):
    """What a cross-site page can send without a preflight: refused however it is spelt."""
    signed_in_and_consented(http)
    body = urlencode({**embedded(shown_card(http), "card"), "action": "disable_auto_select"})
    response = http.post(f"{IDP}{path}", data=body, content_type=content_type,
                         headers=SAME_ORIGIN)
    assert response.status_code == 403
    assert "id_token" in redirect_params(http.get(authorize_url(response_type="id_token",
                                                                prompt="none")))


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("body", [b"[1, 2]", b'"x"', b"null", b"{", b"\xff\xfe", b""])
def test_a_json_body_that_is_not_an_object_is_refused(http, path, body):
    response = http.post(f"{IDP}{path}", data=body, content_type="application/json",
                         headers=SAME_ORIGIN)
    assert response.status_code == 400 and response.json["error"] == "invalid_request"
    assert "JSON object with 'client_id', 'origin' and" in response.json["error_description"]


@pytest.mark.parametrize("action", ["continue", "dismiss"])
@pytest.mark.parametrize("name", ["client_id", "origin", "token"])
@pytest.mark.parametrize("value", [["ngo-demo"], {"$ne": ""}, 7, None, "missing"])
def test_a_field_that_is_missing_or_not_a_string_is_refused_naming_it(http, action, name,
                                                                      value):
    signed_in_and_consented(http)
    body = {**embedded(shown_card(http), "card"), name: value}
    if value == "missing":
        del body[name]
    response = card_call(http, action, **body)
    assert response.status_code == 400, response.text
    assert response.json["error"] == "invalid_request"
    assert f"'{name}'" in response.json["error_description"]


@pytest.mark.parametrize("name", ["response_type", "scope", "nonce", "state", "redirect_uri",
                                  "login_hint", "id_token_hint", "max_age"])
@pytest.mark.parametrize("value", [["openid"], 0])
def test_an_authorization_parameter_that_is_not_a_string_is_refused_naming_it(http, name,
                                                                             value):
    signed_in_and_consented(http)
    response = card_call(http, "continue", shown_card(http), **{name: value})
    assert response.status_code == 400
    assert response.json["error_description"] == f"'{name}' must be a string."


@pytest.mark.parametrize("action", ["continue", "dismiss"])
def test_an_unregistered_origin_or_client_is_refused_before_the_token(http, action):
    signed_in_and_consented(http)
    page = shown_card(http)
    response = card_call(http, action, page, origin="http://evil.localhost:5000")
    assert response.status_code == 400 and response.json["error"] == "origin_not_allowed"
    response = card_call(http, action, page, client_id="nope")
    assert response.status_code == 400 and response.json["error"] == "unknown_client"


# --- close: the cooldown at HTTP level ----------------------------------------------------

def test_each_close_quiets_the_card_for_the_next_step(app, http, clock):
    sign_in(http)
    for step in (2 * HOUR, DAY, WEEK, 4 * WEEK, 4 * WEEK):
        response = card_call(http, "dismiss", shown_card(http))
        assert response.json == {"ok": True}
        assert response.headers["Cache-Control"] == "no-store"
        clock.now += step - 1
        assert posted(http.get(card_url()).text) == {
            "type": "lxl:card", "displayed": False, "not_displayed_reason": "suppressed_by_user"}
        clock.now += 1


def test_the_cooldown_is_per_user_and_per_client(app, http, clock):
    with app.app_context():
        client, _ = clients.register("Other NGO", [f"{NGO}/cb"], [NGO])
        other_client = client.client_id
    sign_in(http)
    card_call(http, "dismiss", shown_card(http))
    assert posted(http.get(card_url()).text)["displayed"] is False
    shown_card(http, client_id=other_client)  # another site's card still shows
    grace = app.test_client()
    sign_in(grace, email="grace@example.org")
    shown_card(grace)  # someone else on another browser: still shows
    ada_elsewhere = app.test_client()
    sign_in(ada_elsewhere)
    assert posted(ada_elsewhere.get(card_url()).text)["not_displayed_reason"] == \
        "suppressed_by_user", "the same person on another browser: quiet too"


def test_closing_twice_from_one_page_counts_twice(app, http, clock):
    """The frame sends one close per card; the server counts what it is sent."""
    sign_in(http)
    page = shown_card(http)
    card_call(http, "dismiss", page)
    card_call(http, "dismiss", page)
    with app.app_context():
        assert prompt_cooldowns.find(User.by_email("ada@example.org"), CLIENT_ID) \
            .dismissals == 2


def test_a_close_after_the_session_ended_records_nothing(app, http, clock):
    sign_in(http)
    page = shown_card(http)
    with app.app_context():
        accounts.end_all_sessions(User.by_email("ada@example.org"))
    assert card_call(http, "dismiss", page).json == {"ok": False}
    with app.app_context():
        assert db.session.query(PromptCooldown).count() == 0


def test_the_frames_calls_need_no_flask_wtf_token_but_the_card_token(http):
    """CSRF: exempt from Flask-WTF, the same-origin check and the card token instead."""
    sign_in(http)
    response = card_call(http, "dismiss", client_id=CLIENT_ID, origin=NGO)
    assert response.status_code == 400 and "'token'" in response.json["error_description"]
    assert card_call(http, "dismiss", shown_card(http)).status_code == 200
