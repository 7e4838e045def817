"""The sample NGO site itself, in real Chromium on the real origins, both cookie modes.

A supporter signs in once, with LxL ID's button; from then on every page finds them
signed in without a click: by the SDK's hidden frame when third-party cookies are allowed,
by one top-level prompt=none round trip when they are blocked. Every wait is for an event
on the page (a DOM hook of CONTRACT.md), never a fixed sleep.
"""

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from app.extensions import db
from app.idp.models import AutoSelectOptOut, BrowserSession, User
from app.ngo.cookies import NONCE as NONCE_COOKIE
from tests.browser.harness import (
    SIGN_IN_LINK, across_navigations, click_sign_in_button, expire_site_session,
    mark_document, new_browser, no_visible_idp_ui, record_sign_in, same_document, sign_in_in_popup,
    sign_in_through_the_site, signed_in_name, told, wait, wait_for_sign_in_button,
    wait_for_sign_in_link, wait_signed_in)

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
# The SDK's whole budget for one silent attempt (sdk/lxl-id.js DEFAULT_TIMEOUT_MS), and a
# margin for the page to show the link after it.
SDK_TIMEOUT_SECONDS, MARGIN_SECONDS = 5, 3
# Makes the SDK's initialize() throw, as it does for a setup it refuses (ux_mode 'redirect'
# outside a secure context, say): the SDK assigns window.lxl once, through this setter.
INITIALIZE_REFUSES = """
(() => {
  let sdk;
  Object.defineProperty(window, 'lxl', {configurable: true, get: () => sdk, set: value => {
    const id = {...value.accounts.id, initialize() {
      throw new TypeError('lxl-id: refused by the test');
    }};
    sdk = {...value, accounts: {...value.accounts, id}};
  }});
})();
"""

def test_sign_in_once_then_every_reload_is_signed_in_without_ui(browser, live):
    email = live.new_user()
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{live.ngo}/")
    wait_for_sign_in_button(browser)
    browser.save_screenshot(str(ARTIFACTS / f"ngo-signed-out-{browser.third_party_cookies}.png"))

    name = sign_in_through_the_site(browser, live, email)
    assert browser.find_elements(By.CSS_SELECTOR, "[data-ngo-shifts] tbody tr")

    browser.refresh()
    assert wait_signed_in(browser) == name and no_visible_idp_ui(browser, live)
    browser.get(f"{live.ngo}/")
    assert wait_signed_in(browser) == name
    browser.save_screenshot(str(ARTIFACTS / f"ngo-signed-in-{browser.third_party_cookies}.png"))


def test_an_expired_site_session_is_signed_back_in_while_lxl_id_knows_them(browser, live):
    email = live.new_user()
    name = sign_in_through_the_site(browser, live, email)
    expire_site_session(browser, live)

    since = len(live.idp_requests)
    browser.get(f"{live.ngo}/members")
    if browser.third_party_cookies == "allowed":  # the SDK's frame, in place
        mark_document(browser)
        assert wait_signed_in(browser) == name and same_document(browser)
        assert_the_trace_shows_the_whole_sequence(browser)
    else:  # one top-level prompt=none round trip, back on the same page
        assert wait_signed_in(browser) == name
        assert [r for r in live.authorizations(since)
                if r.path == "/oidc/authorize" and r.params.get("prompt") == "none"]
    assert browser.current_url == f"{live.ngo}/members" and no_visible_idp_ui(browser, live)
    assert browser.find_elements(By.CSS_SELECTOR, "[data-ngo-shifts] tbody tr")
    if browser.third_party_cookies == "allowed":
        browser.find_element(By.CSS_SELECTOR, "#lxl-trace .trace-toggle").click()
        browser.get(f"{live.ngo}/")  # the home page, the trace open as this browser left it
        wait_signed_in(browser)
        wait(browser).until(lambda d: "Signed in silently" in trace_outcome(d))
        browser.set_window_size(1100, 1200)
        browser.execute_script("document.getElementById('lxl-trace').scrollIntoView()")
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "ngo-home-signed-in-trace-open.png"))


def assert_the_trace_shows_the_whole_sequence(driver):
    """All five arrows done, in the diagram's order; arrow 3 rode in arrow 1's request."""
    arrows = trace_arrows(driver)
    assert driver.execute_script("""return [...document.querySelectorAll(
        '#lxl-trace [data-lxl-arrow]')].map(e => e.dataset.lxlArrow)""") == ["1", "2", "3", "4", "5"]
    assert all(a["state"] == "done" for a in arrows), arrows
    assert "Signed in silently" in trace_outcome(driver)
    one, two, three, four, five = (a["ms"] for a in arrows)
    assert three == one and one <= two <= four <= five
    # Arrow 1 is stamped when the frame's first message arrives. That hello is the page's first
    # statement, so it may come while the rest of the page is still arriving (before the
    # browser's responseEnd, as on a busy machine), never before the frame's request started,
    # and at most a cross-process postMessage hop (a few ms here) after its response ended.
    started, ended = driver.execute_script("""
        const frame = performance.getEntriesByType('resource')
          .filter(e => e.name.includes('/oidc/iframe/check_session'))[0];
        return [frame.startTime, frame.responseEnd]""")
    assert started <= one < ended + 25, (started, one, ended)


def test_sign_out_stays_signed_out_on_reload(browser, live):
    email = live.new_user()
    sign_in_through_the_site(browser, live, email, path="/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button[type=submit]").click()
    wait_for_sign_in_button(browser)
    if browser.third_party_cookies == "allowed":  # disableAutoSelect() reached LxL ID
        wait(browser).until(lambda _: opted_out(live, email))

    browser.refresh()
    wait_for_sign_in_button(browser)
    assert signed_in_name(browser) is None


