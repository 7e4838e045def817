"""LxL ID's card (``prompt()``) on the sample NGO site, in real Chromium on the real origins.

A supporter signed in at LxL ID whom silent sign-in cannot sign in (no consent for the site
yet, or auto-select turned off) gets the card: "Continue as …", one click. The NGO page asks
for it (signin.js) and logs each moment its listener gets (``card_moments``); what the page was
told besides (the SDK's moments, the IdP's messages with the frame that posted them) is
recorded from before its first script (``record_sign_in``). Continue is pressed as a person
does: the mouse moved onto it and resting there, once the card's guard has armed it
(``press_continue``). Every wait is for an event, or for the frame's own clock to reach what
its guard checks, never a fixed sleep.
"""

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from app.idp.oidc.card_frame import CARD_HEIGHT_PX, CARD_WIDTH_PX
from tests import tutorial_blocks
from tests.browser.harness import (
    CARD_FRAME, CLOSE, CONTINUE, FOCUSED_FOR_MS, POINTER_SETTLED_MS, ask_for_card,
    axe_violations, card_cooldown, card_moments, claims_of, click_here, close_card, decide,
    expire_site_session, frame_now, inside, mark_document, press_continue, record_sign_in,
    rest_pointer_on, same_document, sign_in_through_the_site, signed_in, told, wait,
    wait_armed, wait_card_moment, wait_for_card, wait_for_card_frame, wait_for_popup,
    wait_for_sign_in_button, wait_frame_clock, wait_signed_in, wait_told)
# The tutorial's site, saved, registered and served as tests/browser/test_tutorial.py does.
from tests.browser.test_tutorial import my_site  # noqa: F401 (a fixture)

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CARD_PATH = "/oidc/iframe/card"
# "At once": the SDK answers from what its silent attempt learnt, with no frame; far below a
# frame's round trip (about 25 ms here) and any timeout (timeout_ms is 5000).
AT_ONCE_MS = 100
COOLDOWN_STEPS_S = (2 * 3600, 24 * 3600, 7 * 24 * 3600, 28 * 24 * 3600)  # GIS's, the design's


def is_credential(m):
    return bool(m.get("credential"))


def is_failure(reason):
    return lambda m: m.get("error") == "login_required" and m.get("reason") == reason


def is_display(m):
    return m["moment"] == "display"


def card_messages(driver):
    """The messages the card's frame posted to the page, in order (record_sign_in)."""
    return [m["data"] for m in told(driver)[1] if m["frame"] == CARD_PATH]


def prompt_moments(driver):
    """The SDK's on_moment events for the card, without their stamps."""
    return [{k: v for k, v in m.items() if k not in ("ms", "at")}
            for m in told(driver)[0] if m.get("type") == "prompt"]


def idp_paths(live, since):
    return [r.path for r in live.idp_requests[since:]]


def without_stamps(moments):
    return [{k: v for k, v in m.items() if k != "ms"} for m in moments]


def no_card_on_screen(driver):
    return not any(f.is_displayed() for f in driver.find_elements(*CARD_FRAME))


def consent_in_popup(driver, decision="allow"):
    """In the SDK's popup (LxL ID's session is first-party there): the consent page's
    ``decision``; then back to the page once the popup closed itself."""
    page, popup = driver.current_window_handle, wait_for_popup(driver)
    driver.switch_to.window(popup)
    decide(driver, decision)
    driver.switch_to.window(page)
    wait(driver).until(lambda d: popup not in d.window_handles)


def card_text(driver, frame):
    with inside(driver, frame):
        return driver.find_element(By.TAG_NAME, "body").text


def card_status(driver, frame):
    with inside(driver, frame):
        return driver.find_element(By.CSS_SELECTOR, "[role=status]").text


def trace_card_line(driver):
    return driver.execute_script("""const line = document.querySelector('#lxl-trace .trace-card');
        return [line.dataset.moment, line.textContent];""")


def continue_center(driver, frame):
    """The centre of the card's Continue button in the page's viewport (CSS pixels)."""
    with inside(driver, frame):
        inner = driver.execute_script("""const r = arguments[0].getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];""",
                                      driver.find_element(*CONTINUE))
    outer = driver.execute_script("""const r = arguments[0].getBoundingClientRect();
        return [r.left + arguments[0].clientLeft, r.top + arguments[0].clientTop];""", frame)
    return round(outer[0] + inner[0]), round(outer[1] + inner[1])


