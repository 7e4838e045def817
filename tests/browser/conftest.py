"""Fixtures of the browser tests: the live server and fresh Chromium sessions (harness.py).

Every test under tests/browser carries the ``browser`` marker, so ``-m browser`` selects
exactly these tests and ``-m "not browser"`` is a fast run without Chromium.
"""

from pathlib import Path

import pytest

from tests.browser.harness import COOKIE_MODES, new_browser, start_live_server

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(items):
    """Mark every test collected from this directory ``browser``."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The app served on real origins for the whole session (harness.LiveServer)."""
    server = start_live_server(tmp_path_factory.mktemp("db") / "live.db")
    yield server
    server.stop()


@pytest.fixture
def short_lived_server(tmp_path):
    """A second live app of its own (own port, own database), for a test that kills it."""
    server = start_live_server(tmp_path / "short-lived.db")
    yield server
    server.kill()


@pytest.fixture
def make_browser():
    """Return a factory of fresh Chromium sessions; all are quit after the test."""
    drivers = []

    def make(third_party_cookies="allowed", popup_blocker=False):
        drivers.append(new_browser(third_party_cookies, popup_blocker))
        return drivers[-1]

    yield make
    for driver in drivers:
        driver.quit()


@pytest.fixture(params=COOKIE_MODES)
def browser(request, make_browser):
    """A fresh Chromium, once with third-party cookies allowed and once blocked."""
    driver = make_browser(request.param)
    driver.third_party_cookies = request.param
    return driver
