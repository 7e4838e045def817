"""POST /auth/credential in the standard form_post shape: the button's redirect mode.

LxL ID answers a redirect-mode sign-in with its form_post page, which posts ``id_token`` and
``state`` to ``login_uri`` from another site. Such a POST carries only ``SameSite=None``
cookies (``Browser.cross_site_post`` sends exactly those): the SDK's ``g_csrf_token`` cookie,
which the state must equal, and the NGO's ``__Host-ngo_nonce``, which the token's nonce must
equal.
"""

import pytest

from app.ngo.cookies import NONCE as NONCE_COOKIE, RETURN_TO
from app.ngo.credentials import CSRF_COOKIE
from tests.ngo.conftest import signed_in_name

STATE = "st4te-from-the-sdk"


def start_redirect_sign_in(live, browser, path="/members"):
    """Load ``path`` and do what the button's click does in redirect mode: set the
    ``g_csrf_token`` cookie to the request's state; return the page's nonce."""
    page = browser.get(f"{live.ngo}{path}")
    browser.set_cross_site_cookie("g_csrf_token", STATE)
    return browser.nonce(page)


def form_post(live, browser, **form):
    """LxL ID's form_post page, submitting ``form`` to the NGO's login_uri."""
    return browser.cross_site_post(f"{live.ngo}/auth/credential", form)


def test_the_nonce_and_return_cookies_come_back_on_a_cross_site_post(live, browser):
    members = browser.get(f"{live.ngo}/members")
    set_cookies = members.raw.headers.getlist("Set-Cookie")
    nonce = next(c for c in set_cookies if c.startswith("__Host-ngo_nonce="))
    back = next(c for c in set_cookies if c.startswith("ngo_return_to="))
    for cookie in (nonce, back):
        for attribute in ("Secure", "HttpOnly", "SameSite=None", "Max-Age=600"):
            assert attribute in cookie, cookie
    # What the __Host- prefix demands, or browsers drop the cookie (RFC 6265bis §4.1.3.2).
    assert "Path=/;" in nonce + ";" and "Domain=" not in nonce
    assert "Path=/auth/credential" in back


def set_cookie_headers(answer):
    """The Set-Cookie headers of ``answer`` and of every redirect before it."""
    return [c for r in [*answer.history, answer] for c in r.raw.headers.getlist("Set-Cookie")]


def deleted(name, answer):
    """True if ``answer`` (or a redirect before it) deleted the cookie ``name``."""
    return any(c.startswith(f"{name}=;") and "Max-Age=0" in c for c in set_cookie_headers(answer))


def test_the_form_post_shape_signs_in_and_lands_back_on_the_page_it_left(live, browser):
    nonce = start_redirect_sign_in(live, browser)
    landed = form_post(live, browser, id_token=live.credential(nonce=nonce), state=STATE)
    assert landed.history[0].status_code == 303
    assert landed.url == f"{live.ngo}/members" and signed_in_name(landed) == "Ada Lovelace"
    assert "data-ngo-shifts" in landed.text
    # The return cookie went with its first use: a later sign-in lands on home.
    assert not [c for c in browser.cookies if c.name == "ngo_return_to"]


def test_landing_leaves_none_of_the_sign_ins_cookies_and_a_replay_is_refused(live, browser):
    nonce = start_redirect_sign_in(live, browser)
    token = live.credential(nonce=nonce)
    landed = form_post(live, browser, id_token=token, state=STATE)
    assert signed_in_name(landed) == "Ada Lovelace"
    for name in (NONCE_COOKIE, CSRF_COOKIE, RETURN_TO):
        assert deleted(name, landed.history[0]), name
    left = {c.name for c in browser.cookies}
    assert CSRF_COOKIE not in left and RETURN_TO not in left
    # The page landed on hands out a nonce of its own, never the one just used.
    assert browser.nonce(landed) != nonce

    replayed = form_post(live, browser, id_token=token, state=STATE)
    assert replayed.status_code == 403 and "<code>state_cookie_missing</code>" in replayed.text


def test_a_refused_answer_spends_the_state_too(live, browser):
    start_redirect_sign_in(live, browser)
    refused = form_post(live, browser, id_token="not.a-jwt", state=STATE)
    assert refused.status_code == 400 and deleted(CSRF_COOKIE, refused)
    assert CSRF_COOKIE not in {c.name for c in browser.cookies}


