"""Real headless Chromium on the real origins: the live server, Chromium and page helpers.

The app runs on ``http://id.localhost:PORT`` and ``http://ngo.localhost:PORT`` in a thread of
the calling process (Chromium resolves ``*.localhost`` to loopback by itself, and the two hosts
are different sites to it, as in production). Chromium starts with a fresh profile, third-party
cookies allowed or blocked (BROWSER_NOTES.md). Used by the browser tests' fixtures
(conftest.py), the tests themselves and bench/browser/run.py.
"""

import contextlib
import base64
import itertools
import json
import logging
import os
from pathlib import Path
import shutil
import socket
import threading
from typing import NamedTuple
from urllib.parse import parse_qsl

from flask_migrate import upgrade
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from flask import send_from_directory
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.idp import accounts, clients, consents, demo
from app.idp.models import AutoSelectOptOut, BrowserSession, User, epoch
from app.sites import SiteBlueprint, content_security_policy, origin_host

PAGES = Path(__file__).parent / "pages"
VENDOR = Path(__file__).parents[2] / "node_modules" / "oidc-client-ts" / "dist" / "browser"
# A standard client's silent_redirect_uri runs in a hidden frame of its own site's page;
# every other NGO page keeps the site's frame-ancestors 'none'.
FRAMED_BY_OWN_SITE = {"oidc-silent.html"}

CHROMIUM = os.environ.get("LXL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LXL_CHROMEDRIVER", shutil.which("chromedriver")  # Debian
                              or shutil.which("chromium.chromedriver")  # Ubuntu's snap
                              or "/usr/bin/chromedriver")
PASSWORD = demo.DEMO_PASSWORD
COOKIE_MODES = ("allowed", "blocked")
SCOPE = "openid email profile"  # what signed_in() consents to for the demo client


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IdpRequest(NamedTuple):
    """One request the live server received for the IdP host."""

    path: str
    params: dict

    @property
    def is_authorization(self):
        """True for a request that asks the IdP for a credential (docs/silent-sign-in.md)."""
        return self.path == "/oidc/authorize" or (
            self.path == "/oidc/iframe/check_session" and "response_type" in self.params)


class _RequestLog:
    """WSGI middleware: record each IdP request, and hold back paths a test asked to hold."""

    def __init__(self, wsgi_app, idp_host):
        self.wsgi_app, self.idp_host = wsgi_app, idp_host
        self.requests, self.gates = [], {}

    def __call__(self, environ, start_response):
        if environ.get("HTTP_HOST") == self.idp_host:
            request = IdpRequest(environ.get("PATH_INFO", ""),
                                 dict(parse_qsl(environ.get("QUERY_STRING", ""))))
            self.requests.append(request)  # list.append is atomic: server threads share it
            if (gate := self.gates.get(request.path)) is not None:
                gate[1].append(request)
                gate[0].wait(30)  # a safety net: hold() releases it when its block ends
        return self.wsgi_app(environ, start_response)


