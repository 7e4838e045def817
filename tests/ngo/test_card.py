"""The NGO site and LxL ID's card (``prompt()``): when the page asks for it, what it keeps of
the card's moments, and the plain words its trace has for each moment reason.

signin.js and trace.js run here in Node, on a few fake DOM objects (no browser: these are the
page's decisions, not the card's); the card itself, on the real origins, is in
tests/browser/test_card.py.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.idp.oidc.reasons import (
    ALL_REASONS, AUTO_SELECT_DISABLED, CONSENT_REQUIRED, DISMISSED_REASONS,
    NOT_DISPLAYED_REASONS, SKIPPED_REASONS)
from tests.helpers import NGO

STATIC = Path(__file__).resolve().parents[2] / "app" / "ngo" / "static"
# The failure reasons for which the site asks for the card: signed in at LxL ID, only the
# supporter's word missing.
CARD_REASONS = {CONSENT_REQUIRED, AUTO_SELECT_DISABLED}

# Runs signin.js in a context with just enough of a page, then the scenario (argv[2], JSON):
# {signedIn, justSignedOut, failures: [reason], moments: [moment]}; prints what the page did.
SIGNIN_PAGE = r"""
const vm = require('node:vm');
const scenario = JSON.parse(process.argv[2]);
const element = () => ({dataset: {}, textContent: '', hidden: true, children: [],
                        append(child) { this.children.push(child) }});
const log = element(), area = element(), link = element(), status = element();
const prompts = [];
const context = {
  performance: {now: () => 12.5},
  lxl: {accounts: {id: {prompt: listener => prompts.push(listener)}}},
  document: {
    body: {dataset: scenario.justSignedOut ? {ngoJustSignedOut: ''} : {}},
    createElement: element,
    getElementById: id => id === 'ngo-card-moments' ? log : null,
    querySelector: selector => selector === '[data-lxl-user]' && scenario.signedIn ? {} : null,
    querySelectorAll: selector => ({'[data-ngo-signin]': [area], '[data-ngo-signin-link]': [link],
                                    '[data-ngo-signin-status]': [status]})[selector] || [],
  },
};
context.window = context;
vm.createContext(context);
vm.runInContext(require('node:fs').readFileSync(process.argv[1], 'utf8'), context);
const ngo = vm.runInContext('ngo', context);
for (const reason of scenario.failures) {
  ngo.signIn({credential: undefined, error: 'login_required', reason});
}
// A moment as the SDK hands it to prompt()'s listener: GIS's methods over plain fields.
const notification = ({type, displayed, why, reason}) => Object.freeze({
  getMomentType: () => type,
  isDisplayMoment: () => type === 'display',
  isDisplayed: () => type === 'display' && displayed,
  isNotDisplayed: () => type === 'display' && !displayed,
  getNotDisplayedReason: () => type === 'display' && !displayed ? why : undefined,
  isSkippedMoment: () => type === 'skipped',
  getSkippedReason: () => type === 'skipped' ? why : undefined,
  isDismissedMoment: () => type === 'dismissed',
  getDismissedReason: () => type === 'dismissed' ? why : undefined,
  ...(reason ? {reason} : {}),
});
for (const moment of scenario.moments || []) ngo.cardMoment(notification(moment));
console.log(JSON.stringify({
  prompts: prompts.map(listener => listener === ngo.cardMoment),
  log: log.children.map(item => ({...item.dataset, text: item.textContent})),
  button: area.dataset.ngoSignin,
}));
"""

# Evaluates trace.js as a page without the panel would, and prints its card words' keys.
CARD_WORDS_KEYS = """
const vm = require('node:vm');
const context = {document: {getElementById: () => null}};
context.window = context;
vm.runInNewContext(require('node:fs').readFileSync(process.argv[1], 'utf8'), context);
console.log(JSON.stringify(Object.keys(context.ngoTrace.cardWords)));
"""


def node(script, path, *args):
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: this test runs the site's script")
    done = subprocess.run([found, "-e", script, str(path), *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def signin_page(failures=(), moments=(), signed_in=False, just_signed_out=False):
    return node(SIGNIN_PAGE, STATIC / "signin.js", json.dumps({
        "failures": list(failures), "moments": list(moments), "signedIn": signed_in,
        "justSignedOut": just_signed_out}))


@pytest.mark.parametrize("reason", ALL_REASONS)
def test_the_card_is_asked_for_only_when_just_the_supporters_word_is_missing(reason):
    page = signin_page([reason])
    assert page["prompts"] == ([True] if reason in CARD_REASONS else [])  # ngo.cardMoment
    # The header's button shows whatever the reason (the card comes on top of it), except
    # where the page's own link or round trip takes over.
    if reason not in ("third_party_cookies_blocked", "idp_unreachable", "timeout"):
        assert page["button"] == "shown"


def test_the_card_is_asked_for_once_per_page():
    """A re-check on return to the tab fails the same way: the card was offered already."""
    assert signin_page([CONSENT_REQUIRED, AUTO_SELECT_DISABLED, CONSENT_REQUIRED])["prompts"] == [True]


def test_no_card_right_after_signing_out_of_the_site_nor_for_a_signed_in_supporter():
    assert signin_page([AUTO_SELECT_DISABLED], just_signed_out=True)["prompts"] == []
    assert signin_page([CONSENT_REQUIRED], signed_in=True)["prompts"] == []


def test_each_moment_is_one_item_of_the_hidden_log_by_its_gis_methods():
    page = signin_page([CONSENT_REQUIRED], moments=[
        {"type": "display", "displayed": True},
        {"type": "display", "displayed": False, "why": "opt_out_or_no_session",
         "reason": "no_session"},
        {"type": "skipped", "why": "user_cancel", "reason": "popup_closed"},
        {"type": "dismissed", "why": "credential_returned"},
    ])
    assert page["log"] == [
        {"moment": "display", "displayed": "true", "ms": "12.5", "text": "display displayed=true"},
        {"moment": "display", "displayed": "false", "why": "opt_out_or_no_session",
         "reason": "no_session", "ms": "12.5",
         "text": "display displayed=false opt_out_or_no_session no_session"},
        {"moment": "skipped", "why": "user_cancel", "reason": "popup_closed", "ms": "12.5",
         "text": "skipped user_cancel popup_closed"},
        {"moment": "dismissed", "why": "credential_returned", "ms": "12.5",
         "text": "dismissed credential_returned"},
    ]


def test_the_trace_has_plain_words_for_every_moment_reason():
    keys = node(CARD_WORDS_KEYS, STATIC / "trace.js")
    assert sorted(keys) == sorted(NOT_DISPLAYED_REASONS + SKIPPED_REASONS + DISMISSED_REASONS)


def test_every_page_has_the_hidden_log_outside_what_signing_in_redraws(http):
    page = http.get(f"{NGO}/").text
    assert '<ol id="ngo-card-moments" hidden></ol>' in page
    main = re.search(r'<main id="ngo-main">.*?</main>', page, flags=re.DOTALL)[0]
    header = re.search(r'<header [^>]*id="ngo-header">.*?</header>', page, flags=re.DOTALL)[0]
    assert "ngo-card-moments" not in main + header
    assert "data-ngo-just-signed-out" not in page


def test_the_page_after_signing_out_says_so_to_signin_js_once(live, browser):
    assert browser.sign_in_with_credential(live).status_code == 200
    after = browser.submit(browser.get(f"{live.ngo}/"))  # POST /logout
    assert re.search(r"<body[^>]* data-ngo-just-signed-out[ >]", after.text)
    assert "data-ngo-just-signed-out" not in browser.get(f"{live.ngo}/").text
