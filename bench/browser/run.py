"""Measure silent sign-in through the SDK in real Chromium; print a table, update bench/README.md.

Not a test: nothing here is asserted. It starts the app and Chromium with the browser tests'
own harness (tests/browser/harness.py) and drives the same test pages:

- bare: a hidden cross-site frame on the IdP origin that posts back at once
  (tests/browser/pages/bare.html) — the floor of any frame-based sign-in;
- credential: ``initialize()`` → callback with a credential (signed in, consented,
  third-party cookies allowed), interleaved with the bare frames so both see the same machine;
- no_session, third_party_cookies_blocked, and a credential with cookies blocked but storage
  access granted;
- the IdP's one frame without the SDK: a few lines of plain JS (tests/browser/pages/frames.html)
  open the status frame carrying the whole silent authorization, interleaved with bare frames.

Each SDK run is a fresh ``initialize()`` in the same page: it drops the previous status frame
and cached credential, so every run opens a new frame at the IdP (checked against the server's
request log). Run: ``.venv/bin/python bench/browser/run.py [--runs N] [--no-write]``.
"""

import argparse
import datetime
import os
from pathlib import Path
import statistics
import sys
import tempfile
import textwrap
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.browser.harness import (  # noqa: E402
    grant_storage_access, messages, new_browser, open_test_page, signed_in, start_live_server)

README = ROOT / "bench" / "README.md"
TARGET_RATIO = 1.3
MIN_README_RUNS = 30


def until(driver, condition, seconds=10):
    return WebDriverWait(driver, seconds, poll_frequency=0.02).until(condition)


def open_page(driver, live):
    """The SDK test page, SDK loaded, no initialize() yet."""
    query = urlencode({"idp": live.idp, "manual": 1})
    driver.get(f"{live.ngo}/test-pages/sdk.html?{query}")
    until(driver, lambda d: d.execute_script("return !!(window.sdkTest && sdkTest.loaded)"))


def bare_once(driver):
    count = driver.execute_script("sdkTest.bare(); return sdkTest.bareTimes.length")
    return until(driver, lambda d: d.execute_script(
        "return sdkTest.bareTimes.length > arguments[0] && sdkTest.bareTimes.at(-1)", count))


def sdk_once(driver, live):
    """One fresh initialize() → callback; return (ms, outcome, status frame requests)."""
    before = len(live.idp_requests)
    driver.execute_script("sdkTest.clear(); sdkTest.init()")
    call = until(driver, lambda d: d.execute_script("return sdkTest.callbacks[0] || false"))
    frames = sum(1 for r in live.idp_requests[before:] if r.path == "/oidc/iframe/check_session")
    outcome = "credential" if call["response"].get("credential") else call["response"]["reason"]
    return call["since"], outcome, frames


def measure(driver, live, runs, expected, with_bare=False):
    """``runs`` SDK attempts (and as many bare frames, interleaved); return the timings."""
    sdk_once(driver, live)  # warm-up: the IdP's renderer process, the SDK's code paths
    if with_bare:
        bare_once(driver)
    times, bare, misfires = [], [], {}
    while len(times) < runs:
        if with_bare:
            bare.append(bare_once(driver))
        ms, outcome, frames = sdk_once(driver, live)
        if frames < 1:  # (with a storage-access grant Chromium may repeat the request once)
            raise SystemExit("a run did not reach the IdP: the SDK answered from a cache")
        if outcome == expected:
            times.append(ms)
        else:  # counted, not timed: a run that did not end as the row expects
            misfires[outcome] = misfires.get(outcome, 0) + 1
    return times, bare, misfires


def frame_once(driver, start, answer):
    """Run the JS ``start`` on the plain-JS page; return (ms to the ``answer`` message, its data)."""
    driver.execute_script("document.querySelectorAll('iframe').forEach(f => f.remove());"
                          "window.lxlTest.messages.length = 0;" + start)
    return until(driver, lambda d: next(((m["at"], m["data"]) for m in messages(d)
                                         if m["data"].get("type") == answer), False))


def measure_one_frame(live, runs):
    """The status frame carrying the authorization, and bare frames, interleaved; no SDK."""
    driver = new_browser("allowed")
    try:
        signed_in(driver, live)
        open_test_page(driver, live)
        bare, silent = [], []
        for run in range(runs + 1):  # the first is a warm-up
            bare_ms, _ = frame_once(driver, "window.lxlTest.bare()", "bare")
            silent_ms, answer = frame_once(driver, "window.lxlTest.checkSession(true)",
                                           "authorization_response")
            if "id_token" not in answer["response"]:
                raise SystemExit(f"the status frame answered without a credential: {answer}")
            if run:
                bare.append(bare_ms)
                silent.append(silent_ms)
    finally:
        driver.quit()
    return bare, silent


