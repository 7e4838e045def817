"""Measure LxL ID's card on the sample NGO site: page load to card, and Continue to signed in.

Not a test: nothing here is asserted. It starts the app and Chromium (third-party cookies
allowed: where the card can show) with the browser tests' harness (tests/browser/harness.py).
Three supporters are signed in at LxL ID, each in a browser of their own, and each run loads
the NGO home page as a stranger to the site (its own cookies dropped):

- no consent yet: silent sign-in says ``consent_required``, the page calls ``prompt()``, the
  card's frame is loaded and says it is displayed;
- auto-select off (an opt-out at LxL ID, as ``disableAutoSelect()`` leaves it): silent
  sign-in says ``auto_select_disabled``, then the same; then Continue is pressed (consent is
  there: the frame asks LxL ID itself, no popup);
- closed before (a cooldown running): the card's frame answers ``suppressed_by_user``.

"Page load → card" is the SDK's own stamp of the card's display moment (``{type: 'prompt',
moment: 'display'}``'s ``ms``: ``performance.now()``, from the navigation's start), beside
the stamp of silent sign-in's answer (the ``result`` moment) after which the page asked for
the card. "Continue → …" runs from the click event in the card's frame (epoch ms from the
browser's clock, the frame's ``timeOrigin`` plus the event's ``timeStamp``) to the callback's
credential and to the page showing the supporter signed in; the guard's waits before the
click (armed after 500 ms visible, the pointer resting 250 ms) are not in it. Also printed:
the gzip size of the SDK's visible part as LxL ID serves it. Run:
``.venv/bin/python bench/browser/card.py [--runs N]``; it prints tables for bench/README.md.
"""

import argparse
import datetime
import gzip
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.browser.button import SITE_COOKIES, WATCH, credential_at, signed_in_at  # noqa: E402
from bench.browser.run import chromium_version, timing_table  # noqa: E402
from tests.browser.harness import (  # noqa: E402
    CONTINUE, RECORDER, across_navigations, click_here, close_card, inside, new_browser,
    rest_pointer_on, signed_in, start_live_server, wait_armed, wait_for_card)

PART = "/static/lxl-id-ui.js"
# Run in the card's frame before the click: the click event's time (epoch ms) posted to the
# page, which records it (harness RECORDER); the frame is gone by the time the credential is
# there. The SDK passes on a message type it does not know as a moment, and does nothing else.
TELL_CLICK = """
arguments[0].addEventListener('click', event => parent.postMessage(
  {type: 'bench:click', at: performance.timeOrigin + event.timeStamp}, arguments[1]),
  {once: true, capture: true});
"""


def stranger_load(driver, live):
    """Load the home page as a stranger to the site; return nothing (the moments tell)."""
    driver.get(f"{live.ngo}/assets/site.css")  # on the NGO origin without running the SDK
    for name in SITE_COOKIES:
        driver.delete_cookie(name)
    driver.get(f"{live.ngo}/")


def card_moment(driver):
    """Wait for the card's display moment; return ``(its ms, silent result's ms, displayed)``
    (the page's clock: ms since the navigation started)."""
    return across_navigations(driver).until(lambda d: d.execute_script("""
        const moments = window.ngoTestMoments || [];
        const shown = moments.find(m => m.type === 'prompt' && m.moment === 'display');
        const result = moments.find(m => m.type === 'result');
        return shown && result && [shown.ms, result.ms, shown.displayed];"""))


def displayed_run(driver, live):
    stranger_load(driver, live)
    shown, result, displayed = card_moment(driver)
    return (shown, shown - result) if displayed else (None, None)


def suppressed_run(driver, live):
    stranger_load(driver, live)
    shown, result, displayed = card_moment(driver)
    return (shown, shown - result) if not displayed else (None, None)


def continue_run(driver, live, email):
    """Auto-select off: the card, then Continue; return the load times and the round trip."""
    live.opt_out(email)  # the last run's Continue turned it back on
    stranger_load(driver, live)
    shown, result, displayed = card_moment(driver)
    if not displayed:
        return None
    frame = wait_for_card(driver)
    wait_armed(driver, frame)
    rest_pointer_on(driver, frame)
    with inside(driver, frame):
        driver.execute_script(TELL_CLICK, driver.find_element(*CONTINUE), live.ngo)
    click_here(driver)
    got = credential_at(driver)
    clicked = driver.execute_script("""
        return window.ngoTestMessages.find(m => m.data.type === 'bench:click').data.at""")
    return (shown, shown - result), (got - clicked, signed_in_at(driver) - clicked)


def part_size(live):
    """The SDK's visible part as served: (bytes, gzip -9 bytes)."""
    body = live.app.test_client().get(PART, base_url=live.idp).get_data()
    return len(body), len(gzip.compress(body, 9))


def browser_for(live, consented, **user):
    driver = new_browser("allowed")
    for source in (RECORDER, WATCH):
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    return driver, signed_in(driver, live, consented=consented, **user)


def measure(runs, database):
    """Interleave ``runs`` of each path (after one warm-up round); return the timings."""
    live = start_live_server(database)
    drivers = []
    try:
        no_consent, _ = browser_for(live, consented=False)
        auto_off, auto_off_email = browser_for(live, consented=True)
        closed, _ = browser_for(live, consented=False)
        drivers = [no_consent, auto_off, closed]
        stranger_load(closed, live)  # close the card once: a cooldown of 2 hours
        close_card(closed, wait_for_card(closed))
        across_navigations(closed).until(lambda d: d.execute_script(
            "return (window.ngoTestMoments || []).some(m => m.moment === 'skipped')"))
        load = {"no consent yet (consent_required)": [],
                "auto-select off (auto_select_disabled)": [],
                "closed before (suppressed_by_user)": []}
        round_trip = []
        for run in range(runs + 1):
            measured = {"no consent yet (consent_required)": displayed_run(no_consent, live),
                        "closed before (suppressed_by_user)": suppressed_run(closed, live)}
            continued = continue_run(auto_off, live, auto_off_email)
            if continued:
                measured["auto-select off (auto_select_disabled)"] = continued[0]
            if run:
                for name, times in measured.items():
                    if times[0] is not None:
                        load[name].append(times)
                if continued:
                    round_trip.append(continued[1])
        return load, round_trip, part_size(live), chromium_version(no_consent)
    finally:
        for driver in drivers:
            driver.quit()
        live.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        load, round_trip, (size, gzipped), version = measure(args.runs, Path(folder) / "card.db")
    print(f"Measured {datetime.date.today()} on {os.cpu_count()} CPUs, Chromium {version}, "
          f"third-party cookies allowed, {args.runs} runs per row after one warm-up round.\n")
    print(timing_table("page load → card's display moment (ms since navigation start)",
                       [(name, [t[0] for t in times]) for name, times in load.items() if times]))
    print()
    print(timing_table("silent sign-in's answer → card's display moment",
                       [(name, [t[1] for t in times]) for name, times in load.items() if times]))
    print()
    print(timing_table("Continue (auto-select off, consented) →",
                       [("callback's credential", [t[0] for t in round_trip]),
                        ("page shows the supporter signed in", [t[1] for t in round_trip])]))
    print(f"\n`{PART}` as served: {size:,} bytes, {gzipped:,} bytes gzip -9.")


if __name__ == "__main__":
    main()
