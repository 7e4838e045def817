"""LxL ID's sign-in button on the sample NGO site, in real Chromium on the real origins.

The site renders the SDK's button (``renderButton``) in its header: home opens the popup,
``/members`` redirects (``ux_mode: 'redirect'``). What the page was told (the SDK's moments,
its callback's responses, the IdP's messages) is recorded from before its first script
(``record_sign_in``). Every wait is for an event, never a fixed sleep.
"""

import re
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from app.ngo.cookies import NONCE as NONCE_COOKIE, RETURN_TO
from app.ngo.credentials import CSRF_COOKIE
from tests.browser.harness import (
    BUTTON_FRAME, COOKIE_MODES, SIGN_IN_LINK, SIGN_IN_STATUS, axe_violations, claims_of,
    click_sign_in_button, decide, inside, mark_document, record_sign_in, same_document,
    sign_in_at_idp, sign_in_in_popup, signed_in_name, site_cookies, told, wait,
    wait_for_popup, wait_for_sign_in_button, wait_signed_in, wait_told)

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
# "At once": what the SDK promises for a closed or blocked popup, far below any timeout
# (timeout_ms is 5000). A closed popup is seen by polling `closed` every 100 ms, twice.
AT_ONCE_MS = 1000


def is_result(m):
    return m.get("type") == "result"


def is_credential(m):
    return bool(m.get("credential"))


def is_failure(reason):
    """A callback's failure response (moments have no ``error``)."""
    return lambda m: m.get("error") == "login_required" and m.get("reason") == reason


def idp_paths(live, since):
    return [r.path for r in live.idp_requests[since:]]


def trace_outcome(driver):
    return driver.execute_script(
        "return document.querySelector('#lxl-trace .trace-outcome').textContent")


def first_sign_in_with_the_popup(driver, live, email):
    """A first visit: silent sign-in says no, the button's popup signs in and consents."""
    driver.get(f"{live.ngo}/")
    wait_told(driver, is_result)
    mark_document(driver)
    click_sign_in_button(driver)
    sign_in_in_popup(driver, live, email)
    response = wait_told(driver, is_credential)
    wait_signed_in(driver)
    return response


def sign_out_of_the_site(driver):
    driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button[type=submit]").click()
    wait_for_sign_in_button(driver)


def test_a_first_visit_signs_in_with_one_click_and_one_popup(browser, live):
    """Whichever the cookie mode: silent sign-in says no, one click, one popup."""
    record_sign_in(browser)
    email = live.new_user()  # has never allowed the NGO site

    response = first_sign_in_with_the_popup(browser, live, email)
    assert response["select_by"] == "btn" and response["client_id"] == "ngo-demo"
    assert claims_of(response["credential"])["email"] == email
    # The click in LxL ID's frame reached the page as a message within its user activation.
    click = next(m for m in told(browser)[1] if m["data"].get("type") == "lxl:click")
    assert click["active"] is True
    assert same_document(browser), "the popup signed the page in without a navigation"
    assert signed_in_name(browser) == live.user(email).name
    wait(browser).until(lambda d: "Signed in with LxL ID’s button" in trace_outcome(d))


def test_blocked_the_next_load_says_why_and_the_button_needs_no_typing(make_browser, live):
    driver = make_browser("blocked")
    record_sign_in(driver)
    email = live.new_user()
    first_sign_in_with_the_popup(driver, live, email)

    # The next page load: silent sign-in says truthfully why it cannot see LxL ID's session.
    driver.get(f"{live.ngo}/members")
    result = wait_told(driver, is_result)
    assert result["ok"] is False and result["reason"] == "third_party_cookies_blocked"
    assert signed_in_name(driver)  # the site's own session

    # Signed out of the site, the button signs in again: no form, nothing typed.
    sign_out_of_the_site(driver)
    since = len(live.idp_requests)
    click_sign_in_button(driver)
    again = wait_told(driver, is_credential)
    assert again["select_by"] == "btn" and claims_of(again["credential"])["email"] == email
    assert wait_signed_in(driver) == live.user(email).name
    assert "/signin" not in idp_paths(live, since)
    wait(driver).until(lambda d: len(d.window_handles) == 1)  # the popup closes itself


