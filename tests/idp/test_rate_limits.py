"""Rate limits count failures, not traffic; a 429 speaks each endpoint's language."""

import threading
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher

from app.idp import accounts, clients, rate_limits
from tests.helpers import (
    CLIENT_ID, IDP, NGO, PASSWORD, REDIRECT_URI, authorize_url, basic_auth, csrf_token,
    get_tokens, redirect_params, refresh, sign_in, token_request)

ALL_LIMITS = ("LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT",
              "LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS",
              "LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS", "LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT",
              "LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS")


@pytest.fixture
def limits(app):
    """Set limits for one test: ``limits(LXL_RATELIMIT_…="3 per hour", …)``."""
    return app.config.update


def from_address(http, address):
    """Make ``http``'s requests come from ``address``."""
    http.environ_base["REMOTE_ADDR"] = address
    return http


def assert_too_many_page(response):
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html" and "try again" in response.text.lower()


# --- passwords ---------------------------------------------------------------------------

def test_wrong_passwords_lock_the_account_and_then_even_the_right_one_waits(http, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT="3 per hour")
    for _ in range(3):
        assert sign_in(http, password="wrong-wrong-wrong").status_code == 200
    assert_too_many_page(sign_in(http))
    # Per account: from another address too.
    assert_too_many_page(sign_in(from_address(http, "192.0.2.7")))


def test_a_right_password_clears_the_accounts_failures(http, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT="3 per hour")
    for _ in range(3):
        sign_in(http, password="wrong-wrong-wrong")
        sign_in(http, password="wrong-wrong-wrong")
        assert sign_in(http).status_code == 302


def test_wrong_passwords_from_one_address_are_limited_across_accounts(app, http, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="3 per hour")
    for email in ("a@example.org", "b@example.org", "grace@example.org"):
        assert sign_in(http, email=email, password="wrong-wrong-wrong").status_code == 200
    assert_too_many_page(sign_in(http))
    # Signing in successfully does not reset an address's failures; other addresses go on.
    assert sign_in(from_address(app.test_client(), "192.0.2.7")).status_code == 302


def test_concurrent_guesses_cannot_outrun_the_account_limit(app, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT="3 per hour")
    guesses, start = 8, threading.Barrier(8)
    outcomes = []

    def guess():
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
            start.wait()
            try:
                outcomes.append(accounts.authenticate("ada@example.org", "wrong-wrong-wrong"))
            except rate_limits.TooManyFailures:
                outcomes.append("limited")

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == 3 and outcomes.count("limited") == guesses - 3


def test_concurrent_guesses_cannot_outrun_the_address_limit(app, limits):
    """Each guess takes its unit before its password is checked, so none slips past."""
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="3 per hour")
    guesses, start = 8, threading.Barrier(8)
    outcomes = []

    def guess(n):
        with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.2"}):
            start.wait()
            try:
                outcomes.append(accounts.authenticate(f"nobody{n}@example.org", "wrong-wrong"))
            except rate_limits.TooManyFailures:
                outcomes.append("limited")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == 3 and outcomes.count("limited") == guesses - 3


def test_right_passwords_hand_their_address_unit_back(app, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ADDRESS="2 per hour")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.3"}):
        for _ in range(5):
            assert accounts.authenticate("ada@example.org", PASSWORD) is not None
        assert accounts.authenticate("ada@example.org", "wrong-wrong") is None
        assert accounts.authenticate("grace@example.org", PASSWORD) is not None


def test_wrong_current_passwords_at_the_password_form_count_too(http, limits):
    limits(LXL_RATELIMIT_PASSWORD_FAILURES_PER_ACCOUNT="3 per hour")
    sign_in(http)
    for _ in range(3):
        page = http.get(f"{IDP}/account")
        response = http.post(f"{IDP}/account/password", data={
            "csrf_token": csrf_token(page.text), "current_password": "wrong-wrong-wrong",
            "new_password": "an-even-better-password"})
        assert response.status_code == 302
    page = http.get(f"{IDP}/account")
    assert_too_many_page(http.post(f"{IDP}/account/password", data={
        "csrf_token": csrf_token(page.text), "current_password": PASSWORD,
        "new_password": "an-even-better-password"}))


def test_password_hashing_is_bounded_by_the_semaphore(make_app, monkeypatch):
    """Two verifications never run at once with a concurrency of one."""
    app = make_app(LXL_PASSWORD_HASH_CONCURRENCY=1)
    together, start, met = threading.Barrier(2), threading.Barrier(2), []
    verify = PasswordHasher.verify

    def verify_and_wait_for_the_other(self, *args):
        try:
            together.wait(timeout=1)  # passes only if the other one is verifying too
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)
        return verify(self, *args)

    monkeypatch.setattr(PasswordHasher, "verify", verify_and_wait_for_the_other)

    def attempt():
        with app.test_request_context():
            start.wait()
            accounts.authenticate("ada@example.org", PASSWORD)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert met == [False, False]


