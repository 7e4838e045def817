"""Measure click to credential for each way LxL ID's button signs in on the sample NGO site.

Not a test: nothing here is asserted. It starts the app and Chromium (third-party cookies
blocked: where the button matters) with the browser tests' harness (tests/browser/harness.py).
The supporter is signed in at LxL ID already ("Stay signed in", consented), so no path types
anything; each run starts signed out of the site, on a fresh page whose silent sign-in said
``third_party_cookies_blocked``, and times one real click on the button:

- popup: the popup opens, LxL ID answers at once (its session is first-party there) by
  web_message, the popup closes; timed to the callback's credential and to the page redrawn
  signed in;
- storage access granted: the permission is granted (CDP) after the page loaded, as a person's
  answer to the prompt would be; the click gets storage access in the button's frame, which
  asks LxL ID and posts the credential itself, no popup;
- storage access refused, then popup: the first click after a popup sign-in asks for storage
  access; headless Chromium cannot show the prompt and refuses (the permission never set, as
  in a person's browser), then the popup opens (the popup blocker off, as ChromeDriver starts
  Chromium: with it on, the refusal would have cost the click its popup);
- redirect (``/members``): the page goes to LxL ID, whose form_post comes back to
  ``/auth/credential`` and then to ``/members``; timed to the supporter's name in that page.

Times are epoch milliseconds from the browser's own clock (``performance.timeOrigin`` plus
``performance.now()``), so the frame, the page and the pages after a redirect compare: from the
click event in the button's frame to the moment measured. Run:
``.venv/bin/python bench/browser/button.py [--runs N]``; it prints tables for bench/README.md.
"""

import argparse
import datetime
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from bench.browser.run import chromium_version, timing_table  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    RECORDER, SCOPE, across_navigations, inside, new_browser, signed_in, start_live_server,
    wait_for_sign_in_button)

# Installed in every new document before its own scripts, beside the harness's recorder:
# note (epoch ms) when the supporter's name appears, and this document's time origin.
WATCH = """
window.benchTimeOrigin = performance.timeOrigin;
new MutationObserver((_, observer) => {
  if (!document.querySelector('[data-lxl-user]')) return;
  window.benchSignedInAt = performance.timeOrigin + performance.now();
  observer.disconnect();
}).observe(document, {childList: true, subtree: true});
"""
# The site's own cookies: without them the next page is a stranger's (no site session, no
# returning-supporter round trip).
SITE_COOKIES = ("ngo_session", "ngo_returning", "ngo_prompt_none_tried")
STORAGE_ACCESS = {"permission": {"name": "storage-access"}}


def fresh_signed_out_page(driver, live, path="/"):
    """Load ``path`` as a stranger to the site; wait for silent sign-in's no."""
    driver.get(f"{live.ngo}/assets/site.css")  # on the NGO origin without running the SDK
    for name in SITE_COOKIES:
        driver.delete_cookie(name)
    driver.get(f"{live.ngo}{path}")
    across_navigations(driver).until(lambda d: d.execute_script(
        "return (window.ngoTestMoments || []).some(m => m.type === 'result')"))
    return wait_for_sign_in_button(driver)


def click(driver, frame):
    """Click the button for real; return the click event's time (epoch ms, the frame's clock).

    In redirect mode the frame is gone with the page before it can be asked: then the time
    taken just before the click command is returned (one WebDriver command earlier, about
    3 ms here: the difference on the other paths).
    """
    with inside(driver, frame):
        button = driver.find_element(By.CSS_SELECTOR, "button")
        before = driver.execute_script("""
            arguments[0].addEventListener('click', event => {
              window.benchClickAt = performance.timeOrigin + event.timeStamp;
            }, {once: true, capture: true});
            return performance.timeOrigin + performance.now();""", button)
        button.click()
        try:
            return driver.execute_script("return window.benchClickAt") or before
        except WebDriverException:  # the page, and the frame with it, navigated away
            return before


def credential_at(driver):
    """Wait for the callback's credential; return when it came (epoch ms, the page's clock)."""
    return across_navigations(driver).until(lambda d: d.execute_script("""
        const got = (window.ngoTestMoments || []).find(m => m.credential);
        return got && window.benchTimeOrigin + got.at;"""))


