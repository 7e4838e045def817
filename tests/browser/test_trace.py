"""The NGO site's live trace (app/ngo/static/trace.js) in real Chromium on the real origins.

pages/trace.html on the NGO site loads the SDK from the IdP and the trace from the site's
/assets, wired as the site wires them (on_moment and the callback call ngoTrace.moment).
"""

from selenium.webdriver.common.by import By

from tests.browser.harness import signed_in, wait

ARROWS = ("1", "2", "3", "4", "5")


def open_trace_page(driver, live):
    """Load pages/trace.html on the NGO site; wait until the SDK's attempt has ended."""
    driver.get(f"{live.ngo}/test-pages/trace.html?idp={live.idp}")
    wait(driver).until(lambda d: d.execute_script(
        "return traceTest.moments.some(m => m.type == 'result')"))


def arrows(driver):
    """The trace's arrows in document order: [{arrow, state, ms, carried}]."""
    return driver.execute_script("""
        return [...document.querySelectorAll('#lxl-trace [data-lxl-arrow]')].map(e => ({
          arrow: e.dataset.lxlArrow, state: e.dataset.state,
          ms: e.dataset.ms === undefined ? null : Number(e.dataset.ms),
          carried: e.querySelector('.trace-carried').textContent}));""")


def status_frame_timing(driver):
    """The page's Resource Timing entry for the status frame's request."""
    entries = driver.execute_script("""
        return performance.getEntriesByType('resource')
          .filter(e => e.name.includes('/oidc/iframe/check_session')).map(e => e.toJSON());""")
    assert len(entries) == 1, entries
    return entries[0]


def test_silent_sign_in_lights_all_five_arrows_in_order_with_the_sdk_stamps(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_trace_page(driver, live)

    shown = arrows(driver)
    assert [a["arrow"] for a in shown] == list(ARROWS)
    assert [a["state"] for a in shown] == ["done"] * 5
    ms = {a["arrow"]: a["ms"] for a in shown}
    # Arrow 3 rode in arrow 1's request: the same stamp, and it says so.
    assert ms["3"] == ms["1"] and "Rode in arrow 1" in shown[2]["carried"]
    assert ms["1"] < ms["2"] <= ms["4"] <= ms["5"]
    # Copied from the SDK's stamps, never computed by the page.
    moments = driver.execute_script("return traceTest.moments")
    hello, session, response = (next(m["ms"] for m in moments if m.get("message") == name)
                                for name in ("lxl:hello", "lxl:session", "authorization_response"))
    callback = next(m["ms"] for m in moments if m.get("step") == "callback")
    assert (ms["1"], ms["2"], ms["4"], ms["5"]) == (hello, session, response, callback)

    # The browser's own record of the status frame's request agrees: its answer (arrow 1, and
    # 3 in it) came when the response ended, give or take the frame's parse and the
    # cross-process postMessage hop (4-9 ms measured; 25 leaves room for a busy machine).
    timing = status_frame_timing(driver)
    assert timing["startTime"] < ms["1"]
    assert abs(ms["1"] - timing["responseEnd"]) < 25, (ms, timing)

    # The credential, shortened, never whole.
    credential = driver.execute_script("return traceTest.responses[0].credential")
    panel = driver.find_element(By.ID, "lxl-trace").get_attribute("textContent")
    assert credential[:12] in panel and credential not in panel


def test_collapsed_by_default_hooks_update_anyway_and_opening_is_remembered(make_browser, live):
    driver = make_browser("allowed")
    signed_in(driver, live)
    open_trace_page(driver, live)
    body = driver.find_element(By.ID, "lxl-trace-body")
    toggle = driver.find_element(By.CSS_SELECTOR, "#lxl-trace .trace-toggle")
    assert not body.is_displayed() and toggle.get_attribute("aria-expanded") == "false"
    assert [a["state"] for a in arrows(driver)] == ["done"] * 5, "lit while collapsed"

    toggle.click()
    assert body.is_displayed() and toggle.get_attribute("aria-expanded") == "true"
    open_trace_page(driver, live)
    assert driver.find_element(By.ID, "lxl-trace-body").is_displayed(), "remembered"


def test_a_failure_is_red_with_its_reason_and_what_to_do(browser, live):
    # Nobody signed in: the IdP says no_session, or, with third-party cookies blocked, that it
    # cannot tell.
    reason = {"allowed": "no_session", "blocked": "third_party_cookies_blocked"}[
        browser.third_party_cookies]
    open_trace_page(browser, live)
    assert browser.execute_script("return traceTest.responses")[0]["reason"] == reason

    shown = {a["arrow"]: a for a in arrows(browser)}
    assert {n: a["state"] for n, a in shown.items()} == {
        "1": "done", "2": "failed", "3": "done", "4": "skipped", "5": "failed"}
    assert reason in shown["2"]["carried"]
    assert shown["4"]["ms"] is None
    assert shown["1"]["ms"] < shown["2"]["ms"] <= shown["5"]["ms"]
    outcome = browser.find_element(By.CSS_SELECTOR, "#lxl-trace .trace-outcome")
    advice = browser.execute_script(f"return ngoTrace.advice[{reason!r}]")
    assert outcome.get_attribute("textContent") == f"login_required · {reason} {advice}"
    browser.find_element(By.CSS_SELECTOR, "#lxl-trace .trace-toggle").click()
    assert outcome.value_of_css_property("color") == "rgba(180, 35, 24, 1)"  # trace.css's red