class LiveServer:
    """The app served over real HTTP, with helpers that reach into its database."""

    def __init__(self, app, port):
        self.app, self.port = app, port
        self.idp, self.ngo = app.config["LXL_IDP_ORIGIN"], app.config["LXL_NGO_ORIGIN"]
        self._users = itertools.count(1)
        self._log = _RequestLog(app.wsgi_app, origin_host(self.idp))
        app.wsgi_app = self._log
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._connections = set()
        accept = self._server.get_request

        def get_request():
            connection, address = accept()
            self._connections.add(connection)
            return connection, address

        self._server.get_request = get_request
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()

    def kill(self):
        """Stop serving as a crashed server would: refuse new connections, drop open ones.

        ``stop()`` alone leaves the port listening and kept-alive connections served, so a
        browser could still reach the app.
        """
        self._server.shutdown()
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already
            connection.close()
        self._server.server_close()

    @property
    def idp_requests(self):
        """Every request to the IdP host so far, oldest first (slice it to count deltas)."""
        return list(self._log.requests)

    def authorizations(self, since=0):
        """The IdP requests from index ``since`` on that asked for a credential."""
        return [r for r in self.idp_requests[since:] if r.is_authorization]

    @contextlib.contextmanager
    def hold(self, path):
        """Hold requests for ``path`` (IdP host) until the block ends; yields the held list."""
        gate, held = self._log.gates[path] = threading.Event(), []
        try:
            yield held
        finally:
            del self._log.gates[path]
            gate.set()

    def expire_sessions(self, email):
        """Fast-forward: make every IdP browser session of ``email`` expired (no sleep)."""
        with self.app.app_context():
            db.session.execute(
                db.update(BrowserSession)
                .where(BrowserSession.user_id == User.by_email(email).id)
                .values(expires_at=epoch() - 1))
            db.session.commit()

    def register_client(self, name, web_origin):
        """Register a public client whose only web origin is ``web_origin``; return its id."""
        with self.app.app_context():
            client, _ = clients.register(name, [f"{web_origin}/callback"], [web_origin])
            return client.client_id

    def new_user(self, consented_scope=None, name=None, email=None):
        """Create a user no other test has touched (``name`` and ``email`` if given, unique
        ones otherwise); return its email."""
        number = next(self._users)
        email = email or f"user{number}@example.org"
        with self.app.app_context():
            user = accounts.create_user(email, name or f"Test User {number}", PASSWORD)
            if consented_scope:
                consents.remember(user, demo.DEMO_CLIENT_ID, consented_scope)
        return email

    def opt_out(self, email, client_id=demo.DEMO_CLIENT_ID):
        """Turn auto-select off at the IdP for ``email`` × ``client_id``, as the SDK's
        ``disableAutoSelect()`` does from a frame that sees the session."""
        with self.app.app_context():
            db.session.add(AutoSelectOptOut(user_id=User.by_email(email).id, client_id=client_id))
            db.session.commit()

    def opted_out(self, email, client_id=demo.DEMO_CLIENT_ID):
        with self.app.app_context():
            return db.session.scalar(db.select(AutoSelectOptOut).filter_by(
                user_id=User.by_email(email).id, client_id=client_id)) is not None

    def user(self, email):
        """Return a detached copy of the user's row (for claims checks)."""
        with self.app.app_context():
            user = User.by_email(email)
            db.session.expunge(user)
            return user


def _test_pages(name, origin, headers):
    """Serve tests/browser/pages at /test-pages/ on one site (test fixtures, not the app)."""
    pages = SiteBlueprint(name, __name__)

    @pages.route("/test-pages/<path:filename>")
    def page(filename):
        response = send_from_directory(PAGES, filename)
        response.headers.update(headers())
        if filename in FRAMED_BY_OWN_SITE:
            response.headers["Content-Security-Policy"] = content_security_policy("'self'")
        return response

    @pages.route("/test-pages/vendor/<path:filename>")
    def vendor(filename):
        """Standard client libraries exactly as npm ships them (test_standard_clients.py)."""
        return send_from_directory(VENDOR, filename)

    return pages, origin_host(origin)


def start_live_server(database):
    """Create the app on a free port with its test pages, seed it, serve it; return it.

    ``database`` is the SQLite file to use (created); the caller stops the server.
    """
    port = _free_port()
    app = create_app({
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "LXL_IDP_ORIGIN": f"http://id.localhost:{port}",
        "LXL_NGO_ORIGIN": f"http://ngo.localhost:{port}",
        "LXL_PASSWORD_PROFILE": "CHEAPEST",
    })
    with app.app_context():
        upgrade()
        demo.seed()
    ngo, idp = app.config["LXL_NGO_ORIGIN"], app.config["LXL_IDP_ORIGIN"]
    for blueprint, host in (
        _test_pages("ngo_test_pages", ngo, lambda: {}),
        # The bare frame on the IdP origin may be framed by the NGO site, like the real ones.
        _test_pages("idp_test_pages", idp,
                    lambda: {"Content-Security-Policy": content_security_policy(ngo)}),
    ):
        app.register_blueprint(blueprint, host=host)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
    server = LiveServer(app, port)
    server.start()
    return server