def pointer_to(driver, x, y):
    """Move the mouse to viewport point (x, y) of the page."""
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(x, y)
    actions.perform()


def first_visit_with_the_card(driver, live, **user):
    """Signed in at LxL ID (no consent for the NGO site yet), a first visit of the NGO home
    page, recorded; return ``(email, the card's frame)``."""
    record_sign_in(driver)
    email = signed_in(driver, live, consented=False, **user)
    driver.get(f"{live.ngo}/")
    return email, wait_for_card(driver)


# --- Continue ----------------------------------------------------------------------------

def test_signed_in_at_lxl_id_no_consent_yet_continue_consents_in_the_popup(make_browser, live):
    """The NGO site shows the card; Continue, then Allow in the popup: signed in, in place."""
    driver = make_browser("allowed")
    record_sign_in(driver)
    email = signed_in(driver, live, consented=False)
    since = len(live.idp_requests)
    driver.get(f"{live.ngo}/")
    wait_told(driver, is_failure("consent_required"))
    frame = wait_for_card(driver)

    name = live.user(email).name
    text = card_text(driver, frame)
    assert "Sign in to Sample NGO with LxL ID" in text
    assert name in text and email in text and "Continue as" in text
    (request,) = [r for r in live.idp_requests[since:] if r.path == CARD_PATH]
    assert request.params["client_id"] == "ngo-demo" and request.params["origin"] == live.ngo
    assert request.params["redirect_uri"] == live.ngo and request.params["nonce"]
    assert trace_card_line(driver)[0] == "displayed"

    mark_document(driver)
    press_continue(driver, frame)
    consent_in_popup(driver)
    response = wait_told(driver, is_credential)
    assert response["select_by"] == "user" and response["client_id"] == "ngo-demo"
    assert claims_of(response["credential"])["email"] == email
    assert wait_signed_in(driver) == name and same_document(driver)

    # This Chromium has IntersectionObserver v2: the card asked for the popup, no confirm.
    assert [m for m in card_messages(driver) if m["type"] == "lxl:continue"] == [
        {"type": "lxl:continue"}]
    popup = [r for r in live.authorizations(since) if r.path == "/oidc/authorize"]
    assert popup and popup[-1].params.get("prompt") != "consent"
    assert without_stamps(card_moments(driver)) == [
        {"moment": "display", "displayed": "true"},
        {"moment": "dismissed", "why": "credential_returned"}]
    assert prompt_moments(driver) == [
        {"type": "prompt", "moment": "display", "displayed": True},
        {"type": "prompt", "moment": "dismissed", "dismissed_reason": "credential_returned"}]
    wait(driver).until(no_card_on_screen)
    wait(driver).until(lambda d: "Signed in with LxL ID’s card" in d.execute_script(
        "return document.querySelector('#lxl-trace .trace-outcome').textContent"))


@pytest.mark.parametrize("how", ["opted-out-at-lxl-id", "signed-out-of-the-site"])
def test_auto_select_off_the_card_shows_and_continue_signs_in_without_a_popup(
        make_browser, live, how):
    driver = make_browser("allowed")
    record_sign_in(driver)
    if how == "opted-out-at-lxl-id":
        email = signed_in(driver, live)  # consented
        live.opt_out(email)
        driver.get(f"{live.ngo}/")
    else:  # the site's sign-out called disableAutoSelect(), which reached LxL ID
        email = live.new_user()
        sign_in_through_the_site(driver, live, email, path="/")
        driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button[type=submit]").click()
        wait_for_sign_in_button(driver)
        wait(driver).until(lambda _: live.opted_out(email))
        # Not on the page that follows "Sign out": the card would undo it.
        assert card_moments(driver) == [] and not driver.find_elements(*CARD_FRAME)
        driver.refresh()
    wait_told(driver, is_failure("auto_select_disabled"))
    frame = wait_for_card(driver)

    since = len(live.idp_requests)
    press_continue(driver, frame)
    response = wait_told(driver, is_credential)
    assert response["select_by"] == "user"
    assert claims_of(response["credential"])["email"] == email
    assert wait_signed_in(driver) == live.user(email).name
    assert len(driver.window_handles) == 1 and "/oidc/authorize" not in idp_paths(live, since)
    assert "authorization_response" in [m["type"] for m in card_messages(driver)]
    assert not live.opted_out(email), "Continue turned auto-select back on"
    assert without_stamps(card_moments(driver))[-1] == {
        "moment": "dismissed", "why": "credential_returned"}

    # On, here too: the next visit with the site's session gone is silent again.
    expire_site_session(driver, live)
    driver.get(f"{live.ngo}/")
    assert wait_told(driver, is_credential)["select_by"] == "auto"
    assert wait_signed_in(driver) and card_moments(driver) == []


