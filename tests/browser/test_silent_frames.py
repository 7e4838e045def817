"""Silent sign-in in real Chromium, driven by a few lines of plain JS (no SDK).

The status frame on ngo.localhost answers for the IdP on id.localhost — a third-party
context, as in production — with third-party cookies allowed and blocked.
"""

import pytest
from selenium.webdriver.common.by import By

from tests.browser.harness import (
    claims_of, grant_storage_access, messages, open_test_page, signed_in, wait,
    wait_for_message)


def test_signed_in_user_gets_a_credential_through_one_frame(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_test_page(driver, live)
    driver.execute_script("window.lxlTest.checkSession(true)")
    response = wait_for_message(driver, "authorization_response")["response"]
    types = [m["data"]["type"] for m in messages(driver)]
    assert types == ["lxl:hello", "lxl:session", "authorization_response"]
    assert messages(driver)[1]["data"]["status"] == "logged_in"
    claims = claims_of(response["id_token"])
    assert claims["aud"] == "ngo-demo" and claims["iss"] == live.idp
    assert claims["nonce"].startswith("nonce-") and response["state"].startswith("state-")
    assert len(driver.find_elements(By.TAG_NAME, "iframe")) == 1


@pytest.mark.parametrize("cookies, user, status, reason", [
    ("allowed", None, "logged_out", "no_session"),
    ("allowed", "not consented", "logged_out", "consent_required"),
    # Blocked cookies: the IdP cannot tell, and says so rather than "logged out".
    ("blocked", "consented", "unknown", "third_party_cookies_blocked"),
])
def test_the_status_frame_names_why_there_is_no_credential(make_browser, live, cookies, user,
                                                           status, reason):
    driver = make_browser(cookies)
    if user:
        signed_in(driver, live, consented=user == "consented")
    open_test_page(driver, live)
    driver.execute_script("window.lxlTest.checkSession(true)")
    session = wait_for_message(driver, "lxl:session")
    assert (session["status"], session["reason"]) == (status, reason)


def test_blocked_but_storage_access_granted_gets_the_credential(make_browser, live):
    driver = make_browser("blocked")
    signed_in(driver, live)
    grant_storage_access(driver, live)
    open_test_page(driver, live)
    driver.execute_script("window.lxlTest.checkSession(true)")
    response = wait_for_message(driver, "authorization_response")["response"]
    assert claims_of(response["id_token"])["aud"] == "ngo-demo"


def test_popup_web_message_after_a_click_gets_the_credential(make_browser, live):
    driver = make_browser("blocked")  # a popup is first-party: cookies reach it anyway
    signed_in(driver, live)
    open_test_page(driver, live)
    driver.find_element(By.ID, "popup").click()
    response = wait_for_message(driver, "authorization_response")["response"]
    assert response["state"] == "popup-state"
    assert claims_of(response["id_token"])["nonce"] == "popup-nonce"
    wait(driver).until(lambda d: len(d.window_handles) == 1)  # the popup closed itself


def test_hidden_web_message_frame_posts_to_its_parent(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_test_page(driver, live)
    driver.execute_script("window.lxlTest.authorizeFrame()")
    response = wait_for_message(driver, "authorization_response")["response"]
    assert response["state"] == "frame-state"
    assert claims_of(response["id_token"])["nonce"] == "frame-nonce"
    assert [m["data"]["type"] for m in messages(driver)] == ["lxl:hello",
                                                             "authorization_response"]


def test_recheck_through_the_live_frame_is_unchanged(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_test_page(driver, live)
    driver.execute_script("window.lxlTest.checkSession(false)")
    state = wait_for_message(driver, "lxl:session")["session_state"]
    driver.execute_script(
        "document.querySelector('iframe').contentWindow.postMessage("
        "{type: 'lxl:check', session_state: arguments[0]}, arguments[1])", state, live.idp)
    wait(driver).until(lambda d: len(messages(d)) >= 3)
    assert messages(driver)[2]["data"] == {"type": "lxl:session", "status": "unchanged",
                                           "session_state": state}