def chromium_options(third_party_cookies, popup_blocker=False, page_load_strategy="normal"):
    """Headless Chromium as BROWSER_NOTES.md measured it, in the given cookie mode.

    ChromeDriver turns Chromium's popup blocker off; ``popup_blocker`` keeps it on, as
    people's browsers have it. ``page_load_strategy`` 'eager' returns from ``get`` at
    DOMContentLoaded, for a page whose frames a test holds back (they delay ``load``).
    """
    options = webdriver.ChromeOptions()
    options.page_load_strategy = page_load_strategy
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    # This Chromium blocks third-party cookies by default (cookie_controls_mode 1).
    options.add_experimental_option(
        "prefs", {"profile.cookie_controls_mode": 0 if third_party_cookies == "allowed" else 1})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if popup_blocker:
        options.add_experimental_option("excludeSwitches", ["disable-popup-blocking"])
    return options


def new_browser(third_party_cookies="allowed", popup_blocker=False, page_load_strategy="normal"):
    """Start a fresh headless Chromium session in the given cookie mode; the caller quits it."""
    options = chromium_options(third_party_cookies, popup_blocker, page_load_strategy)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    return driver


def wait(driver, seconds=10):
    """An explicit wait: polls for a condition, never sleeps a fixed time."""
    return WebDriverWait(driver, seconds)


def sign_in_at_idp(driver, live, email, remember=True, start_url=None):
    """Fill the IdP's sign-in form (CONTRACT field names) and submit it."""
    driver.get(start_url or f"{live.idp}/signin")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    if remember:
        driver.find_element(By.NAME, "remember").click()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def messages(driver):
    """Return what the test page recorded from the IdP (see pages/frames.js)."""
    return driver.execute_script("return window.lxlTest.messages")


def wait_for_message(driver, message_type, seconds=10):
    """Wait until the test page received a message of ``message_type``; return it."""
    def received(d):
        found = [m["data"] for m in messages(d) if m["data"].get("type") == message_type]
        return found[0] if found else False
    return wait(driver, seconds).until(received)


def open_test_page(driver, live):
    """Load the plain-JS frame test page (pages/frames.html) on the NGO site."""
    driver.get(f"{live.ngo}/test-pages/frames.html?idp={live.idp}")


def grant_storage_access(driver, live):
    """Grant the NGO site storage access for the IdP, as a user's earlier gesture would."""
    driver.execute_cdp_cmd("Browser.setPermission", {
        "permission": {"name": "storage-access"}, "setting": "granted",
        "origin": live.ngo, "embeddedOrigin": live.idp})



def claims_of(id_token):
    """Decode a JWT's payload (the tests verify what the SDK only reads)."""
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def signed_in(driver, live, consented=True, **user):
    """Sign a fresh user in at the IdP ("Stay signed in"); return the email. ``user``: the
    ``name`` and ``email`` to give it (LiveServer.new_user)."""
    email = live.new_user(consented_scope=SCOPE if consented else None, **user)
    sign_in_at_idp(driver, live, email)
    wait(driver).until(lambda d: "/account" in d.current_url)
    return email


# --- The sample NGO site (its CONTRACT.md hooks) ---------------------------------------------

SIGNED_IN = (By.CSS_SELECTOR, "[data-lxl-user]")
# The header's sign-in area: LxL ID's button (its frame) and the plain link, the code flow.
SIGN_IN_AREA = (By.CSS_SELECTOR, "[data-ngo-signin]")
BUTTON_FRAME = (By.CSS_SELECTOR, "#ngo-signin-button iframe")
SIGN_IN_LINK = (By.CSS_SELECTOR, "a[data-ngo-signin-link]")
SIGN_IN_STATUS = (By.CSS_SELECTOR, "[data-ngo-signin-status]")
POPUP_NAME = "lxl_id_signin"  # the SDK's window.open name (sdk/lxl-id-ui.js)