# --- Close, and the cooldown -------------------------------------------------------------

def test_closing_the_card_quiets_it_across_reloads_and_says_why(make_browser, live):
    driver = make_browser("allowed")
    email, frame = first_visit_with_the_card(driver, live)
    close_card(driver, frame)
    skipped = wait_card_moment(driver, lambda m: m["moment"] == "skipped")
    assert (skipped["why"], skipped.get("reason")) == ("user_cancel", None)
    wait(driver).until(lambda d: not d.find_elements(*CARD_FRAME))
    assert [m["type"] for m in card_messages(driver)][-1] == "lxl:card_closed"
    dismissals, quiet_until = card_cooldown(live, email)
    assert dismissals == 1
    assert COOLDOWN_STEPS_S[0] - 60 <= quiet_until - time.time() <= COOLDOWN_STEPS_S[0]

    for _ in range(2):  # reload after reload: the IdP says why, the card stays away
        since = len(live.idp_requests)
        driver.refresh()
        wait_told(driver, is_failure("consent_required"))
        quiet = wait_card_moment(driver, is_display)
        assert without_stamps([quiet]) == [
            {"moment": "display", "displayed": "false", "why": "suppressed_by_user"}]
        assert CARD_PATH in idp_paths(live, since) and no_card_on_screen(driver)
        assert prompt_moments(driver) == [{"type": "prompt", "moment": "display",
                                           "displayed": False,
                                           "not_displayed_reason": "suppressed_by_user"}]
        moment, line = trace_card_line(driver)
        assert moment == "display" and "suppressed_by_user" in line
    assert card_cooldown(live, email) == (1, quiet_until)  # reloads count no dismissal


def test_cancel_closes_the_card(make_browser, live):
    driver = make_browser("allowed")
    email, _ = first_visit_with_the_card(driver, live)
    driver.execute_script("lxl.accounts.id.cancel()")
    dismissed = wait_card_moment(driver, lambda m: m["moment"] == "dismissed")
    assert dismissed["why"] == "cancel_called"
    wait(driver).until(lambda d: not d.find_elements(*CARD_FRAME))
    assert card_cooldown(live, email) is None, "only the person's close starts a cooldown"


# --- No card -----------------------------------------------------------------------------

@pytest.mark.parametrize("ended", ["signed-out", "session-expired"])
def test_signed_out_at_lxl_id_no_card_and_the_listener_is_told_at_once(make_browser, live,
                                                                       ended):
    """signin.js asks for no card for these reasons; a site that asks anyway is told why at
    once, with no frame."""
    driver = make_browser("allowed")
    record_sign_in(driver)
    email = signed_in(driver, live, consented=False)
    if ended == "signed-out":
        driver.find_element(By.CSS_SELECTOR, "form[action='/signout'] button[type=submit]").click()
        wait(driver).until(lambda d: "/signin" in d.current_url)
    else:
        live.expire_sessions(email)
    reason = {"signed-out": "no_session", "session-expired": "session_expired"}[ended]
    driver.get(f"{live.ngo}/")
    wait_told(driver, is_failure(reason))
    wait_for_sign_in_button(driver)  # the SDK's visible part is loaded
    assert card_moments(driver) == []

    since = len(live.idp_requests)
    asked_at = ask_for_card(driver)
    told_ = wait_card_moment(driver, is_display)
    assert without_stamps([told_]) == [{"moment": "display", "displayed": "false",
                                        "why": "opt_out_or_no_session", "reason": reason}]
    assert float(told_["ms"]) - asked_at < AT_ONCE_MS
    assert CARD_PATH not in idp_paths(live, since) and not driver.find_elements(*CARD_FRAME)


