"""The SDK (sdk/lxl-id.js) as the IdP serves it, in real Chromium on the real origins.

A minimal page on ngo.localhost (pages/sdk.html) loads ``<IdP>/static/lxl-id.js``, calls
``lxl.accounts.id.initialize()`` with options from its query string and records every
callback and ``on_moment`` event with its ``performance.now()`` time in ``window.sdkTest``.
Every wait polls that record (or the server's request log); none sleeps, and the "< 1 s"
checks are durations the page measured from ``initialize()`` to the callback.
"""

import time
from urllib.parse import urlencode

import pytest

from tests.browser.harness import claims_of, grant_storage_access, signed_in, wait

FAST_MS = 1000  # an answer the site can act on before the user notices




def open_sdk_page(driver, server, **query):
    """Load pages/sdk.html on ``server``'s NGO site; wait until the SDK script has run."""
    query = {"idp": server.idp, **{k: str(v).lower() if isinstance(v, bool) else v
                                   for k, v in query.items()}}
    driver.get(f"{server.ngo}/test-pages/sdk.html?{urlencode(query)}")
    wait(driver).until(lambda d: d.execute_script("return !!(window.sdkTest && sdkTest.loaded)"))


def recorded(driver, what):
    """``callbacks``, ``moments`` or ``messages`` as the page recorded them so far."""
    return driver.execute_script(f"return window.sdkTest.{what}")


def wait_for_callback(driver, number=1):
    """Wait for the page's ``number``-th callback; return it ({at, since, response})."""
    return wait(driver).until(
        lambda d: len(calls := recorded(d, "callbacks")) >= number and calls[number - 1])


def wait_for_idp_message(driver, matches, after=0):
    """Wait until the page got a message from the IdP, from index ``after``, that ``matches``."""
    def found(d):
        return next((m["data"] for m in recorded(d, "messages")[after:] if matches(m["data"])),
                    False)
    return wait(driver).until(found)


def assert_failure(call, reason):
    # ``credential: undefined`` arrives as None (WebDriver serialises undefined as null).
    assert call["response"] == {"credential": None, "error": "login_required",
                                "reason": reason}, call


def assert_result_moment(driver, ok, reason=None):
    results = [{k: v for k, v in m["moment"].items() if k != "ms"}
               for m in recorded(driver, "moments") if m["moment"]["type"] == "result"]
    expected = {"type": "result", "ok": ok, **({"reason": reason} if reason else {})}
    assert results == [expected]


def assert_credential(call, live, nonce=None):
    """The callback carries an ID token for ngo-demo from this IdP: check its claims."""
    response = call["response"]
    assert response["select_by"] == "auto" and response["client_id"] == "ngo-demo"
    claims = claims_of(response["credential"])
    assert claims["iss"] == live.idp
    assert claims["aud"] == "ngo-demo" or claims["aud"] == ["ngo-demo"]
    assert claims["exp"] > time.time() >= claims["iat"] - 5
    if nonce is not None:
        assert claims["nonce"] == nonce
    return claims


# --- Outcomes of one page load -------------------------------------------------------------

def test_signed_in_and_consented_gets_a_checked_credential(make_browser, live):
    driver = make_browser("allowed")
    email = signed_in(driver, live)
    since = len(live.idp_requests)
    open_sdk_page(driver, live, nonce="site-nonce-1")

    call = wait_for_callback(driver)
    claims = assert_credential(call, live, nonce="site-nonce-1")
    assert claims["email"] == email
    moments = [m["moment"] for m in recorded(driver, "moments")]
    stamps = [m.pop("ms") for m in moments]
    assert stamps == sorted(stamps), "each stamped with performance.now() as it happened"
    assert moments == [{"type": "step", "step": "check_session"},
                       {"type": "message", "message": "lxl:hello", "frame": "check_session"},
                       {"type": "message", "message": "lxl:session", "frame": "check_session",
                        "status": "logged_in"},
                       {"type": "step", "step": "authorize"},
                       {"type": "message", "message": "authorization_response",
                        "frame": "check_session"},
                       {"type": "step", "step": "callback"},
                       {"type": "result", "ok": True}]
    # One frame did it all: the status frame carried the authorization request.
    assert [r.path for r in live.authorizations(since)] == ["/oidc/iframe/check_session"]


def _no_sign_in(driver, live):
    pass


def _signed_in_without_consent(driver, live):
    signed_in(driver, live, consented=False)


def _session_expired(driver, live):
    live.expire_sessions(signed_in(driver, live))  # fast-forward past its lifetime


@pytest.mark.parametrize("setup, reason", [
    (_no_sign_in, "no_session"),
    (_signed_in_without_consent, "consent_required"),
    (_session_expired, "session_expired"),
])
def test_no_credential_names_the_reason(make_browser, live, setup, reason):
    driver = make_browser("allowed")
    setup(driver, live)
    open_sdk_page(driver, live)
    assert_failure(wait_for_callback(driver), reason)
    assert_result_moment(driver, ok=False, reason=reason)