def signed_in_name(driver):
    found = driver.find_elements(*SIGNED_IN)
    return found[0].text if found else None


def across_navigations(driver, seconds=10):
    """An explicit wait that also polls through a top-level round trip's navigations."""
    return WebDriverWait(driver, seconds, ignored_exceptions=(WebDriverException,))


def wait_signed_in(driver):
    return across_navigations(driver).until(EC.visibility_of_element_located(SIGNED_IN)).text


def wait_for_sign_in_button(driver, seconds=10):
    """Wait until the header shows LxL ID's button, drawn in its frame; return the frame."""
    def shown(d):
        frames = d.find_elements(*BUTTON_FRAME)
        if not frames or not frames[0].is_displayed():
            return False
        with inside(d, frames[0]):
            drawn = d.find_elements(By.CSS_SELECTOR, "button")
            return frames[0] if drawn and drawn[0].is_displayed() else False
    return across_navigations(driver, seconds).until(shown)


def wait_for_sign_in_link(driver, seconds=10):
    """Wait until the header shows the site's plain sign-in link (LxL ID out of reach)."""
    return across_navigations(driver, seconds).until(
        EC.visibility_of_element_located(SIGN_IN_LINK))


@contextlib.contextmanager
def inside(driver, frame):
    """Drive the document inside ``frame`` (an element of the page) for the block."""
    driver.switch_to.frame(frame)
    try:
        yield
    finally:
        driver.switch_to.default_content()


def click_sign_in_button(driver, seconds=10):
    """Click LxL ID's button as a person does (a real click in its frame)."""
    frame = wait_for_sign_in_button(driver, seconds)
    with inside(driver, frame):
        driver.find_element(By.CSS_SELECTOR, "button").click()


def wait_for_popup(driver, seconds=10):
    """Wait for the SDK's sign-in popup; return its window handle (the page's stays current)."""
    opener = driver.current_window_handle
    return wait(driver, seconds).until(
        lambda d: next((h for h in d.window_handles if h != opener), False))


def sign_in_in_popup(driver, live, email, consent=True, decision="allow"):
    """In the popup: LxL ID's form (Stay signed in) and, when asked, the consent
    ``decision`` ('allow' or 'deny'); then back to the page."""
    page, popup = driver.current_window_handle, wait_for_popup(driver)
    driver.switch_to.window(popup)
    wait(driver).until(EC.presence_of_element_located((By.NAME, "email")))
    sign_in_at_idp(driver, live, email, start_url=driver.current_url)
    if consent:
        decide(driver, decision)
    driver.switch_to.window(page)
    wait(driver).until(lambda d: popup not in d.window_handles)  # it closes itself


def decide(driver, decision):
    """Press Allow or Deny (``decision``) on LxL ID's consent page."""
    button = (By.CSS_SELECTOR, f"button[name=decision][value={decision}]")
    wait(driver).until(EC.element_to_be_clickable(button)).click()


def site_cookies(driver, live):
    """The NGO site's cookies in the browser, HttpOnly ones too: {name: CDP cookie}."""
    found = driver.execute_cdp_cmd("Network.getCookies", {"urls": [f"{live.ngo}/",
                                                                 f"{live.ngo}/auth/credential"]})
    return {c["name"]: c for c in found["cookies"]}


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
    """First visit: LxL ID's button, the IdP's form and consent, back on ``path`` signed in.

    On ``/members`` the button redirects (ux_mode 'redirect': the whole page goes to LxL ID
    and comes back by its form post); elsewhere it opens the popup.
    """
    driver.get(f"{live.ngo}{path}")
    click_sign_in_button(driver)
    if path == "/members":
        wait(driver).until(EC.url_contains(f"{live.idp}/signin"))
        sign_in_at_idp(driver, live, email, start_url=driver.current_url)
        decide(driver, "allow")
    else:
        sign_in_in_popup(driver, live, email)
    wait(driver).until(EC.url_to_be(f"{live.ngo}{path}"))
    return wait_signed_in(driver)


