"""The NGO site's own session: fixation, sign-out, refresh tokens, the prompt=none round trip.

Over real HTTP (conftest.LiveSite): the NGO backend calls the IdP's discovery, token and
JWKS endpoints itself. A test client of the same app reaches into a stored session where a
test must fast-forward time.
"""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt

from app.extensions import db
from app.idp import keys
from app.idp.models import SigningKey
from app.ngo import supporters
from tests.helpers import csrf_token
from tests.ngo.conftest import signed_in_name

SIGN_IN_PATHS = {
    "credential": lambda browser, live: browser.sign_in_with_credential(
        live, sub="pairwise-victim", name="Victim"),
    "code flow": lambda browser, live: browser.sign_in_with_code_flow(
        live, email="grace@example.org"),
}


def ngo_session_id(browser):
    return browser.cookies.get("ngo_session", domain="ngo.localhost")


@pytest.mark.parametrize("sign_in", SIGN_IN_PATHS.values(), ids=SIGN_IN_PATHS.keys())
def test_a_planted_session_cookie_never_becomes_the_signed_in_session(
        live, make_browser, sign_in):
    attacker, victim = make_browser(), make_browser()
    assert attacker.sign_in_with_credential(live, sub="pairwise-mallory").status_code == 200
    planted = ngo_session_id(attacker)
    victim.cookies.set("ngo_session", planted, domain="ngo.localhost")

    sign_in(victim, live)

    assert signed_in_name(victim.get(f"{live.ngo}/")) in ("Victim", "Grace Hopper")
    assert ngo_session_id(victim) != planted
    assert signed_in_name(attacker.get(f"{live.ngo}/")) is None  # the planted id is gone


def test_the_members_page_shows_the_supporters_own_shifts_and_donations(live, make_browser):
    ada, grace = make_browser(), make_browser()
    ada.sign_in_with_credential(live, sub="pairwise-ada")
    grace.sign_in_with_code_flow(live, email="grace@example.org")
    with live.app.app_context():
        supporters.shifts_of("pairwise-ada")[0].task = "Watering the orchard"
        db.session.commit()
    ada_page, grace_page = ada.get(f"{live.ngo}/members"), grace.get(f"{live.ngo}/members")
    assert signed_in_name(ada_page) == "Ada Lovelace" and "Watering the orchard" in ada_page.text
    assert signed_in_name(grace_page) == "Grace Hopper"
    assert "data-ngo-shifts" in grace_page.text and "Watering the orchard" not in grace_page.text
    assert "A tree for every street" in grace_page.text  # donations, seeded at first sign-in


def test_signing_out_ends_the_site_session_and_stops_auto_select_once(live, browser):
    browser.sign_in_with_code_flow(live)
    page = browser.get(f"{live.ngo}/")
    assert browser.cookies.get("ngo_returning", domain="ngo.localhost")

    after = browser.submit(page)  # the first form: POST /logout, one button
    assert after.url == f"{live.ngo}/" and signed_in_name(after) is None
    assert "lxl.accounts.id.disableAutoSelect()" in after.text
    assert browser.cookies.get("ngo_returning", domain="ngo.localhost") is None
    again = browser.get(f"{live.ngo}/")
    assert "disableAutoSelect()" not in again.text and "data-prompt-none-url" not in again.text
    assert browser.get(f"{live.idp}/account").url == f"{live.idp}/account"  # IdP: still in


def test_also_signing_out_of_lxl_id_ends_the_idp_session_too(live, browser):
    browser.sign_in_with_code_flow(live)
    page = browser.get(f"{live.ngo}/")
    landed = browser.submit(page, action="/logout/lxl-id", allow_redirects=False)
    end_session = urlsplit(landed.headers["Location"])
    query = parse_qs(end_session.query)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == \
        f"{live.idp}/oidc/logout"
    assert query["post_logout_redirect_uri"] == [f"{live.ngo}/"] and query["id_token_hint"]

    home = browser.get(landed.headers["Location"])  # the hint names her: no confirmation
    assert home.url.startswith(f"{live.ngo}/") and signed_in_name(home) is None
    assert browser.get(f"{live.idp}/account").url.startswith(f"{live.idp}/signin")