def test_disable_auto_select_then_a_new_page_load_is_auto_select_disabled(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_sdk_page(driver, live)
    assert_credential(wait_for_callback(driver), live)

    driver.execute_script("lxl.accounts.id.disableAutoSelect()")
    answer = wait_for_idp_message(driver, lambda m: m.get("type") == "lxl:auto_select_disabled")
    assert answer["ok"] is True

    open_sdk_page(driver, live)
    assert_failure(wait_for_callback(driver), "auto_select_disabled")


@pytest.fixture(scope="module")
def other_sites_client(live):
    """A client whose only web origin is another site than the test page's."""
    return live.register_client("Other NGO", f"http://other.localhost:{live.port}")


@pytest.mark.parametrize("reason", ["unknown_client", "origin_not_allowed"])
def test_a_refused_frame_names_the_configuration_error(make_browser, live, other_sites_client,
                                                       reason):
    driver = make_browser("allowed")
    signed_in(driver, live)
    client_id = "no-such-client" if reason == "unknown_client" else other_sites_client
    open_sdk_page(driver, live, client_id=client_id)
    assert_failure(wait_for_callback(driver), reason)
    assert_result_moment(driver, ok=False, reason=reason)


def test_idp_stopped_is_idp_unreachable_within_a_second(make_browser, short_lived_server):
    server = short_lived_server
    driver = make_browser("allowed")
    open_sdk_page(driver, server, manual=1)  # the SDK script came from the IdP while it was up
    server.kill()
    driver.execute_script("sdkTest.init()")
    call = wait_for_callback(driver)
    assert_failure(call, "idp_unreachable")
    assert call["since"] < FAST_MS


def test_third_party_cookies_blocked_is_said_within_a_second(make_browser, live):
    driver = make_browser("blocked")
    signed_in(driver, live)  # signed in: the frame just cannot see it
    open_sdk_page(driver, live)
    call = wait_for_callback(driver)
    assert_failure(call, "third_party_cookies_blocked")
    assert call["since"] < FAST_MS


@pytest.mark.parametrize("itp_support", [False, True])
def test_blocked_but_storage_access_granted_gets_the_credential(make_browser, live, itp_support):
    driver = make_browser("blocked")
    signed_in(driver, live)
    grant_storage_access(driver, live)
    open_sdk_page(driver, live, itp_support=itp_support, nonce="granted")
    assert_credential(wait_for_callback(driver), live, nonce="granted")


# --- Tabs ----------------------------------------------------------------------------------

def lock_waiters(driver, name="lxl:silent:ngo-demo"):
    """How many requests for the Web Lock ``name`` are waiting in this browser."""
    snapshot = driver.execute_async_script("navigator.locks.query().then(arguments[0])")
    return sum(1 for lock in snapshot["pending"] if lock["name"] == name)


def test_two_tabs_at_once_make_one_authorization_and_both_get_the_credential(make_browser,
                                                                              live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    tab_a = driver.current_window_handle
    open_sdk_page(driver, live, manual=1)
    driver.switch_to.new_window("tab")
    tab_b = driver.current_window_handle
    open_sdk_page(driver, live, manual=1)
    since = len(live.idp_requests)

    # "At once", made certain: the IdP holds tab A's request until tab B is waiting too.
    with live.hold("/oidc/iframe/check_session") as held:
        driver.switch_to.window(tab_a)
        driver.execute_script("sdkTest.init()")
        wait(driver).until(lambda _: held)
        driver.switch_to.window(tab_b)
        driver.execute_script("sdkTest.init()")
        wait(driver).until(lambda d: lock_waiters(d) == 1)

    credential_b = wait_for_callback(driver)["response"]
    driver.switch_to.window(tab_a)
    credential_a = wait_for_callback(driver)["response"]
    assert_credential({"response": credential_a}, live)
    assert_credential({"response": credential_b}, live)
    assert credential_b["credential"] == credential_a["credential"]
    assert len(live.authorizations(since)) == 1


def test_disable_auto_select_in_one_tab_signs_the_other_tab_out(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    tab_a = driver.current_window_handle
    open_sdk_page(driver, live)
    wait_for_callback(driver)
    driver.switch_to.new_window("tab")
    open_sdk_page(driver, live)
    wait_for_callback(driver)
    tab_b = driver.current_window_handle

    driver.switch_to.window(tab_a)
    driver.execute_script("lxl.accounts.id.disableAutoSelect()")
    wait_for_idp_message(driver, lambda m: m.get("type") == "lxl:auto_select_disabled")
    driver.switch_to.window(tab_b)
    wait(driver).until(lambda d: "signed_out" in
                       [m["moment"]["type"] for m in recorded(d, "moments")])
    # Tab B forgot its credential: if coming back to it re-checks, the IdP says why.
    later = recorded(driver, "callbacks")[1:]
    assert all(c["response"].get("reason") == "auto_select_disabled" for c in later), later


def test_visibilitychange_with_a_fresh_credential_makes_no_request(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_sdk_page(driver, live)
    assert_credential(wait_for_callback(driver), live)
    requests_before = len(live.idp_requests)
    resources_before = driver.execute_script("return sdkTest.resources()")
    messages_before = len(recorded(driver, "messages"))

    driver.execute_script("document.dispatchEvent(new Event('visibilitychange'))")
    # The SDK re-checks through the status frame it kept; the frame answers from its cookie.
    answer = wait_for_idp_message(driver, lambda m: m.get("type") == "lxl:session",
                                  after=messages_before)
    assert answer["status"] == "unchanged"

    assert live.idp_requests[requests_before:] == []
    assert driver.execute_script("return sdkTest.resources()") == resources_before
    assert len(recorded(driver, "callbacks")) == 1