def test_third_party_cookies_blocked_no_card_browser_not_supported(make_browser, live):
    driver = make_browser("blocked")
    record_sign_in(driver)
    signed_in(driver, live, consented=False)  # top-level: LxL ID's cookies are set
    driver.get(f"{live.ngo}/")
    wait_told(driver, is_failure("third_party_cookies_blocked"))
    wait_for_sign_in_button(driver)
    assert card_moments(driver) == []

    since = len(live.idp_requests)
    asked_at = ask_for_card(driver)
    told_ = wait_card_moment(driver, is_display)
    assert without_stamps([told_]) == [{"moment": "display", "displayed": "false",
                                        "why": "browser_not_supported",
                                        "reason": "third_party_cookies_blocked"}]
    assert float(told_["ms"]) - asked_at < AT_ONCE_MS
    assert CARD_PATH not in idp_paths(live, since) and not driver.find_elements(*CARD_FRAME)


# --- The guard: no click through a disguise ----------------------------------------------

OVERLAY = """
const frame = arguments[0], r = frame.getBoundingClientRect();
const overlay = document.createElement('div');
overlay.id = 'test-overlay';
Object.assign(overlay.style, {position: 'fixed', left: r.left + 'px', top: r.top + 'px',
  width: r.width + 'px', height: r.height + 'px', zIndex: '2147483647',
  pointerEvents: 'none', background: 'rgba(255, 255, 255, .6)'});
document.body.append(overlay);  // after the card's container: painted over it
"""


def test_an_overlay_over_continue_refuses_the_click(make_browser, live):
    """A semi-transparent overlay that lets the pointer through (pointer-events: none): the
    real click reaches Continue, and is refused: no credential from the card. The click goes
    on to the popup with prompt=consent, where the person confirms in a window no page can
    cover; closed unconfirmed, nothing is signed in."""
    driver = make_browser("allowed")
    _, frame = first_visit_with_the_card(driver, live)
    wait_armed(driver, frame)
    driver.execute_script(OVERLAY, frame)
    wait_armed(driver, frame, armed=False)  # IntersectionObserver v2: no longer visible

    pointer_to(driver, *continue_center(driver, frame))
    wait_frame_clock(driver, frame, frame_now(driver, frame), POINTER_SETTLED_MS)
    since = len(live.idp_requests)
    click_here(driver)
    wait_told(driver, lambda m: m.get("message") == "lxl:continue" and m["frame"] == "card")
    assert [m for m in card_messages(driver) if m["type"] in ("lxl:card_refused",
                                                               "lxl:continue")] == [
        {"type": "lxl:card_refused", "why": "not_visible"},
        {"type": "lxl:continue", "confirm": True}]
    assert f"{CARD_PATH}/continue" not in idp_paths(live, since)  # the card's one-click path
    assert "Click Continue again" not in card_status(driver, frame)  # for too_soon only

    page, popup = driver.current_window_handle, wait_for_popup(driver)
    driver.switch_to.window(popup)
    wait(driver).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "button[name=decision][value=allow]")))  # the consent page
    assert "prompt=consent" in driver.current_url
    driver.close()
    driver.switch_to.window(page)
    wait_told(driver, lambda m: m.get("type") == "prompt" and m.get("moment") == "skipped")
    assert prompt_moments(driver)[-1] == {"type": "prompt", "moment": "skipped",
                                          "skipped_reason": "user_cancel",
                                          "reason": "popup_closed"}
    assert not [m for m in told(driver)[0] if is_credential(m)]


def test_a_card_partly_off_screen_never_arms_and_its_click_asks_for_confirmation(
        make_browser, live):
    """The page pushes the card half off the top of the window, so that only Continue shows
    (no heading, no name): IntersectionObserver v2 counts only a wholly visible card, so the
    click is refused and goes on to the prompt=consent popup, never to a one-click sign-in."""
    driver = make_browser("allowed")
    _, frame = first_visit_with_the_card(driver, live)
    wait_armed(driver, frame)
    driver.execute_script("arguments[0].parentElement.style.top = '-100px'", frame)
    wait_armed(driver, frame, armed=False)

    pointer_to(driver, *continue_center(driver, frame))
    wait_frame_clock(driver, frame, frame_now(driver, frame), POINTER_SETTLED_MS)
    since = len(live.idp_requests)
    click_here(driver)
    wait_told(driver, lambda m: m.get("message") == "lxl:continue" and m["frame"] == "card")
    assert [m for m in card_messages(driver) if m["type"] in ("lxl:card_refused",
                                                               "lxl:continue")] == [
        {"type": "lxl:card_refused", "why": "not_visible"},
        {"type": "lxl:continue", "confirm": True}]
    assert f"{CARD_PATH}/continue" not in idp_paths(live, since)
    wait_for_popup(driver)


