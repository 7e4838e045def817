"""The two-site setup end to end: sign in at the IdP, consent, land back on the NGO site."""

from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from app.extensions import db
from app.idp.models import AuthorizationCode, User
from tests.browser.harness import (
    SIGN_IN_LINK, sign_in_at_idp, wait, wait_for_sign_in_button)


def test_sign_in_with_stay_signed_in_consent_and_land_on_the_ngo_callback(browser, live):
    email = live.new_user()
    browser.get(f"{live.ngo}/")
    # The site's plain sign-in link, the code flow: what a browser without script follows, and
    # what the site shows when LxL ID's button cannot load (test_ngo_site.py); the button
    # itself is tested in test_button.py.
    wait_for_sign_in_button(browser)
    link = browser.find_element(*SIGN_IN_LINK)
    assert not link.is_displayed() and link.get_attribute("href") == f"{live.ngo}/login?next=/"
    browser.get(link.get_attribute("href"))
    wait(browser).until(EC.url_contains(f"{live.idp}/signin"))
    sign_in_at_idp(browser, live, email, remember=True, start_url=browser.current_url)

    allow = wait(browser).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "button[value=allow]")))
    request = parse_qs(urlsplit(browser.current_url).query)
    assert request["code_challenge_method"] == ["S256"] and request["client_id"] == ["ngo-demo"]
    assert "Sample NGO" in browser.page_source
    allow.click()

    # The NGO callback received the code, redeemed it (Authlib client) and signed us in.
    wait(browser).until(EC.url_to_be(f"{live.ngo}/"))
    assert "Welcome back" in browser.page_source
    with live.app.app_context():
        user = User.by_email(email)
        code = db.session.scalar(db.select(AuthorizationCode).filter_by(user_id=user.id))
        assert code.redirect_uri == f"{live.ngo}/auth/callback"
        assert code.used_at is not None, "the callback exchanged the code"

    # "Stay signed in": the IdP session cookie is persistent, HttpOnly, Secure, SameSite=Lax.
    browser.get(f"{live.idp}/account")
    assert email in browser.page_source
    session = next(c for c in browser.get_cookies() if c["name"] == "lxl_session")
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert "expiry" in session