def test_the_page_saying_no_has_a_nonce_that_signs_in(live, browser):
    """A refusal took the nonce; the page it renders (header, button) needs a fresh one."""
    start_redirect_sign_in(live, browser)
    refused = form_post(live, browser, id_token=live.credential(nonce="another-page-load"),
                        state=STATE)
    assert refused.status_code == 401 and "<code>wrong_nonce</code>" in refused.text
    answer = browser.post_credential(live, live.credential(nonce=browser.nonce(refused)))
    assert answer.status_code == 200 and answer.json()["signed_in"] is True


def test_a_refusal_links_back_to_the_page_the_sign_in_left(live, browser):
    start_redirect_sign_in(live, browser)
    refused = form_post(live, browser, id_token="not.a-jwt", state=STATE)
    assert '<a href="/members" data-ngo-back>' in refused.text
    assert deleted(RETURN_TO, refused)


def test_a_form_post_sign_in_started_on_home_lands_on_home(live, browser):
    nonce = start_redirect_sign_in(live, browser, path="/")
    landed = form_post(live, browser, id_token=live.credential(nonce=nonce), state=STATE)
    assert landed.url == f"{live.ngo}/" and signed_in_name(landed) == "Ada Lovelace"


# (code, status, what the page must name, how to spoil the otherwise valid post)
REFUSED = {
    "no state": ("state_missing", 403, "'state'", {"state": None}),
    "empty state": ("state_missing", 403, "'state'", {"state": ""}),
    "no state cookie": ("state_cookie_missing", 403, "'g_csrf_token' cookie",
                        {"drop_cookie": True}),
    "another state": ("state_mismatch", 403, "'state'", {"state": "not-the-one-sent"}),
    "state not ASCII": ("state_mismatch", 403, "'state'", {"state": "\u00e9t\u00e9"}),
    "wrong nonce": ("wrong_nonce", 401, "nonce", {"nonce": "another-page-load"}),
    "no id_token": ("credential_missing", 400, "'id_token'", {"id_token": None}),
    "garbage id_token": ("malformed", 400, "signed ID token", {"id_token": "not.a-jwt"}),
}


@pytest.mark.parametrize("code, status, named, spoil", REFUSED.values(), ids=REFUSED.keys())
def test_a_spoiled_form_post_is_refused_with_a_page_naming_what_failed(
        shared_live, browser, code, status, named, spoil):
    nonce = start_redirect_sign_in(shared_live, browser)
    if spoil.get("drop_cookie"):
        browser.cookies.clear(domain="ngo.localhost", path="/", name="g_csrf_token")
    form = {"id_token": shared_live.credential(nonce=spoil.get("nonce", nonce)),
            "state": STATE}
    form.update({k: v for k, v in spoil.items() if k in form})
    refused = form_post(shared_live, browser, **{k: v for k, v in form.items() if v is not None})
    assert refused.status_code == status, refused.text
    assert "Sign-in did not work" in refused.text and f"<code>{code}</code>" in refused.text
    assert named in refused.text.replace("&#39;", "'")
    assert signed_in_name(browser.get(f"{shared_live.ngo}/members")) is None


def test_a_cross_site_post_of_an_attackers_own_token_never_signs_the_victim_in(
        shared_live, make_browser):
    """Login CSRF: the attacker gets a genuine token for their own account (their own nonce,
    their own state), then makes the victim's browser post it."""
    attacker, victim = make_browser(), make_browser()
    attackers_nonce = start_redirect_sign_in(shared_live, attacker)
    token = shared_live.credential(nonce=attackers_nonce, sub="pairwise-mallory",
                                   name="Mallory")
    victim.get(f"{shared_live.ngo}/members")  # the victim has a nonce of its own

    # The victim started no sign-in: no g_csrf_token cookie to match any state.
    refused = form_post(shared_live, victim, id_token=token, state=STATE)
    assert refused.status_code == 403 and "state_cookie_missing" in refused.text
    # The victim started one: its state is not the attacker's.
    victim.set_cross_site_cookie("g_csrf_token", "the-victims-own-state")
    refused = form_post(shared_live, victim, id_token=token, state=STATE)
    assert refused.status_code == 403 and "state_mismatch" in refused.text
    # Even an attacker who could plant the cookie (a sibling subdomain, say) meets the nonce.
    victim.set_cross_site_cookie("g_csrf_token", STATE)
    refused = form_post(shared_live, victim, id_token=token, state=STATE)
    assert refused.status_code == 401 and "wrong_nonce" in refused.text

    assert signed_in_name(victim.get(f"{shared_live.ngo}/members")) is None