def stored_tokens(live, browser):
    """Return the tokens kept in the browser's stored NGO session."""
    http = live.app.test_client()
    http.set_cookie("ngo_session", ngo_session_id(browser), domain="ngo.localhost")
    with http.session_transaction(f"{live.ngo}/") as session:
        return dict(session["tokens"])


def make_tokens_due(live, browser):
    """Fast-forward: make the stored access token about to expire."""
    http = live.app.test_client()
    http.set_cookie("ngo_session", ngo_session_id(browser), domain="ngo.localhost")
    with http.session_transaction(f"{live.ngo}/") as session:
        session["tokens"] = {**session["tokens"], "expires_at": 0}


def test_tokens_are_refreshed_before_they_expire(live, browser):
    browser.sign_in_with_code_flow(live)
    before = stored_tokens(live, browser)
    browser.get(f"{live.ngo}/")
    assert stored_tokens(live, browser) == before, "not due: no refresh"

    make_tokens_due(live, browser)
    page = browser.get(f"{live.ngo}/members")
    after = stored_tokens(live, browser)
    assert signed_in_name(page) == "Ada Lovelace"
    assert after["refresh_token"] != before["refresh_token"] and after["expires_at"] > 0
    assert "tokens" not in browser.get(f"{live.ngo}/").text  # never in a page


def sign_out_at_idp(browser, live):
    page = browser.get(f"{live.idp}/account")
    browser.post(f"{live.idp}/signout", data={"csrf_token": csrf_token(page.text)})


def revoke_refresh_token(browser, live):
    browser.post(f"{live.idp}/oidc/revoke", data={
        "token": stored_tokens(live, browser)["refresh_token"], "client_id": "ngo-demo"})


@pytest.mark.parametrize("end_it", [sign_out_at_idp, revoke_refresh_token],
                         ids=["IdP sign-out", "revoked token"])
def test_a_refused_refresh_signs_the_supporter_out_of_the_site(live, browser, caplog, end_it):
    browser.sign_in_with_code_flow(live)
    end_it(browser, live)
    make_tokens_due(live, browser)
    caplog.set_level(logging.INFO, logger="app.ngo")
    page = browser.get(f"{live.ngo}/members")
    assert page.status_code == 200 and signed_in_name(page) is None
    assert "data-ngo-shifts" not in page.text
    assert any("refused the refresh token" in r.getMessage() for r in caplog.records)


