"""The account page in plain words: browsers, times, sites, and the automatic sign-in switch."""

import re

import pytest

from app.extensions import db
from app.idp import account_page
from app.idp.models import BrowserSession
from tests.helpers import CLIENT_ID, IDP, csrf_token, get_tokens, sign_in
from tests.idp.test_silent import embedded, frame_action, frame_url

CHROME_ON_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_ON_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 "
                      "Firefox/133.0")


def browser(app, user_agent):
    """A test client that sends ``user_agent`` with every request."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def section(page, title):
    return page.split(f"<h2>{title}</h2>", 1)[1].split("<h2>", 1)[0]


@pytest.mark.parametrize("user_agent, words", [
    (CHROME_ON_LINUX, "Chrome on Linux"),
    (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Mobile Safari on iOS"),
    (CHROME_ON_LINUX.replace("Chrome/", "HeadlessChrome/"), "Chrome on Linux"),
    ("", "An unknown browser"),
    ("curl/8.5.0", "curl"),
    ("\x00" * 300, "An unknown browser"),
])
def test_browsers_in_words(user_agent, words):
    assert account_page.browser_in_words(user_agent) == words


@pytest.mark.parametrize("scope, words", [
    ("openid email profile", "your name, your email address"),
    ("openid email", "your email address"),
    ("openid", "only that you are the same person each time you return"),
    ("openid profile email offline_access",
     "your name, your email address, to keep access while you are away"),
])
def test_scopes_in_words(scope, words):
    assert account_page.scopes_in_words(scope) == words


@pytest.mark.parametrize("seconds, words", [(0, "just now"), (59, "just now"),
                                            (180, "3 minutes ago"), (3600, "1 hour ago"),
                                            (2 * 86400 + 5, "2 days ago")])
def test_times_in_words(seconds, words):
    assert account_page.ago(1000, 1000 + seconds) == words


def test_each_browser_in_words(app):
    here, there = browser(app, CHROME_ON_LINUX), browser(app, FIREFOX_ON_WINDOWS)
    sign_in(there, remember=False)
    sign_in(here)
    with app.app_context():  # the other browser signed in 3 minutes ago
        db.session.execute(db.update(BrowserSession).where(
            BrowserSession.user_agent == FIREFOX_ON_WINDOWS).values(
                auth_time=BrowserSession.auth_time - 180))
        db.session.commit()
    page = section(here.get(f"{IDP}/account").text, "Where you are signed in")
    assert re.search(r"<strong>Chrome on Linux</strong> · active now · <span class=\"this-browser\">"
                     r"this browser</span>", page)
    assert "<strong>Firefox on Windows</strong> · last active 3 minutes ago<br>" in page
    assert "signed in 3 minutes ago · signed out when the browser is closed" in page
    assert re.search(r"signed in just now · stays signed in until \d+ \w+ \d{4}", page)
    assert "Mozilla/5.0" not in page
    assert page.index("Chrome on Linux") < page.index("Firefox on Windows"), "this browser first"


def test_last_active_counts_signing_in_to_a_site(app):
    here, there = browser(app, CHROME_ON_LINUX), browser(app, FIREFOX_ON_WINDOWS)
    sign_in(there)
    with app.app_context():
        db.session.execute(db.update(BrowserSession).values(
            auth_time=BrowserSession.auth_time - 7200))
        db.session.commit()
    get_tokens(there)  # a site signs the person in through the other browser now
    sign_in(here)
    page = section(here.get(f"{IDP}/account").text, "Where you are signed in")
    assert "Firefox on Windows</strong> · last active just now" in page
    assert "signed in 2 hours ago" in page


def test_each_site_in_words(app, http):
    get_tokens(http, scope="openid email profile")
    page = section(http.get(f"{IDP}/account").text, "Sites you have allowed")
    assert "<strong>Sample NGO</strong> may see your name, your email address." in page
    assert re.search(r"Allowed on \d+ \w+ \d{4}\.", page)
    assert "email openid profile" not in page
    assert 'Automatic sign-in:\n    <span class="switch-state">on</span>' in page


def switch(http, allowed, client_id=CLIENT_ID):
    page = http.get(f"{IDP}/account")
    return http.post(f"{IDP}/account/sites/{client_id}/automatic-sign-in",
                     data={"csrf_token": csrf_token(page.text), "allowed": allowed})


def status(http):
    return embedded(http.get(frame_url()).text, "initial")


def test_the_automatic_sign_in_switch_round_trips_and_the_status_frame_honours_it(http):
    get_tokens(http)
    assert status(http)["status"] == "logged_in"
    assert switch(http, "off").status_code == 302
    page = http.get(f"{IDP}/account").text
    assert '<span class="switch-state">off</span> — it asks before signing you in' in page
    assert "Turn on automatic sign-in" in page
    assert status(http) | {"session_state": None} == {
        "status": "logged_out", "reason": "auto_select_disabled", "session_state": None}
    switch(http, "on")
    assert '<span class="switch-state">on</span>' in http.get(f"{IDP}/account").text
    assert status(http)["status"] == "logged_in"


def test_the_sdks_opt_out_shows_on_the_page_and_can_be_undone_there(http):
    get_tokens(http)
    assert frame_action(http, "disable_auto_select").json == {"ok": True}  # disableAutoSelect
    assert '<span class="switch-state">off</span>' in http.get(f"{IDP}/account").text
    switch(http, "off")  # twice off is still one opt-out
    switch(http, "on")
    assert '<span class="switch-state">on</span>' in http.get(f"{IDP}/account").text
    assert status(http)["status"] == "logged_in"


@pytest.mark.parametrize("allowed, client_id", [("maybe", CLIENT_ID), ("", CLIENT_ID),
                                                ("off", "no-such-site"), ("off", "x" * 500)])
def test_a_bad_switch_changes_nothing_and_is_never_an_error(http, allowed, client_id):
    get_tokens(http)
    response = switch(http, allowed, client_id)
    assert response.status_code == 302
    assert status(http)["status"] == "logged_in"


def test_the_switch_needs_a_csrf_token(http):
    get_tokens(http)
    response = http.post(f"{IDP}/account/sites/{CLIENT_ID}/automatic-sign-in",
                         data={"allowed": "off"})
    assert response.status_code == 400 and status(http)["status"] == "logged_in"


def test_the_switch_needs_a_signed_in_person(http):
    response = http.post(f"{IDP}/account/sites/{CLIENT_ID}/automatic-sign-in",
                         data={"allowed": "off"})
    assert response.status_code in (302, 400)


def test_a_double_submitted_switch_is_one_opt_out_never_an_error(http, monkeypatch):
    """Two presses at once both find no opt-out and both insert: the second changes nothing."""
    from app.idp.oidc import silent
    get_tokens(http)
    monkeypatch.setattr(silent, "is_opted_out", lambda user, client_id: False)
    assert switch(http, "off").status_code == 302
    assert switch(http, "off").status_code == 302
    monkeypatch.undo()
    assert '<span class="switch-state">off</span>' in http.get(f"{IDP}/account").text
    assert frame_action(http, "disable_auto_select").json == {"ok": True}