def signed_in_at(driver):
    return across_navigations(driver).until(
        lambda d: d.execute_script("return window.benchSignedInAt"))


def storage_access(driver, live, setting):
    driver.execute_cdp_cmd("Browser.setPermission", {
        **STORAGE_ACCESS, "setting": setting, "origin": live.ngo, "embeddedOrigin": live.idp})


def forget_storage_access_fact(driver):
    """Forget what the button learnt about asking for storage access (sdk/lxl-id-ui.js)."""
    driver.execute_script(
        "Object.keys(localStorage).filter(k => k.endsWith(':storage_access'))"
        ".forEach(k => localStorage.removeItem(k))")


def popup_run(driver, live):
    frame = fresh_signed_out_page(driver, live)
    clicked = click(driver, frame)
    return credential_at(driver) - clicked, signed_in_at(driver) - clicked


def granted_run(driver, live):
    frame = fresh_signed_out_page(driver, live)
    storage_access(driver, live, "granted")
    clicked = click(driver, frame)
    got = credential_at(driver)
    driver.execute_cdp_cmd("Browser.resetPermissions", {})
    return (got - clicked, signed_in_at(driver) - clicked) if storage_access_said(
        driver, True) else (None, None)


def refused_then_popup_run(driver, live):
    """The permission as a person's browser has it before any answer (never set)."""
    fresh_signed_out_page(driver, live)
    # What a popup sign-in leaves behind: the next click asks for storage access.
    driver.execute_script("localStorage.setItem('lxl:ngo-demo:storage_access', 'worth_asking')")
    frame = fresh_signed_out_page(driver, live)
    clicked = click(driver, frame)
    got = credential_at(driver)
    return (got - clicked, signed_in_at(driver) - clicked) if storage_access_said(
        driver, False) else (None, None)


def storage_access_said(driver, granted):
    """True if the button's frame told the page that storage access was ``granted`` (or not)."""
    return driver.execute_script("""
        return window.ngoTestMessages.some(m => m.data.type === 'lxl:storage_access'
                                                && m.data.granted === arguments[0])""", granted)


def redirect_run(driver, live):
    frame = fresh_signed_out_page(driver, live, "/members")
    clicked = click(driver, frame)
    shown = signed_in_at(driver)
    return None, (shown - clicked if driver.current_url == f"{live.ngo}/members" else None)


PATHS = (
    ("popup, LxL ID session (no typing)", popup_run),
    ("storage access granted (no popup)", granted_run),
    ("storage access refused (headless), then popup", refused_then_popup_run),
    ("redirect mode on /members", redirect_run),
)


def measure(runs, database):
    """Time ``runs`` clicks on each path, interleaved; return ``{path: [(to credential,
    to signed in)]}`` and Chromium's version."""
    live = start_live_server(database)
    driver = new_browser("blocked")
    for source in (RECORDER, WATCH):
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    try:
        email = signed_in(driver, live)  # at LxL ID, top-level, "Stay signed in"
        with live.app.app_context():
            from app.idp import consents
            from app.idp.models import User
            consents.remember(User.by_email(email), "ngo-demo", SCOPE)
        times = {name: [] for name, _ in PATHS}
        for run in range(runs + 1):  # the first round warms up: templates, connections
            for name, path in PATHS:
                driver.get(f"{live.ngo}/assets/site.css")
                forget_storage_access_fact(driver)
                measured = path(driver, live)
                if run:
                    times[name].append(measured)
        return times, chromium_version(driver)
    finally:
        driver.quit()
        live.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        times, version = measure(args.runs, Path(folder) / "button.db")
    print(f"Measured {datetime.date.today()}, Chromium {version}, third-party cookies "
          f"blocked, {args.runs} runs per row after one warm-up round.\n")
    for column, heading in ((0, "click → callback's credential"),
                            (1, "click → page shows the supporter signed in")):
        rows = [(name, [t[column] for t in runs if t[column] is not None])
                for name, runs in times.items()]
        print(timing_table(heading, [(name, ts) for name, ts in rows if ts]))
        print()


if __name__ == "__main__":
    main()