@pytest.mark.parametrize("popup_blocker", [False, True], ids=["chromedriver", "popup-blocker"])
def test_after_a_popup_sign_in_the_click_asks_for_storage_access(make_browser, live,
                                                                  popup_blocker):
    """The popup was a top-level visit of LxL ID, so the next click asks for storage access
    in the button's frame. Headless Chromium cannot show the prompt: the request is refused,
    and the refusal costs the click its activation (docs/browser-facts.md)."""
    driver = make_browser("blocked", popup_blocker=popup_blocker)
    record_sign_in(driver)
    email = live.new_user()
    first_sign_in_with_the_popup(driver, live, email)
    sign_out_of_the_site(driver)
    src = driver.find_element(*BUTTON_FRAME).get_attribute("src")
    assert "ask_storage_access=1" in src and "itp_support=1" in src

    click_sign_in_button(driver)
    if popup_blocker:  # the refused request consumed the click's activation
        failure = wait_told(driver, is_failure("popup_blocked"))
    else:  # ChromeDriver's default: no popup blocker, so the popup opens all the same
        wait_told(driver, is_credential)
    _, messages = told(driver)
    kinds = [m["data"].get("type") for m in messages if m["origin"] == live.idp]
    refused = [m for m in messages if m["data"].get("type") == "lxl:storage_access"]
    assert [m["data"]["granted"] for m in refused] == [False]
    assert kinds.index("lxl:storage_access") < kinds.index("lxl:click")
    if popup_blocker:
        assert failure["at"] - refused[0]["at"] < 100  # at once after the refusal
        assert driver.find_element(*SIGN_IN_LINK).is_displayed()

    # Refused once, never asked again on this site: the next click goes straight to the popup.
    if popup_blocker:
        driver.get(f"{live.ngo}/")
    else:
        wait_signed_in(driver)
        sign_out_of_the_site(driver)
    wait_for_sign_in_button(driver)
    assert "ask_storage_access" not in driver.find_element(*BUTTON_FRAME).get_attribute("src")
    click_sign_in_button(driver)
    wait_told(driver, is_credential)
    assert not [m for m in told(driver)[1] if m["data"].get("type") == "lxl:storage_access"]


def test_storage_access_granted_the_click_signs_in_without_a_popup(make_browser, live):
    """The grant comes after the page loaded (as a person's answer to the prompt would): the
    click gets storage access in the button's frame and finishes there."""
    driver = make_browser("blocked")
    record_sign_in(driver)
    email = live.new_user()
    first_sign_in_with_the_popup(driver, live, email)
    sign_out_of_the_site(driver)
    driver.execute_cdp_cmd("Browser.setPermission", {
        "permission": {"name": "storage-access"}, "setting": "granted",
        "origin": live.ngo, "embeddedOrigin": live.idp})

    since = len(live.idp_requests)
    click_sign_in_button(driver)
    response = wait_told(driver, is_credential)
    assert response["select_by"] == "btn" and claims_of(response["credential"])["email"] == email
    assert wait_signed_in(driver) == live.user(email).name
    granted = [m["data"] for m in told(driver)[1] if m["data"].get("type") == "lxl:storage_access"]
    assert granted == [{"type": "lxl:storage_access", "granted": True}]
    assert "/oidc/authorize" not in idp_paths(live, since), "no popup was needed"
    assert len(driver.window_handles) == 1


@pytest.mark.parametrize("third_party_cookies", COOKIE_MODES)
def test_a_closed_popup_is_popup_closed_at_once(make_browser, live, third_party_cookies):
    driver = make_browser(third_party_cookies)
    record_sign_in(driver)
    driver.get(f"{live.ngo}/")
    click_sign_in_button(driver)
    page, popup = driver.current_window_handle, wait_for_popup(driver)
    driver.switch_to.window(popup)
    wait(driver).until(EC.presence_of_element_located((By.NAME, "email")))
    driver.switch_to.window(page)
    # On the page's own clock, which also stamps the failure (record_sign_in).
    closing_at = driver.execute_script("return performance.now()")
    driver.switch_to.window(popup)
    driver.close()
    driver.switch_to.window(page)
    failure = wait_told(driver, is_failure("popup_closed"))
    assert failure["at"] - closing_at < AT_ONCE_MS
    status = driver.find_element(*SIGN_IN_STATUS)
    assert "closed" in status.text and status.get_attribute("role") == "status"
    assert signed_in_name(driver) is None
    assert "popup_closed" in trace_outcome(driver)


def test_deny_in_the_popup_says_so_next_to_the_button(make_browser, live):
    driver = make_browser("blocked")
    record_sign_in(driver)
    driver.get(f"{live.ngo}/")
    wait_told(driver, is_result)
    click_sign_in_button(driver)
    sign_in_in_popup(driver, live, live.new_user(), decision="deny")
    wait_told(driver, is_failure("access_denied"))
    status = driver.find_element(*SIGN_IN_STATUS)
    assert "You chose not to share your LxL ID" in status.text
    assert "access_denied" in trace_outcome(driver) and signed_in_name(driver) is None
    wait_for_sign_in_button(driver)  # the button stays, for another try


def test_a_blocked_popup_is_popup_blocked_at_once(make_browser, live):
    """A click with no user activation (dispatched by script inside the frame), with
    Chromium's popup blocker on: window.open gets nothing."""
    driver = make_browser("blocked", popup_blocker=True)
    record_sign_in(driver)
    driver.get(f"{live.ngo}/")
    frame = wait_for_sign_in_button(driver)
    with inside(driver, frame):
        driver.execute_script("document.querySelector('button').click()")
    failure = wait_told(driver, is_failure("popup_blocked"))
    click = next(m for m in told(driver)[1] if m["data"].get("type") == "lxl:click")
    assert click["active"] is False  # a click by script activates nothing
    assert failure["at"] - click["at"] < 100, "popup_blocked comes with the click"
    assert len(driver.window_handles) == 1
    assert "blocked" in driver.find_element(*SIGN_IN_STATUS).text
    assert driver.find_element(*SIGN_IN_LINK).is_displayed()  # the plain way in