def p95(values):
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def chromium_version(driver):
    return driver.capabilities.get("browserVersion", "?")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40,
                        help=f"measured runs per row (default 40; at least {MIN_README_RUNS} "
                             f"unless --no-write, at least 2 for a p95)")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()
    # The README's figures come from enough runs for a p95; a quick check may take fewer.
    runs = args.runs if args.no_write else max(args.runs, MIN_README_RUNS)
    if runs < 2:
        parser.error("--runs must be at least 2 (a p95 needs two values)")

    live = start_live_server(Path(tempfile.mkdtemp(prefix="lxl-bench-")) / "bench.db")
    rows, misfires, version = {}, {}, "?"
    try:
        scenarios = [
            ("credential", "allowed", True, False, "credential"),
            ("no_session", "allowed", False, False, "no_session"),
            ("third_party_cookies_blocked", "blocked", True, False,
             "third_party_cookies_blocked"),
            ("credential, storage access granted", "blocked", True, True, "credential"),
        ]
        for name, cookies, sign_in_first, granted, expected in scenarios:
            driver = new_browser(cookies)
            try:
                version = chromium_version(driver)
                if sign_in_first:
                    signed_in(driver, live)
                if granted:
                    grant_storage_access(driver, live)
                open_page(driver, live)
                times, bare, missed = measure(driver, live, runs, expected,
                                              with_bare=name == "credential")
            finally:
                driver.quit()
            rows[name] = times
            if bare:
                rows["bare cross-site frame"] = bare
            if missed:
                misfires[name] = missed
        one_frame = measure_one_frame(live, runs)
    finally:
        live.stop()

    order = ["bare cross-site frame", "credential", "no_session", "third_party_cookies_blocked",
             "credential, storage access granted"]
    ratio = statistics.median(rows["credential"]) / statistics.median(rows["bare cross-site frame"])
    table = timing_table("initialize() → callback", [
        (name if name.startswith("bare") else f"SDK: {name}", rows[name]) for name in order])
    verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
    summary = (f"Credential median / bare frame median = **{ratio:.2f}** ({verdict} the "
               f"{TARGET_RATIO}× target).")
    misfire_note = "; ".join(f"{name}: " + ", ".join(f"{n} × {outcome}" for outcome, n in missed.items())
                             for name, missed in misfires.items()) or "none"
    bare, silent = one_frame
    one_frame_table = timing_table("plain JS, no SDK: frame created → message", [
        ("bare cross-site frame", bare), ("status frame with the authorization", silent)])
    one_frame_summary = (f"Status frame median / bare frame median = "
                         f"**{statistics.median(silent) / statistics.median(bare):.2f}**.")
    today = datetime.date.today().isoformat()
    machine = f"{os.cpu_count()} CPUs (nproc), Chromium {version}, headless, loopback"
    print(f"\n{table}\n\n{summary}\nRuns with another outcome (not timed): {misfire_note}\n\n"
          f"{one_frame_table}\n\n{one_frame_summary}\n{today}, {machine}")
    if not args.no_write:
        write_readme(table, summary, misfire_note, one_frame_table, one_frame_summary, today,
                     machine, runs)


def timing_table(heading, rows):
    """A Markdown table of runs, median, p95 and min for each (label, values) row."""
    lines = [f"| {heading} | runs | median ms | p95 ms | min ms |", "|---|---:|---:|---:|---:|"]
    for label, values in rows:
        lines.append(f"| {label} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{p95(values):.1f} | {min(values):.1f} |")
    return "\n".join(lines)


def write_readme(table, summary, misfire_note, one_frame_table, one_frame_summary, today,
                 machine, runs):
    about = textwrap.fill(
        f"Measured {today} on {machine}, by `.venv/bin/python bench/browser/run.py` ({runs} "
        "measured runs per row after one warm-up; the bare frames interleaved with the "
        "credential runs). Times are the test page's `performance.now()` from the "
        "`initialize()` call (or the frame's creation, for the bare frame) to the callback (or "
        "the frame's message). Every SDK run is a fresh `initialize()` that opens a new status "
        "frame at the IdP (checked in the server log).", width=92)
    section = f"""## Browser

{about}

{table}

{summary}

Runs that ended with another outcome, counted and not timed: {misfire_note}.

### The IdP's one frame, without the SDK

In the same run, a plain-JS page (`tests/browser/pages/frames.html`) opens the status frame
carrying the whole silent authorization, interleaved with a bare frame, {runs} times
each after one warm-up. The SDK's own cost (cross-tab lock, checks, callback) is the rest of
the gap above.

{one_frame_table}

{one_frame_summary}
"""
    intro = """# Benchmarks

Benchmarks are measured, not asserted: nothing here fails a build. Each section says how to
re-run it and on what machine its figures were taken; replace the figures when you re-run.

"""
    text = README.read_text() if README.exists() else intro
    start = text.find("## Browser")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end < 0 else text[end:])
    README.parent.mkdir(parents=True, exist_ok=True)
    README.write_text(text)
    print(f"updated {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