# --- sign-up -----------------------------------------------------------------------------

def test_sign_ups_are_limited_per_address(http, limits):
    limits(LXL_RATELIMIT_SIGN_UPS_PER_ADDRESS="2 per hour")
    for n in range(3):
        page = http.get(f"{IDP}/signup")
        assert page.status_code == 200  # showing the form is not a sign-up
        response = http.post(f"{IDP}/signup", data={
            "csrf_token": csrf_token(page.text), "name": f"Person {n}",
            "email": f"person{n}@example.org", "password": "a-long-enough-password"})
    assert_too_many_page(response)


# --- the token endpoint ------------------------------------------------------------------

def bad_code(http):
    return token_request(http, {"grant_type": "authorization_code", "code": "nope",
                                "redirect_uri": REDIRECT_URI, "code_verifier": "x" * 43})


def assert_oauth_too_many(response):
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.json["error"] == "temporarily_unavailable"
    assert response.headers["Cache-Control"] == "no-store"


def test_invalid_grants_are_limited_per_client(app, http, limits):
    limits(LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT="3 per minute")
    for _ in range(3):
        assert bad_code(http).json["error"] == "invalid_grant"
    assert_oauth_too_many(bad_code(http))
    assert_oauth_too_many(get_tokens(app.test_client()))  # from this address, even a good one
    assert "access_token" in get_tokens(from_address(app.test_client(), "192.0.2.7")).json


@pytest.mark.parametrize("endpoint", ["token", "revoke"])
def test_failed_client_authentication_is_limited_per_client(app, http, limits, endpoint):
    limits(LXL_RATELIMIT_TOKEN_FAILURES_PER_CLIENT="3 per minute")
    with app.app_context():
        client, _ = clients.register("Back end", [REDIRECT_URI], [NGO], confidential=True)
        client_id = client.client_id
    form = {"grant_type": "refresh_token", "refresh_token": "nope", "token": "nope"}
    for _ in range(3):
        response = http.post(f"{IDP}/oidc/{endpoint}", data=form,
                             headers=basic_auth(client_id, "wrong-secret"))
        assert response.json["error"] == "invalid_client"
    assert_oauth_too_many(http.post(f"{IDP}/oidc/{endpoint}", data=form,
                                    headers=basic_auth(client_id, "wrong-secret")))
    assert bad_code(http).json["error"] == "invalid_grant"  # another client_id is not held up


def test_success_and_silent_sign_ins_are_never_counted(http, limits):
    limits(**{name: "1 per hour" for name in ALL_LIMITS
              if name != "LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS"})
    for _ in range(5):
        tokens = get_tokens(http).json
        assert "access_token" in refresh(http, tokens["refresh_token"]).json
        silent = http.get(authorize_url(response_type="id_token", prompt="none"))
        assert "id_token" in redirect_params(silent)
        frame = http.get(f"{IDP}/oidc/iframe/check_session?" + urlencode({
            "client_id": CLIENT_ID, "origin": NGO, "response_type": "id_token",
            "redirect_uri": NGO, "response_mode": "web_message", "nonce": "n", "state": "s",
            "scope": "openid"}))
        assert frame.status_code == 200 and "logged_in" in frame.text


# --- client-check ------------------------------------------------------------------------

def client_check(http):
    return http.get(f"{IDP}/oidc/client-check?" + urlencode({"client_id": CLIENT_ID,
                                                              "origin": NGO}))


def test_client_check_has_a_ceiling_per_address_in_json_any_origin_reads(http, limits):
    limits(LXL_RATELIMIT_CLIENT_CHECKS_PER_ADDRESS="2 per minute")
    assert client_check(http).json == {"ok": True}
    assert client_check(http).json == {"ok": True}
    response = client_check(http)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json["error"] == "temporarily_unavailable"


def test_a_thousand_page_loads_from_one_address_stay_below_the_client_check_ceiling(http):
    assert all(client_check(http).status_code == 200 for _ in range(1000))


# --- request size ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/oidc/token", "/oidc/iframe/action", "/signin"])
def test_a_30_mb_body_is_refused_with_413(http, path):
    response = http.post(f"{IDP}{path}", data=b"{" + b" " * (30 * 1024 * 1024) + b"}",
                         content_type="application/json",
                         headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 413 and "larger than" in response.text