def test_keyboard_only_tab_into_the_button_and_enter(make_browser, live):
    driver = make_browser("blocked")
    record_sign_in(driver)
    email = live.new_user()
    driver.get(f"{live.ngo}/")
    frame = wait_for_sign_in_button(driver)
    keys = ActionChains(driver)
    for _ in range(10):  # the site's name, its two links, then the button
        keys.send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element == frame:
            break
    assert driver.switch_to.active_element == frame, "Tab never reached the button"
    with inside(driver, frame):
        focused = driver.execute_script("""
            const b = document.activeElement;
            return [b.tagName, b.matches(':focus-visible'), getComputedStyle(b).outlineStyle]""")
    assert focused == ["BUTTON", True, "solid"]  # a visible focus ring
    keys.send_keys(Keys.ENTER).perform()
    sign_in_in_popup(driver, live, email)
    click = next(m for m in told(driver)[1] if m["data"].get("type") == "lxl:click")
    assert click["active"] is True  # Enter activates as a click does
    assert wait_told(driver, is_credential)["select_by"] == "btn"
    assert wait_signed_in(driver)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_the_page_or_in_the_button(make_browser, live, scheme):
    driver = make_browser("blocked")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.get(f"{live.ngo}/")
    frame = wait_for_sign_in_button(driver)
    assert axe_violations(driver) == []
    with inside(driver, frame):
        assert axe_violations(driver) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_header_with_the_button(make_browser, live, scheme):
    driver = make_browser("blocked")
    driver.set_window_size(1000, 700)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.get(f"{live.ngo}/")
    frame = wait_for_sign_in_button(driver)
    with inside(driver, frame):
        button = driver.find_element(By.CSS_SELECTOR, "button")
        background = button.value_of_css_property("background-color")
    # The button follows the person's colour scheme (no theme given): outline, filled_black.
    assert background == ("rgba(255, 255, 255, 1)" if scheme == "light" else "rgba(19, 19, 20, 1)")
    ARTIFACTS.mkdir(exist_ok=True)
    header = driver.find_element(By.ID, "ngo-header")
    header.screenshot(str(ARTIFACTS / f"ngo-header-button-{scheme}.png"))


def page_nonce(driver):
    """The nonce the page handed the SDK (base.html's snippet)."""
    return re.search(r'nonce: "([^"]+)"', driver.page_source).group(1)


def start_redirect_sign_in(driver, live, email):
    """/members (redirect mode): the button, LxL ID's sign-in form, up to its consent page;
    return the nonce the page handed the SDK."""
    record_sign_in(driver)
    driver.get(f"{live.ngo}/members")
    wait_told(driver, is_result)
    nonce = page_nonce(driver)
    click_sign_in_button(driver)
    wait(driver).until(EC.url_contains(f"{live.idp}/signin"))
    cookies = site_cookies(driver, live)
    # Chromium keeps the __Host- cookie on http://ngo.localhost (a secure context) and both
    # must come back on LxL ID's cross-site POST.
    for name in (NONCE_COOKIE, CSRF_COOKIE):
        assert cookies[name]["sameSite"] == "None" and cookies[name]["secure"], name
    sign_in_at_idp(driver, live, email, start_url=driver.current_url)
    return nonce


def test_redirect_mode_on_members_signs_in_and_comes_back(browser, live):
    email = live.new_user()
    since = len(live.idp_requests)
    nonce = start_redirect_sign_in(browser, live, email)
    decide(browser, "allow")
    wait(browser).until(EC.url_to_be(f"{live.ngo}/members"))
    assert wait_signed_in(browser) == live.user(email).name
    assert browser.find_elements(By.CSS_SELECTOR, "[data-ngo-shifts]")
    (request,) = [r for r in live.authorizations(since) if r.path == "/oidc/authorize"][:1]
    assert request.params["response_mode"] == "form_post"
    assert request.params["redirect_uri"] == f"{live.ngo}/auth/credential"
    # The sign-in's cookies went with it: its state, its return path, its nonce.
    cookies = site_cookies(browser, live)
    assert CSRF_COOKIE not in cookies and RETURN_TO not in cookies
    assert page_nonce(browser) != nonce


def test_deny_in_redirect_mode_comes_back_to_members_and_says_so(browser, live):
    start_redirect_sign_in(browser, live, live.new_user())
    decide(browser, "deny")
    wait(browser).until(EC.url_to_be(f"{live.ngo}/members"))
    flash = browser.find_element(By.CSS_SELECTOR, "#ngo-main .flash[role=status]")
    assert "You chose not to sign in with LxL ID" in flash.text
    assert signed_in_name(browser) is None
    wait_for_sign_in_button(browser)
    # The answered state is gone (the return cookie is back: /members set it for a new click).
    assert CSRF_COOKIE not in site_cookies(browser, live)