def expire_site_session(driver, live):
    """The NGO site's session ended while LxL ID's lives on."""
    driver.get(f"{live.ngo}/assets/site.css")  # on the NGO origin, without running the SDK
    driver.delete_cookie("ngo_session")


# What the NGO page was told, recorded from before its first script (record_sign_in).
RECORDER = """
(() => {
  const moments = window.ngoTestMoments = [], messages = window.ngoTestMessages = [];
  // Every moment and callback response the page hands its trace (signin.js reads
  // window.ngoTrace at each call, so a wrapper set here sees them all).
  let trace;
  Object.defineProperty(window, 'ngoTrace', {
    configurable: true,
    get: () => trace && {...trace, moment: m => {
      moments.push({...JSON.parse(JSON.stringify(m)), at: performance.now()});
      trace.moment(m);
    }},
    set: value => { trace = value },
  });
  // Every message another origin posts to this page, as it arrives, and whether the page
  // had the user activation of a click then (a click in a frame activates its ancestors);
  // `frame`: the path of the page's iframe that posted it (null: a window, the popup).
  addEventListener('message', event => {
    if (event.origin !== location.origin) {
      const frame = [...document.querySelectorAll('iframe')]
        .find(f => f.contentWindow === event.source);
      messages.push({origin: event.origin, data: event.data, at: performance.now(),
                     active: navigator.userActivation.isActive,
                     frame: frame ? new URL(frame.src).pathname : null});
    }
  }, true);
})();
"""


def record_sign_in(driver):
    """From the next page load on, record what the NGO page is told (``told``)."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})


def told(driver):
    """Return ``(moments, messages)`` the current NGO document recorded (record_sign_in):
    moments and callback responses as handed to the trace, and the IdP's messages."""
    return driver.execute_script("return [window.ngoTestMoments, window.ngoTestMessages]")


def wait_told(driver, condition, seconds=10):
    """Wait until some recorded moment or response satisfies ``condition``; return it."""
    def found(d):
        moments = d.execute_script("return window.ngoTestMoments || []")
        return next((m for m in moments if condition(m)), False)
    return across_navigations(driver, seconds).until(found)


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(driver, impacts=("serious", "critical")):
    """Run axe-core (npm, injected) on the current document; return its violations of
    ``impacts`` as ``[(rule id, impact, [target selectors])]``."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), result
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
            for v in result if v["impact"] in impacts]


# --- LxL ID's card (prompt()) on the NGO page -------------------------------------------------

CARD_FRAME = (By.CSS_SELECTOR, "iframe[src*='/oidc/iframe/card']")
# Inside the card's frame (app/idp/templates/idp/card_frame.html): a real <button> for each.
CONTINUE = (By.XPATH, "//button[starts-with(normalize-space(), 'Continue')]")
CLOSE = (By.CSS_SELECTOR, "button[aria-label='Close']")
# The card's anti-clickjacking guard (docs/silent-sign-in.md): a pointer click counts once
# the pointer has been in the card this long, a keyboard one once Continue has had the focus
# this long (the frame script's POINTER_SETTLED_MS and VISIBLE_FOR_MS).
POINTER_SETTLED_MS = 250
FOCUSED_FOR_MS = 500


def card_moments(driver):
    """What the NGO page's card listener logged (base.html's #ngo-card-moments, signin.js),
    oldest first: ``[{moment, displayed?, why?, reason?, ms}]`` (strings, as data-* are)."""
    return driver.execute_script("""
        return [...document.querySelectorAll('#ngo-card-moments li')].map(li => ({...li.dataset}));""")


def wait_card_moment(driver, condition, seconds=10):
    """Wait until the card's listener logged a moment satisfying ``condition``; return it."""
    return across_navigations(driver, seconds).until(
        lambda d: next((m for m in card_moments(d) if condition(m)), False))


