"""Accounts as a person meets them in Chromium: the account page, a forgotten password.

Screenshots go to tests/artifacts/ (account-page.png, password-reset-*.png).
"""

import re
from pathlib import Path

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from tests.browser.harness import signed_in, wait

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
NEW_PASSWORD = "a-brand-new-password"


def outbox_links(live, address):
    """Return the links of the newest message to ``address`` in the local outbox."""
    messages = requests.get(f"http://127.0.0.1:{live.port}/dev/outbox.json",
                            headers={"Host": live.idp.split("://")[1]}, timeout=10).json()
    return [m for m in messages if m["to"] == address][-1]["links"]


def test_the_account_page_reads_like_a_page_for_people(make_browser, live):
    driver = make_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    email = signed_in(driver, live, name="Rosalind Franklin")
    driver.set_window_size(900, 1700)  # the whole page in one screenshot
    driver.get(f"{live.idp}/account")
    sessions = driver.find_element(By.CSS_SELECTOR, "ul.sessions").text
    assert re.match(r"Chrome on Linux · active now · this browser\n", sessions), sessions
    assert "stays signed in until" in sessions and "Mozilla" not in sessions
    sites = driver.find_element(By.CSS_SELECTOR, "ul.granted").text
    assert "Sample NGO may see your name, your email address." in sites
    assert "Automatic sign-in: on" in sites
    driver.save_screenshot(str(ARTIFACTS / "account-page.png"))

    driver.find_element(By.CSS_SELECTOR, "button.automatic-sign-in").click()
    wait(driver).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, "ul.granted"), "Automatic sign-in: off"))
    assert live.opted_out(email)
    driver.save_screenshot(str(ARTIFACTS / "account-page-automatic-sign-in-off.png"))
    driver.find_element(By.CSS_SELECTOR, "button.automatic-sign-in").click()
    wait(driver).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, "ul.granted"), "Automatic sign-in: on"))
    assert not live.opted_out(email)


def test_a_forgotten_password_from_the_sign_in_page(make_browser, live):
    driver = make_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    email = live.new_user(name="Chien-Shiung Wu")
    driver.get(f"{live.idp}/signin")
    driver.find_element(By.LINK_TEXT, "Forgot your password?").click()
    wait(driver).until(EC.url_to_be(f"{live.idp}/password/forgot"))
    driver.find_element(By.CSS_SELECTOR, 'input[name="email"][type="email"]').send_keys(email)
    driver.save_screenshot(str(ARTIFACTS / "password-reset-1-forgot.png"))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Check your inbox"))
    driver.save_screenshot(str(ARTIFACTS / "password-reset-2-sent.png"))

    [link] = outbox_links(live, email)
    driver.get(link)
    password = driver.find_element(
        By.CSS_SELECTOR, 'input[name="password"][type="password"][autocomplete="new-password"]')
    password.send_keys(NEW_PASSWORD)
    driver.save_screenshot(str(ARTIFACTS / "password-reset-3-new-password.png"))
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(EC.url_to_be(f"{live.idp}/signin"))
    assert "Your new password is set" in driver.page_source
    assert "token=" not in driver.current_url
    driver.save_screenshot(str(ARTIFACTS / "password-reset-4-done.png"))

    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(NEW_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(EC.url_to_be(f"{live.idp}/account"))
    assert "Chien-Shiung Wu" in driver.page_source

    driver.get(link)  # the link worked once
    assert "This link has already been used" in driver.page_source
