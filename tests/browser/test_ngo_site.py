"""The sample NGO site itself, in real Chromium on the real origins, both cookie modes.

A supporter signs in once, by the visible sign-in; from then on every page finds them
signed in without a click: by the SDK's hidden frame when third-party cookies are allowed,
by one top-level prompt=none round trip when they are blocked. Every wait is for an event
on the page (a DOM hook of CONTRACT.md), never a fixed sleep.
"""

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from app.extensions import db
from app.idp.models import AutoSelectOptOut, BrowserSession, User
from tests.browser.harness import sign_in_at_idp, wait

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
SIGNED_IN = (By.CSS_SELECTOR, "[data-lxl-user]")
SIGN_IN_LINK = (By.CSS_SELECTOR, "a[data-ngo-signin]")


def signed_in_name(driver):
    found = driver.find_elements(*SIGNED_IN)
    return found[0].text if found else None


def across_navigations(driver, seconds=10):
    """An explicit wait that also polls through a top-level round trip's navigations."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(WebDriverException,))


def wait_signed_in(driver):
    return across_navigations(driver).until(EC.visibility_of_element_located(SIGNED_IN)).text


def wait_for_sign_in_link(driver, seconds=10):
    return across_navigations(driver, seconds).until(
        EC.visibility_of_element_located(SIGN_IN_LINK))


def mark_document(driver):
    """Tag the current document, so a test can tell whether the page navigated since."""
    driver.execute_script("window.ngoTestMark = true")


def same_document(driver):
    return driver.execute_script("return window.ngoTestMark === true")


def no_visible_idp_ui(driver, live):
    """One window, and every IdP frame hidden (or absent)."""
    frames = [f for f in driver.find_elements(By.TAG_NAME, "iframe")
              if (f.get_attribute("src") or "").startswith(live.idp)]
    return len(driver.window_handles) == 1 and not any(f.is_displayed() for f in frames)


def sign_in_through_the_site(driver, live, email, path="/members"):
    """First visit: the sign-in link, the IdP's form and consent, back on ``path``."""
    driver.get(f"{live.ngo}{path}")
    wait_for_sign_in_link(driver).click()
    wait(driver).until(EC.url_contains(f"{live.idp}/signin"))
    sign_in_at_idp(driver, live, email, start_url=driver.current_url)
    allow = (By.CSS_SELECTOR, "button[value=allow]")
    wait(driver).until(EC.element_to_be_clickable(allow)).click()
    wait(driver).until(EC.url_to_be(f"{live.ngo}{path}"))
    return wait_signed_in(driver)


def expire_site_session(driver, live):
    """The NGO site's session ended while LxL ID's lives on."""
    driver.get(f"{live.ngo}/assets/site.css")  # on the NGO origin, without running the SDK
    driver.delete_cookie("ngo_session")


def test_sign_in_once_then_every_reload_is_signed_in_without_ui(browser, live):
    email = live.new_user()
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(f"{live.ngo}/")
    wait_for_sign_in_link(browser)
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
    else:  # one top-level prompt=none round trip, back on the same page
        assert wait_signed_in(browser) == name
        assert [r for r in live.authorizations(since)
                if r.path == "/oidc/authorize" and r.params.get("prompt") == "none"]
    assert browser.current_url == f"{live.ngo}/members" and no_visible_idp_ui(browser, live)
    assert browser.find_elements(By.CSS_SELECTOR, "[data-ngo-shifts] tbody tr")


def test_sign_out_stays_signed_out_on_reload(browser, live):
    email = live.new_user()
    sign_in_through_the_site(browser, live, email, path="/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button[type=submit]").click()
    wait_for_sign_in_link(browser)
    if browser.third_party_cookies == "allowed":  # disableAutoSelect() reached LxL ID
        wait(browser).until(lambda _: opted_out(live, email))

    browser.refresh()
    wait_for_sign_in_link(browser)
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
    wait_for_sign_in_link(browser)
    assert browser.current_url.startswith(f"{live.ngo}/")
    with live.app.app_context():
        user = User.by_email(email)
        assert not [s for s in db.session.scalars(db.select(BrowserSession).filter_by(
            user_id=user.id)) if s.ended_at is None]
    browser.get(f"{live.idp}/account")
    wait(browser).until(EC.url_contains(f"{live.idp}/signin"))


def test_signed_out_of_lxl_id_brings_the_sign_in_link(browser, live):
    email = live.new_user()
    sign_in_through_the_site(browser, live, email)
    browser.get(f"{live.idp}/account")
    browser.find_element(By.CSS_SELECTOR, "form[action='/signout'] button[type=submit]").click()
    wait(browser).until(EC.url_contains(f"{live.idp}/signin"))
    expire_site_session(browser, live)

    browser.get(f"{live.ngo}/members")  # silent sign-in: login_required, whichever way
    wait_for_sign_in_link(browser)
    assert signed_in_name(browser) is None and browser.current_url == f"{live.ngo}/members"


def test_an_unreachable_idp_shows_the_sites_own_sign_in_link_within_a_second(browser, live):
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{live.idp}/*"]})
    try:
        browser.get(f"{live.ngo}/")
        wait_for_sign_in_link(browser, seconds=1)
        shown_at = browser.execute_script("return performance.now()")
        assert shown_at < 1000, f"the sign-in link showed {shown_at:.0f} ms after navigation"
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