def test_cookie_tossing_cannot_plant_the_attackers_nonce(shared_live, make_browser):
    """A sibling subdomain can set cookies on the NGO's host (Domain=<parent>): the state
    cookie, and a copy of the attacker's own signed nonce cookie. It can never set a
    ``__Host-`` cookie, so its nonce goes in under the name without the prefix."""
    attacker, victim = make_browser(), make_browser()
    attackers_nonce = start_redirect_sign_in(shared_live, attacker)
    (attackers_cookie,) = [c for c in attacker.cookies if c.name.endswith("ngo_nonce")]
    token = shared_live.credential(nonce=attackers_nonce, sub="pairwise-mallory",
                                   name="Mallory")
    victim.get(f"{shared_live.ngo}/members")

    plantable = attackers_cookie.name.removeprefix("__Host-")
    if plantable in {c.name for c in victim.cookies}:  # tossed cookies shadow the victim's
        victim.cookies.clear(domain="ngo.localhost", path="/", name=plantable)
    victim.set_cross_site_cookie(plantable, attackers_cookie.value)
    victim.set_cross_site_cookie("g_csrf_token", STATE)
    refused = form_post(shared_live, victim, id_token=token, state=STATE)
    assert refused.status_code == 401 and "wrong_nonce" in refused.text
    assert signed_in_name(victim.get(f"{shared_live.ngo}/members")) is None


def test_a_denied_sign_in_goes_back_to_the_page_and_says_so_in_plain_words(
        shared_live, browser):
    start_redirect_sign_in(shared_live, browser)
    denied = form_post(shared_live, browser, error="access_denied", state=STATE)
    assert denied.history[0].status_code == 303 and denied.status_code == 200
    assert denied.url == f"{shared_live.ngo}/members" and signed_in_name(denied) is None
    assert "You chose not to sign in with LxL ID: nothing was shared" in denied.text
    assert 'class="flash info" role="status"' in denied.text
    assert deleted(RETURN_TO, denied) and deleted(CSRF_COOKIE, denied)
    # Said once: the next page load is quiet.
    assert "You chose not to sign in" not in browser.get(f"{shared_live.ngo}/members").text
    # An error answer uses no nonce: the page's nonce still signs in (a new click: new state).
    nonce = browser.nonce(browser.get(f"{shared_live.ngo}/members"))
    browser.set_cross_site_cookie("g_csrf_token", STATE)
    landed = form_post(shared_live, browser, id_token=shared_live.credential(nonce=nonce),
                       state=STATE)
    assert signed_in_name(landed) == "Ada Lovelace"


def test_an_error_answer_needs_the_state_too(shared_live, browser):
    start_redirect_sign_in(shared_live, browser)
    refused = form_post(shared_live, browser, error="access_denied", state="forged")
    assert refused.status_code == 403 and "state_mismatch" in refused.text


# Whatever another site makes a browser post: a page that refuses it, never a 500.
HOSTILE_FORMS = {
    "empty": {},
    "state only": {"state": STATE},
    "huge state": {"state": "s" * 100_000, "id_token": "a.b.c"},
    "unknown error": {"state": STATE, "error": "<script>alert(1)</script>"},
    "error with a quote": {"state": STATE, "error": 'login_required"'},
    "both shapes": {"state": STATE, "credential": "a.b.c", "g_csrf_token": STATE},
    "id_token alone": {"id_token": "a.b.c"},
    "id_token not base64": {"state": STATE, "id_token": "\u00e9.\u00e9.\u00e9"},
    "NUL in state": {"state": "st\x004te", "id_token": "a.b.c"},
}


@pytest.mark.parametrize("form", HOSTILE_FORMS.values(), ids=HOSTILE_FORMS.keys())
def test_a_hostile_form_post_is_refused_never_a_500(shared_live, browser, form):
    start_redirect_sign_in(shared_live, browser)
    refused = form_post(shared_live, browser, **form)
    assert 400 <= refused.status_code < 500, refused.text
    assert "Sign-in did not work" in refused.text and "<script>alert" not in refused.text
