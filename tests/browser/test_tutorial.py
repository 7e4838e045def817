"""docs/tutorial.md's site in real Chromium: your own page, signed in silently by the snippet.

Each test saves the tutorial's files as the tutorial says (tests/tutorial_blocks.py),
registers the site with the tutorial's own ``lxl clients add`` command against the live
IdP's database, and serves ``mysite.py`` on ``http://mysite.localhost:PORT`` — a third site,
so the IdP's frame is as third-party there as on any NGO's domain. Every wait polls the page;
none sleeps.
"""

import socket
import threading
from types import SimpleNamespace

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from werkzeug.serving import make_server

from app.idp import consents
from app.idp.models import User
from tests import tutorial_blocks
from tests.browser.harness import SCOPE, sign_in_at_idp, signed_in, wait

SNIPPET, DATA_API = 0, 1  # the two versions of templates/index.html, in the tutorial's order


@pytest.fixture
def my_site(tmp_path, live, monkeypatch):
    """Return a function that saves, registers and serves a version of the tutorial's site."""
    servers = []

    def serve(version=SNIPPET, edit=lambda files: files):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = tutorial_blocks.shell_environment(live.app.config["SQLALCHEMY_DATABASE_URI"],
                                                live.port)
        client_id = tutorial_blocks.client_id_of(
            tutorial_blocks.register_your_site(env, live.port, port))
        folder = tmp_path / f"my-site-{len(servers)}"
        tutorial_blocks.write_site(folder, edit(tutorial_blocks.site_versions()[version]),
                                   live.port, port)
        server = make_server("127.0.0.1", port,
                             tutorial_blocks.import_site(folder, client_id, monkeypatch,
                                                         live.port, port),
                             threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return SimpleNamespace(origin=f"http://mysite.localhost:{port}", client_id=client_id)

    yield serve
    for server in servers:
        server.shutdown()


def consent_to(live, email, site):
    """Record that ``email`` allowed ``site`` before (its first visible sign-in)."""
    with live.app.app_context():
        consents.remember(User.by_email(email), site.client_id, SCOPE)


def account(driver):
    """Wait until silent sign-in ended on the page; return ``(text, reason, link shown)``."""
    def ended(d):
        element = d.find_element(By.ID, "account")
        reason = element.get_attribute("data-reason")
        return (reason or element.text.startswith("Signed in as")) and element
    element = wait(driver).until(ended)
    links = driver.find_elements(By.ID, "sign-in")
    link_shown = bool(links) and links[0].is_displayed()
    return element.text, element.get_attribute("data-reason"), link_shown


def test_the_snippet_signs_a_returning_supporter_in_with_no_click(browser, live, my_site):
    site = my_site()
    email = signed_in(browser, live)
    consent_to(live, email, site)

    browser.get(site.origin)
    text, reason, link_shown = account(browser)

    if browser.third_party_cookies == "allowed":
        assert (text, reason, link_shown) == (f"Signed in as {live.user(email).name}", None, False)
        browser.refresh()  # now the site's own session
        assert browser.find_element(By.ID, "account").text == text
    else:  # the fallbacks of the tutorial's section 8 start from this reason
        assert (reason, link_shown) == ("third_party_cookies_blocked", True)


def test_a_newcomer_signs_in_once_then_silently_on_every_visit(make_browser, live, my_site):
    driver, site = make_browser("allowed"), my_site()
    email = live.new_user()
    name = live.user(email).name

    driver.get(site.origin)
    assert account(driver) == ("Sign in", "no_session", True)
    driver.find_element(By.ID, "sign-in").click()  # the visible sign-in: code flow + PKCE
    wait(driver).until(lambda d: d.current_url.startswith(f"{live.idp}/signin"))
    sign_in_at_idp(driver, live, email, start_url=driver.current_url)
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button[value=allow]"))).click()
    wait(driver).until(EC.url_to_be(f"{site.origin}/"))
    assert driver.find_element(By.ID, "account").text == f"Signed in as {name}"

    driver.delete_all_cookies()  # the site's session ends (these are its cookies); LxL ID's lives
    driver.refresh()
    assert account(driver) == (f"Signed in as {name}", None, False)


@pytest.mark.parametrize("signed_in_at_idp, reason", [
    (False, "no_session"), (True, "consent_required")])
def test_the_snippet_shows_your_sign_in_link_with_the_reason(
        make_browser, live, my_site, signed_in_at_idp, reason):
    driver, site = make_browser("allowed"), my_site()
    if signed_in_at_idp:
        signed_in(driver, live)

    driver.get(site.origin)
    assert account(driver) == ("Sign in", reason, True)


def test_when_the_script_cannot_load_the_snippet_shows_your_sign_in_link(make_browser, live,
                                                                          my_site):
    driver, site = make_browser("allowed"), my_site()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{live.idp}/*"]})

    driver.get(site.origin)
    assert account(driver) == ("Sign in", "idp_unreachable", True)


def test_the_html_data_api_posts_the_credential_as_a_form(make_browser, live, my_site):
    driver, site = make_browser("allowed"), my_site(DATA_API)
    email = signed_in(driver, live)
    consent_to(live, email, site)

    driver.get(site.origin)  # the SDK signs in, then submits the form: a navigation
    text = wait(driver).until(lambda d: (t := d.execute_script(
        "return document.getElementById('account')?.textContent")) and "Signed in" in t and t)
    assert text == f"Signed in as {live.user(email).name}"
    assert driver.current_url == f"{site.origin}/"


UNKNOWN_CLIENT = "not-a-registered-client"


def with_unknown_client(files):
    """The page asks for a client LxL ID does not know: every frame of it is refused."""
    page = files["templates/index.html"]
    assert "client_id: {{ client_id|tojson }}," in page
    return {**files, "templates/index.html": page.replace(
        "client_id: {{ client_id|tojson }},", f"client_id: {UNKNOWN_CLIENT!r},")}


# connect-src serves the SDK's /oidc/client-check, which names why a frame was refused, so it
# shows on a refused frame: a frame that works greets the page, and asks nothing more.
@pytest.mark.parametrize("directive, reason, refused", [
    ("script-src", "idp_unreachable", False),  # the script's error event, straight away
    ("frame-src", "timeout", False),  # a refused frame still fires load: nothing answers
    ("connect-src", "idp_unreachable", True),  # client-check is refused: no reason to name
])
def test_each_csp_source_the_tutorial_names_is_needed(make_browser, live, my_site,
                                                       directive, reason, refused):
    def without_idp(files):
        policy = files["mysite.py"]
        assert f"{directive} " in policy
        before, _, after = policy.partition(f"{directive} ")
        rule, _, rest = after.partition(";")
        sources = [source for source in rule.split() if source != "{IDP}"] or ["'none'"]
        files = {**files, "mysite.py": f"{before}{directive} {' '.join(sources)};{rest}"}
        return with_unknown_client(files) if refused else files

    driver, site = make_browser("allowed"), my_site(edit=without_idp)
    email = signed_in(driver, live)
    consent_to(live, email, site)

    driver.get(site.origin)
    assert account(driver) == ("Sign in", reason, True)


def test_with_connect_src_the_snippet_names_a_refused_frame(make_browser, live, my_site):
    """The control for connect-src: the same refused frame, with the tutorial's policy whole,
    is named (unknown_client), where without it the page can only say idp_unreachable."""
    driver, site = make_browser("allowed"), my_site(edit=with_unknown_client)
    signed_in(driver, live)

    driver.get(site.origin)
    assert account(driver) == ("Sign in", "unknown_client", True)
