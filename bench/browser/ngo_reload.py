"""Measure how long a returning supporter waits to be signed in on the sample NGO site.

Not a test: nothing here is asserted. It starts the app and Chromium with the browser tests'
harness (tests/browser/harness.py), signs a supporter in once through the site, then, run
after run, ends the site's own session (LxL ID's lives on) and loads ``/members`` again,
timing from the navigation's start to the page showing the supporter signed in
(``[data-lxl-user]`` in the document, noted by an observer installed in every new document).
With third-party cookies allowed that is the SDK's hidden frame,
the credential posted to ``/auth/credential`` and the page redrawn in place; with them blocked,
the SDK's answer and one top-level ``prompt=none`` round trip (once per browser session, so
each run starts a fresh browser session by dropping the cookie that remembers it).

Times come from the browser's own clock (epoch milliseconds, so that the several documents of
a round trip can be compared): from just before the navigation is asked for to the moment the
final document shows the supporter. Run:
``.venv/bin/python bench/browser/ngo_reload.py [--runs N]``; it prints a table to paste into
bench/README.md.
"""

import argparse
import datetime
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.browser.run import timing_table  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    across_navigations, expire_site_session, new_browser, sign_in_through_the_site,
    start_live_server)

PROMPT_NONE_TRIED = "ngo_prompt_none_tried"
# Installed in every new document before its own scripts: note (epoch ms, the browser's
# clock, so that a round trip's several documents compare) when the supporter's name appears.
WATCH_FOR_SIGNED_IN = """
new MutationObserver((_, observer) => {
  if (!document.querySelector('[data-lxl-user]')) return;
  window.ngoBenchSignedInAt = performance.timeOrigin + performance.now();
  observer.disconnect();
}).observe(document, {childList: true, subtree: true});
"""


def one_run(driver, live):
    """Return ms from asking for the page to the supporter shown signed in on it."""
    expire_site_session(driver, live)
    driver.delete_cookie(PROMPT_NONE_TRIED)
    # Taken in the browser just before the navigation is asked for: a WebDriver command's
    # latency (about a millisecond here) is in every figure, in both modes alike.
    asked = driver.execute_script("return Date.now()")
    driver.get(f"{live.ngo}/members")
    shown = across_navigations(driver).until(
        lambda d: d.execute_script("return window.ngoBenchSignedInAt"))
    return shown - asked if driver.current_url == f"{live.ngo}/members" else None


def measure(mode, runs, database):
    """Sign a fresh supporter in once, then time ``runs`` reloads; return the times."""
    live = start_live_server(database)
    driver = new_browser(mode)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                           {"source": WATCH_FOR_SIGNED_IN})
    try:
        sign_in_through_the_site(driver, live, live.new_user())
        one_run(driver, live)  # warm-up: templates compiled, connections open
        return [t for t in (one_run(driver, live) for _ in range(runs)) if t is not None]
    finally:
        driver.quit()
        live.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"Measured {datetime.date.today()}, {args.runs} runs per row after one warm-up.\n")
    with tempfile.TemporaryDirectory() as folder:
        rows = [(f"third-party cookies {mode}",
                 measure(mode, args.runs, Path(folder) / f"{mode}.db"))
                for mode in ("allowed", "blocked")]
    print(timing_table("reload of /members, site session expired", rows))

if __name__ == "__main__":
    main()