def opted_out(live, email):
    with live.app.app_context():
        user = User.by_email(email)
        return db.session.scalar(db.select(AutoSelectOptOut).filter_by(
            user_id=user.id, client_id="ngo-demo")) is not None


def test_also_signing_out_of_lxl_id_ends_the_idp_session(browser, live):
    email = live.new_user()
    sign_in_through_the_site(browser, live, email, path="/")
    browser.find_element(By.CSS_SELECTOR,
                         "form[action='/logout/lxl-id'] button[type=submit]").click()
    wait_for_sign_in_button(browser)
    assert browser.current_url.startswith(f"{live.ngo}/")
    with live.app.app_context():
        user = User.by_email(email)
        assert not [s for s in db.session.scalars(db.select(BrowserSession).filter_by(
            user_id=user.id)) if s.ended_at is None]
    browser.get(f"{live.idp}/account")
    wait(browser).until(EC.url_contains(f"{live.idp}/signin"))


def test_signed_out_of_lxl_id_brings_the_sign_in_button(browser, live):
    email = live.new_user()
    sign_in_through_the_site(browser, live, email)
    browser.get(f"{live.idp}/account")
    browser.find_element(By.CSS_SELECTOR, "form[action='/signout'] button[type=submit]").click()
    wait(browser).until(EC.url_contains(f"{live.idp}/signin"))
    expire_site_session(browser, live)

    browser.get(f"{live.ngo}/members")  # silent sign-in: login_required, whichever way
    wait_for_sign_in_button(browser)
    assert signed_in_name(browser) is None and browser.current_url == f"{live.ngo}/members"


def test_an_unreachable_idp_shows_the_sites_own_sign_in_link_within_a_second(browser, live):
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{live.idp}/*"]})
    try:
        browser.get(f"{live.ngo}/")
        wait_for_sign_in_link(browser, seconds=1)
        shown_at = browser.execute_script("return performance.now()")
        assert shown_at < 1000, f"the sign-in link showed {shown_at:.0f} ms after navigation"
        assert [a["state"] for a in trace_arrows(browser)] == ["failed"] + ["skipped"] * 4
        assert "idp_unreachable" in trace_outcome(browser)
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})


def test_a_credential_the_site_refuses_is_a_failure_in_the_trace(make_browser, live):
    browser = make_browser("allowed")
    sign_in_through_the_site(browser, live, live.new_user())
    expire_site_session(browser, live)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{live.ngo}/auth/credential"]})
    try:
        browser.get(f"{live.ngo}/")
        wait_for_sign_in_button(browser)
        wait(browser).until(lambda d: trace_arrows(d)[4]["state"] == "failed")
        assert [a["state"] for a in trace_arrows(browser)] == ["done"] * 4 + ["failed"]
        assert "refused by the site" in trace_outcome(browser)
        assert signed_in_name(browser) is None
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})


def trace_arrows(driver):
    """The live trace's arrows, in order: [{state, ms}]."""
    return driver.execute_script("""
        return [...document.querySelectorAll('#lxl-trace [data-lxl-arrow]')].map(e => ({
          state: e.dataset.state, ms: e.dataset.ms === undefined ? null : Number(e.dataset.ms)}));""")


def trace_outcome(driver):
    return driver.execute_script(
        "return document.querySelector('#lxl-trace .trace-outcome').textContent")


def test_an_sdk_refusing_the_pages_setup_shows_the_sites_own_link(make_browser, live):
    """initialize() throws: no callback will ever come, so the page must not wait for one."""
    browser = make_browser("allowed")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                            {"source": INITIALIZE_REFUSES})
    browser.get(f"{live.ngo}/")
    wait_for_sign_in_link(browser)
    refusal = [e for e in browser.get_log("browser") if "refused by the test" in e["message"]]
    assert refusal, "the SDK's error still reaches the console"


def test_a_silent_timeout_shows_the_sites_own_link(live):
    """Nothing from LxL ID's frames (held here, as a proxy or a frame-src would keep them
    out): the button's frame cannot come either, so the plain link shows."""
    # Held frames hold the page's load event: 'eager' returns at DOMContentLoaded.
    browser = new_browser("allowed", page_load_strategy="eager")
    try:
        record_sign_in(browser)
        with live.hold("/oidc/iframe/check_session"), live.hold("/oidc/iframe/button"):
            browser.get(f"{live.ngo}/")
            wait_for_sign_in_link(browser, seconds=SDK_TIMEOUT_SECONDS + MARGIN_SECONDS)
            (failure,) = [m for m in told(browser)[0] if m.get("error")]
            assert failure["reason"] == "timeout"
    finally:
        browser.quit()


def test_a_page_whose_nonce_is_gone_reloads_and_its_button_signs_in(make_browser, live):
    """The backend answers nonce_missing (the cookie expired, or a refusal spent it): the
    page reloads for a fresh nonce, rather than drawing a header without its button."""
    browser = make_browser("blocked")
    record_sign_in(browser)
    email = live.new_user()
    browser.get(f"{live.ngo}/")
    wait_for_sign_in_button(browser)
    browser.execute_cdp_cmd("Network.deleteCookies", {"name": NONCE_COOKIE, "url": f"{live.ngo}/"})
    mark_document(browser)
    click_sign_in_button(browser)
    sign_in_in_popup(browser, live, email)
    across_navigations(browser).until(lambda d: not same_document(d))

    wait_for_sign_in_button(browser)
    assert not browser.find_element(*SIGN_IN_LINK).is_displayed()
    click_sign_in_button(browser)  # LxL ID's session is first-party in the popup: no typing
    assert wait_signed_in(browser) == live.user(email).name
    assert not [m for m in told(browser)[0] if m.get("error") == "nonce_missing"]