def test_a_touch_tap_on_continue_counts(make_browser, live):
    """A finger's tap (touch emulation): the frame sees the pointerdown of the tap itself, on
    a card visible long enough, so the first tap counts (no "Click Continue again")."""
    driver = make_browser("allowed")
    _, frame = first_visit_with_the_card(driver, live)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    wait_armed(driver, frame)
    x, y = continue_center(driver, frame)
    for kind, points in (("touchStart", [{"x": x, "y": y}]), ("touchEnd", [])):
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
    wait_told(driver, lambda m: m.get("message") == "lxl:continue" and m["frame"] == "card")
    assert [m["type"] for m in card_messages(driver)
            if m["type"] in ("lxl:card_refused", "lxl:continue")] == ["lxl:continue"]
    wait_for_popup(driver)


def test_a_card_moved_under_the_resting_pointer_refuses_the_click_too_soon(make_browser, live):
    """The page slides the card under a pointer that rests elsewhere: the frame hears of the
    pointer only at the click (docs/browser-facts.md), so the click comes too soon; the card
    asks for another, which counts."""
    driver = make_browser("allowed")
    _, frame = first_visit_with_the_card(driver, live)
    wait_armed(driver, frame)
    x, y = continue_center(driver, frame)
    driver.execute_script("arguments[0].style.translate = '0 300px'", frame)
    pointer_to(driver, x, y)  # on the page, where Continue was
    wait_frame_clock(driver, frame, frame_now(driver, frame), 2 * POINTER_SETTLED_MS)
    driver.execute_script("arguments[0].style.translate = ''", frame)
    wait_armed(driver, frame)  # a move does not change IntersectionObserver v2's isVisible
    click_here(driver)
    wait_told(driver, lambda m: m.get("message") == "lxl:card_refused" and m["frame"] == "card")
    assert [m for m in card_messages(driver) if m["type"] == "lxl:card_refused"] == [
        {"type": "lxl:card_refused", "why": "too_soon"}]
    wait(driver).until(lambda d: "Click Continue again" in card_status(d, frame))
    assert len(driver.window_handles) == 1

    rest_pointer_on(driver, frame)  # it has been there since the click: the next one counts
    click_here(driver)
    wait_told(driver, lambda m: m.get("message") == "lxl:continue" and m["frame"] == "card")
    wait_for_popup(driver)


# --- The page learns nothing of who is signed in ---------------------------------------------

def card_as_the_page_sees_it(make_browser, live, name, email):
    """The card's frame for a user signed in at LxL ID: its box in the page, the messages it
    posted up to Continue's, and whether its own document overflows."""
    driver = make_browser("allowed")
    driver.set_window_size(1000, 700)
    _, frame = first_visit_with_the_card(driver, live, name=name, email=email)
    assert name in card_text(driver, frame)
    box = driver.execute_script("""const f = arguments[0], r = f.getBoundingClientRect();
        return {width: r.width, height: r.height, title: f.title,
                attributes: [...f.attributes].map(a => a.name).sort()};""", frame)
    with inside(driver, frame):
        overflows = driver.execute_script(
            "const e = document.documentElement; return e.scrollWidth > e.clientWidth"
            " || e.scrollHeight > e.clientHeight")
    press_continue(driver, frame)
    wait_told(driver, lambda m: m.get("message") == "lxl:continue")
    return box, card_messages(driver), prompt_moments(driver), overflows


def test_the_page_sees_the_same_card_whoever_is_signed_in(make_browser, live):
    short = card_as_the_page_sees_it(make_browser, live, "Al Ng", "al@example.org")
    long = card_as_the_page_sees_it(
        make_browser, live, "Maximiliane Wolfeschlegelsteinhausenbergerdorff-Lovelace",
        "maximiliane.wolfeschlegelsteinhausenbergerdorff@very-long-domain.example.org")
    assert short[0] == long[0]
    assert (short[0]["width"], short[0]["height"]) == (CARD_WIDTH_PX, CARD_HEIGHT_PX)
    assert short[1] == long[1]  # the frame's messages: types and every field
    assert [m["type"] for m in short[1]] == ["lxl:hello", "lxl:card", "lxl:continue"]
    assert short[2] == long[2]  # the SDK's card moments
    assert (short[3], long[3]) == (False, False), "long names and emails are ellipsized"


