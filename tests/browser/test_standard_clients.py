"""A standard client against the IdP, unmodified: oidc-client-ts from npm in real Chromium.

The page (pages/oidc-client.html) loads ``oidc-client-ts.min.js`` exactly as npm ships it
(served from node_modules at /test-pages/vendor/) and uses only its documented API:
``signinSilent``, ``querySessionStatus``, ``monitorSession`` and the discovery document's
``check_session_iframe`` (OIDC Session Management 1.0). Nothing of LxL's SDK is involved.
Third-party cookies are allowed: a standard client's hidden ``prompt=none`` frame needs them.
"""

from urllib.parse import urlencode

import pytest
from selenium.webdriver.common.by import By

from app.idp import clients, consents
from app.idp.models import User
from app.idp.oidc import claims
from tests.browser.harness import claims_of, sign_in_at_idp, wait

SCOPE = "openid email"


@pytest.fixture(scope="module")
def client_id(live):
    """A public client of its own, whose silent redirect URI is the library's callback page."""
    with live.app.app_context():
        client, _ = clients.register(
            "oidc-client-ts test page",
            redirect_uris=[f"{live.ngo}/test-pages/oidc-callback.html",
                           f"{live.ngo}/test-pages/oidc-silent.html"],
            web_origins=[live.ngo])
        return client.client_id


def consented_user(live, client_id):
    """Create a fresh user who has granted ``SCOPE`` to the test client; return its email."""
    email = live.new_user()
    with live.app.app_context():
        consents.remember(User.by_email(email), client_id, SCOPE)
    return email


def signed_in_browser(make_browser, live, client_id):
    """A browser (third-party cookies allowed) signed in at the IdP as a consented user."""
    driver = make_browser("allowed")
    email = consented_user(live, client_id)
    sign_in_at_idp(driver, live, email)
    wait(driver).until(lambda d: "/account" in d.current_url)
    return driver, email


def open_client_page(driver, live, client_id, monitor=False):
    query = {"idp": live.idp, "client_id": client_id, "monitor": "1" if monitor else "0"}
    driver.get(f"{live.ngo}/test-pages/oidc-client.html?{urlencode(query)}")
    wait(driver).until(lambda d: d.execute_script("return !!window.oidcTest"))


def run(driver, op, *args, seconds=15):
    """Call ``window.oidcTest[op](...args)``; wait for the outcome it records and return it."""
    before = len(_results(driver, op))
    driver.execute_script(f"window.oidcTest.{op}.apply(null, arguments)", *args)
    try:
        return wait(driver, seconds).until(lambda d: _results(d, op)[before:] or False)[0]
    except Exception:
        logs = "\n".join(entry["message"] for entry in driver.get_log("browser"))
        raise AssertionError(f"{op} recorded nothing within {seconds} s; console:\n{logs}")


def _results(driver, op):
    return [r for r in driver.execute_script("return window.oidcTest.results")
            if r["op"] == op]


def expected_subject(live, email, client_id):
    with live.app.app_context():
        return claims.subject(User.by_email(email), client_id)


def sign_out_in_another_tab(driver, live):
    """Sign out with the IdP account page's "Sign out" button (CSRF form) in a second tab."""
    page = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(f"{live.idp}/account")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/signout'] button[type=submit]").click()
    wait(driver).until(lambda d: "/signin" in d.current_url)
    driver.close()
    driver.switch_to.window(page)


def session_messages(driver):
    return driver.execute_script("return window.oidcTest.sessionMessages")


def test_signin_silent_resolves_with_a_user(make_browser, live, client_id):
    driver, email = signed_in_browser(make_browser, live, client_id)
    open_client_page(driver, live, client_id)
    outcome = run(driver, "signinSilent")
    assert outcome["ok"], outcome
    assert isinstance(outcome["sub"], str)
    assert outcome["sub"] == expected_subject(live, email, client_id)
    assert outcome["id_token"]
    issued = claims_of(outcome["id_token"])
    assert issued["iss"] == live.idp and issued["aud"] == client_id
    assert outcome["email"] == email and outcome["session_state"]


def test_query_session_status_names_session_state_and_sub(make_browser, live, client_id):
    driver, email = signed_in_browser(make_browser, live, client_id)
    open_client_page(driver, live, client_id)
    outcome = run(driver, "querySessionStatus")
    assert outcome["ok"], outcome
    status = outcome["status"]
    assert set(status) == {"session_state", "sub"}
    assert status["sub"] == expected_subject(live, email, client_id)
    assert isinstance(status["session_state"], str) and "." in status["session_state"]


def test_check_session_iframe_says_unchanged_then_changed_after_sign_out(
        make_browser, live, client_id):
    driver, _ = signed_in_browser(make_browser, live, client_id)
    open_client_page(driver, live, client_id)
    session_state = run(driver, "signinSilent")["session_state"]
    opened = run(driver, "openSessionFrame")
    assert opened["ok"] and opened["url"] == f"{live.idp}/oidc/iframe/session"

    driver.execute_script("window.oidcTest.checkSession(arguments[0])", session_state)
    wait(driver).until(lambda d: len(session_messages(d)) == 1)
    assert session_messages(driver) == ["unchanged"]

    sign_out_in_another_tab(driver, live)
    driver.execute_script("window.oidcTest.checkSession(arguments[0])", session_state)
    wait(driver).until(lambda d: len(session_messages(d)) == 2)
    assert session_messages(driver) == ["unchanged", "changed"]

    # What a client does on "changed": ask again, and learn the user is gone. signinSilent
    # tries the stored refresh token first: sign-out revoked it (it was session-bound).
    outcome = run(driver, "signinSilent")
    assert not outcome["ok"] and outcome["error"] == "invalid_grant", outcome
    outcome = run(driver, "signinSilent", {"forceIframeAuth": True})
    assert not outcome["ok"] and outcome["error"] == "login_required", outcome


def test_check_session_iframe_answers_error_to_an_origin_the_client_did_not_register(
        make_browser, live):
    """The frame lists no client: it asks the IdP about each message's client and origin."""
    elsewhere = live.register_client("Registered elsewhere", "http://elsewhere.localhost:9")
    driver = make_browser("allowed")
    open_client_page(driver, live, elsewhere)
    assert run(driver, "openSessionFrame")["ok"]
    driver.execute_script("window.oidcTest.checkSession(arguments[0])", "0" * 64 + ".salt")
    wait(driver).until(lambda d: len(session_messages(d)) == 1)
    assert session_messages(driver) == ["error"]


def test_monitor_session_raises_user_signed_out(make_browser, live, client_id):
    driver, _ = signed_in_browser(make_browser, live, client_id)
    open_client_page(driver, live, client_id, monitor=True)
    assert run(driver, "signinSilent")["ok"]
    # The library opened the advertised check_session_iframe itself.
    wait(driver).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"iframe[src='{live.idp}/oidc/iframe/session']"))

    sign_out_in_another_tab(driver, live)
    wait(driver, 20).until(
        lambda d: "UserSignedOut" in d.execute_script("return window.oidcTest.events"))


def test_signed_out_browser_signin_silent_rejects_login_required(make_browser, live, client_id):
    driver = make_browser("allowed")
    open_client_page(driver, live, client_id)
    outcome = run(driver, "signinSilent")
    assert not outcome["ok"]
    assert outcome["error"] == "login_required", outcome