def test_the_sites_log_never_names_the_supporter(live, browser, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    browser.sign_in_with_code_flow(live)
    http = live.app.test_client()
    http.set_cookie("ngo_session", ngo_session_id(browser), domain="ngo.localhost")
    with http.session_transaction(f"{live.ngo}/") as session:
        sub = session["user"]["sub"]
    make_tokens_due(live, browser)
    browser.get(f"{live.ngo}/members")  # refreshed
    revoke_refresh_token(browser, live)
    make_tokens_due(live, browser)
    assert signed_in_name(browser.get(f"{live.ngo}/members")) is None  # refused
    messages = [record.getMessage() for record in caplog.records if record.name == "app.ngo"
                or record.name.startswith("app.ngo.")]
    assert any("Signed in" in message for message in messages)
    assert any("refused" in message for message in messages)
    assert not [message for message in messages if sub in message]


def expire_site_session(browser):
    """The site session ended (expired on the server) while the IdP session lives."""
    browser.cookies.clear("ngo.localhost", "/", "ngo_session")


def test_a_returning_supporter_is_offered_one_prompt_none_round_trip(live, browser):
    assert "data-prompt-none-url" not in browser.get(f"{live.ngo}/members").text  # a stranger
    browser.sign_in_with_code_flow(live)
    expire_site_session(browser)

    page = browser.get(f"{live.ngo}/members")
    assert signed_in_name(page) is None
    assert 'data-prompt-none-url="/auth/silent?next=/members"' in page.text

    to_idp = browser.get(f"{live.ngo}/auth/silent?next=/members", allow_redirects=False)
    request = parse_qs(urlsplit(to_idp.headers["Location"]).query)
    assert to_idp.headers["Location"].startswith(f"{live.idp}/oidc/authorize?")
    assert request["prompt"] == ["none"] and request["response_type"] == ["code"]
    assert request["code_challenge_method"] == ["S256"] and request["id_token_hint"]
    back = browser.get(to_idp.headers["Location"])
    assert back.url == f"{live.ngo}/members" and signed_in_name(back) == "Ada Lovelace"

    expire_site_session(browser)  # once per browser session: not again
    assert "data-prompt-none-url" not in browser.get(f"{live.ngo}/").text
    again = browser.get(f"{live.ngo}/auth/silent?next=/", allow_redirects=False)
    assert again.headers["Location"] == "/"


def test_a_prompt_none_error_brings_back_the_sign_in_link_not_a_page(live, browser):
    browser.sign_in_with_code_flow(live)
    expire_site_session(browser)
    sign_out_at_idp(browser, live)

    back = browser.get(f"{live.ngo}/auth/silent?next=/members")  # → login_required
    assert back.url == f"{live.ngo}/members" and back.status_code == 200
    assert signed_in_name(back) is None and "Sign-in did not work" not in back.text
    assert "data-ngo-signin" in back.text and "data-prompt-none-url" not in back.text


def test_a_refused_hint_brings_back_the_sign_in_link_and_forgets_the_browser(live, browser):
    browser.sign_in_with_code_flow(live)
    expire_site_session(browser)
    with live.app.app_context():  # the key that signed the hint is no longer published
        keys.rotate()
        db.session.execute(db.update(SigningKey).where(SigningKey.retired_at.is_not(None))
                           .values(retired_at=SigningKey.retired_at - 365 * 24 * 3600))
        db.session.commit()

    back = browser.get(f"{live.ngo}/auth/silent?next=/members")  # → invalid_request
    assert back.url == f"{live.ngo}/members" and back.status_code == 200
    assert "Sign-in did not work" not in back.text and "data-ngo-signin" in back.text
    assert not any(c.name == "ngo_returning" for c in browser.cookies)


@pytest.mark.parametrize("next_path", ["/auth/callback", "/login", "/logout"])
def test_the_sign_in_machinery_is_never_a_return_path(live, browser, next_path):
    page = browser.sign_in_with_code_flow(live, next_path=next_path)
    assert page.url == f"{live.ngo}/" and signed_in_name(page) == "Ada Lovelace"


def test_no_round_trip_after_signing_out_of_the_site(live, browser):
    browser.sign_in_with_code_flow(live)
    browser.submit(browser.get(f"{live.ngo}/"))  # sign out
    assert "data-prompt-none-url" not in browser.get(f"{live.ngo}/").text
    stay = browser.get(f"{live.ngo}/auth/silent?next=/", allow_redirects=False)
    assert stay.headers["Location"] == "/"


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/",
                                       "/\\evil.example/", "members"])
def test_return_paths_stay_on_the_site(live, browser, next_path):
    browser.sign_in_with_code_flow(live)
    expire_site_session(browser)
    back = browser.get(f"{live.ngo}/auth/silent", params={"next": next_path})
    assert back.url == f"{live.ngo}/"


def test_the_id_token_hint_is_an_id_token_of_ours(live, browser):
    browser.sign_in_with_code_flow(live)
    expire_site_session(browser)
    location = browser.get(f"{live.ngo}/auth/silent", allow_redirects=False).headers["Location"]
    hint = parse_qs(urlsplit(location).query)["id_token_hint"][0]
    with live.app.app_context():
        claims = jwt.decode(hint, keys.public_key_set()).claims
    assert claims["aud"] == "ngo-demo" and claims["iss"] == live.idp


def test_many_sign_in_clicks_keep_the_cookie_small_and_the_last_one_works(live, browser):
    for _ in range(20):
        browser.get(f"{live.ngo}/login", allow_redirects=False)
    cookie = next(c for c in browser.cookies if c.name == "ngo_session")
    assert len(cookie.value) < 1000, "one pending sign-in, not twenty"
    page = browser.sign_in_with_code_flow(live)
    assert signed_in_name(page) == "Ada Lovelace"