# --- Keyboard, accessibility, screenshots ---------------------------------------------------

def test_keyboard_only_tab_into_the_card_and_enter_on_continue(make_browser, live):
    driver = make_browser("allowed")
    email, frame = first_visit_with_the_card(driver, live)
    with inside(driver, frame):  # no autofocus: the card takes nothing from the page
        assert driver.execute_script("return document.activeElement === document.body")
    keys = ActionChains(driver)
    for _ in range(20):  # the site's links, its button, the trace's toggle, then the card
        keys.send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element == frame:
            break
    assert driver.switch_to.active_element == frame, "Tab never reached the card"
    with inside(driver, frame):
        for _ in range(3):  # the close button may come first
            if driver.switch_to.active_element.text.startswith("Continue"):
                break
            ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script("""
            const b = document.activeElement;
            return [b.tagName, b.textContent.trim().startsWith('Continue'),
                    b.matches(':focus-visible'), getComputedStyle(b).outlineStyle]""")
    assert focused[:3] == ["BUTTON", True, True] and focused[3] != "none"  # a visible focus
    focused_by = frame_now(driver, frame)  # the focus came before this stamp
    wait_armed(driver, frame)
    wait_frame_clock(driver, frame, focused_by, FOCUSED_FOR_MS)
    keys.send_keys(Keys.ENTER).perform()
    consent_in_popup(driver)
    assert wait_told(driver, is_credential)["select_by"] == "user"
    assert wait_signed_in(driver) == live.user(email).name


def test_escape_closes_the_card(make_browser, live):
    driver = make_browser("allowed")
    email, frame = first_visit_with_the_card(driver, live)
    with inside(driver, frame):
        driver.find_element(*CLOSE).send_keys(Keys.ESCAPE)  # focus in the card, then Escape
    assert wait_card_moment(driver, lambda m: m["moment"] == "skipped")["why"] == "user_cancel"
    wait(driver).until(lambda _: card_cooldown(live, email) is not None)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_in_the_card_and_screenshots(make_browser, live, scheme):
    driver = make_browser("allowed")
    driver.set_window_size(1000, 700)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    _, frame = first_visit_with_the_card(driver, live)
    wait_armed(driver, frame)
    assert frame.get_attribute("title") == "LxL ID: sign in"
    with inside(driver, frame):
        assert axe_violations(driver) == []
        lightness = driver.execute_script(CARD_LIGHTNESS)
    assert axe_violations(driver) == []  # the page, with the card on it
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"ngo-card-{scheme}.png"))
    # The card follows the person's colour scheme (none given by the page).
    assert (lightness > 0.5) == (scheme == "light"), lightness


# The lightness (0-1) of the card's own background: the first opaque one from the root down.
CARD_LIGHTNESS = """
let e = document.documentElement;
while (e) {
  const [r, g, b, a = 1] = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g).map(Number);
  if (a > 0) return (Math.max(r, g, b) + Math.min(r, g, b)) / 2 / 255;
  e = e === document.documentElement ? document.body : e.firstElementChild;
}
return null;
"""


# --- The tutorial's page with the card (docs/tutorial.md, section 11) -----------------------

CARD_PAGE = 2  # the tutorial's third templates/index.html: section 11's


def test_the_tutorials_card_page_signs_in_with_continue(make_browser, live, my_site):  # noqa: F811
    assert "lxl.accounts.id.prompt(" in tutorial_blocks.site_versions()[CARD_PAGE][
        "templates/index.html"]
    driver, site = make_browser("allowed"), my_site(CARD_PAGE)
    email = signed_in(driver, live, consented=False)
    driver.get(site.origin)
    account = (By.ID, "account")
    wait(driver).until(lambda d: d.find_element(*account).get_attribute("data-card") == "displayed")
    assert driver.find_element(*account).get_attribute("data-reason") == "consent_required"
    frame = wait_for_card_frame(driver)
    assert "Sign in to My Site with LxL ID" in card_text(driver, frame)

    press_continue(driver, frame)
    consent_in_popup(driver)
    name = live.user(email).name
    wait(driver).until(lambda d: d.find_element(*account).text == f"Signed in as {name}")
    assert driver.find_element(*account).get_attribute("data-card") == "credential_returned"