def ask_for_card(driver):
    """Call ``prompt()`` on the NGO page as signin.js does (its listener, its log); return the
    page's clock just before the call."""
    return driver.execute_script(
        "const at = performance.now(); lxl.accounts.id.prompt(ngo.cardMoment); return at;")


def wait_for_card(driver, seconds=10):
    """Wait until the NGO page shows LxL ID's card (its display moment, and the frame drawn
    with its Continue button); return the frame."""
    wait_card_moment(driver, lambda m: m["moment"] == "display" and m.get("displayed") == "true",
                     seconds)
    return wait_for_card_frame(driver, seconds)


def wait_for_card_frame(driver, seconds=10):
    """Wait until any page shows LxL ID's card frame, drawn with its Continue button; return
    the frame."""
    def shown(d):
        frames = d.find_elements(*CARD_FRAME)
        if not frames or not frames[0].is_displayed():
            return False
        with inside(d, frames[0]):
            found = d.find_elements(*CONTINUE)
            return frames[0] if found and found[0].is_displayed() else False
    return wait(driver, seconds).until(shown)


def wait_armed(driver, frame, armed=True, seconds=10):
    """Wait until the card's Continue button has (or, ``armed=False``, has lost) its
    ``data-armed`` attribute: whether a click would pass the visibility test now."""
    with inside(driver, frame):
        button = driver.find_element(*CONTINUE)
        wait(driver, seconds).until(
            lambda _: (button.get_attribute("data-armed") is not None) == armed)


def wait_frame_clock(driver, frame, since, ms, seconds=10):
    """Wait until ``ms`` have passed on ``frame``'s own clock since its ``performance.now()``
    was ``since``: the very clock the card's guard reads (polled, never a fixed sleep)."""
    with inside(driver, frame):
        wait(driver, seconds).until(
            lambda d: d.execute_script("return performance.now()") - since >= ms)


def frame_now(driver, frame):
    with inside(driver, frame):
        return driver.execute_script("return performance.now()")


def rest_pointer_on(driver, frame, locator=CONTINUE):
    """Move the mouse onto a button of the card, as a person's hand does, and let it rest
    until the guard counts it as settled. The last pixel's move makes sure the frame sees the
    pointer move even when it was there already (a move to where it is may dispatch nothing)."""
    with inside(driver, frame):
        ActionChains(driver).move_to_element(driver.find_element(*locator)) \
            .move_by_offset(1, 1).perform()
    wait_frame_clock(driver, frame, frame_now(driver, frame), POINTER_SETTLED_MS)


def click_here(driver):
    """Press and release the mouse where it rests (a trusted click, no move first)."""
    ActionChains(driver).click().perform()


def press_continue(driver, frame):
    """Click the card's Continue as a person does: once it is armed, the mouse moved onto it
    and resting there, then a real click."""
    wait_armed(driver, frame)
    rest_pointer_on(driver, frame)
    click_here(driver)


def close_card(driver, frame):
    """Press the card's close button (×) with a real click."""
    with inside(driver, frame):
        driver.find_element(*CLOSE).click()


def card_cooldown(live, email, client_id="ngo-demo"):
    """The IdP's cooldown row for ``email`` × ``client_id`` (table prompt_cooldowns), or None:
    ``(dismissals, quiet_until)``."""
    with live.app.app_context():
        row = db.session.execute(db.text(
            "SELECT dismissals, quiet_until FROM prompt_cooldowns"
            " WHERE user_id = :user AND client_id = :client"),
            {"user": User.by_email(email).id, "client": client_id}).first()
        return tuple(row) if row else None
