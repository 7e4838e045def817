"""Real headless Chromium on the real origins: a live server and browser factories.

The app runs on ``http://id.localhost:PORT`` and ``http://ngo.localhost:PORT`` in a thread of
the test process (Chromium resolves ``*.localhost`` to loopback by itself, and the two hosts
are different sites to it, as in production). Each test gets a fresh browser profile, with
third-party cookies allowed or blocked (BROWSER_NOTES.md), and its own fresh user.
"""

import itertools
import os
import shutil
import socket
import threading

import pytest
from flask_migrate import upgrade
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from app import create_app
from app.idp import accounts, demo

CHROMIUM = os.environ.get("LXL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LXL_CHROMEDRIVER",
                              shutil.which("chromedriver") or "/usr/bin/chromedriver")
PASSWORD = demo.DEMO_PASSWORD
COOKIE_MODES = ("allowed", "blocked")

pytestmark = pytest.mark.browser


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app served over real HTTP, with helpers that reach into its database."""

    def __init__(self, app, port):
        self.app, self.port = app, port
        self.idp, self.ngo = app.config["LXL_IDP_ORIGIN"], app.config["LXL_NGO_ORIGIN"]
        self._users = itertools.count(1)
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()

    def new_user(self):
        """Create a user no other test has touched; return its email."""
        email = f"user{next(self._users)}@example.org"
        with self.app.app_context():
            accounts.create_user(email, f"Test User {email[4:-12]}", PASSWORD)
        return email


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    port = _free_port()
    app = create_app({
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('db') / 'live.db'}",
        "LXL_IDP_ORIGIN": f"http://id.localhost:{port}",
        "LXL_NGO_ORIGIN": f"http://ngo.localhost:{port}",
        "LXL_PASSWORD_PROFILE": "CHEAPEST",
    })
    with app.app_context():
        upgrade()
        demo.seed()
    server = LiveServer(app, port)
    server.start()
    yield server
    server.stop()


def chromium_options(third_party_cookies):
    """Headless Chromium as BROWSER_NOTES.md measured it, in the given cookie mode."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    # This Chromium blocks third-party cookies by default (cookie_controls_mode 1).
    options.add_experimental_option(
        "prefs", {"profile.cookie_controls_mode": 0 if third_party_cookies == "allowed" else 1})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture
def make_browser():
    """Return a factory of fresh Chromium sessions; all are quit after the test."""
    drivers = []

    def make(third_party_cookies="allowed"):
        driver = webdriver.Chrome(options=chromium_options(third_party_cookies),
                                  service=Service(CHROMEDRIVER))
        driver.set_page_load_timeout(20)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


@pytest.fixture(params=COOKIE_MODES)
def browser(request, make_browser):
    """A fresh Chromium, once with third-party cookies allowed and once blocked."""
    driver = make_browser(request.param)
    driver.third_party_cookies = request.param
    return driver


def wait(driver, seconds=10):
    """An explicit wait: polls for a condition, never sleeps a fixed time."""
    return WebDriverWait(driver, seconds)


def sign_in_at_idp(driver, live, email, remember=True, start_url=None):
    """Fill the IdP's sign-in form (CONTRACT field names) and submit it."""
    from selenium.webdriver.common.by import By

    driver.get(start_url or f"{live.idp}/signin")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    if remember:
        driver.find_element(By.NAME, "remember").click()
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
