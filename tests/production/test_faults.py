"""Fault tests: what a person meets when a part of production mode stops, and what is lost.

Each test works at the HTTP level, through the proxy as a browser or a relying party reaches
it (or at one instance's own port, to see that instance alone), stops or restarts one part
of the stack, and gives it back — in a ``finally`` — so the next test starts on a healthy
stack (the ``healthy`` fixture checks). Every wait is for an event (a port that refuses or
answers, ``/healthz``), with a deadline.
"""

import base64
import re
import json
import threading
from contextlib import contextmanager
from unittest import mock

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import create_engine, text

from app.idp import demo
from bench import idp
from bench.compare.sides import Browser
from bench.load import run as load
from tests.helpers import all_at_once, csrf_token
from tests.production import web

EMAIL, NAME = demo.DEMO_USERS[0]
PASSWORD = demo.DEMO_PASSWORD
CONCURRENT_SILENT_SIGN_INS = 1000


@pytest.fixture
def browser(stack):
    """A browser signed in as Ada through the form, with ``ngo-demo`` allowed."""
    signed_in = web.sign_in(stack, EMAIL, PASSWORD)
    signed_in.tokens = web.consent_and_tokens(stack, signed_in)
    return signed_in


@pytest.fixture
def database(stack):
    """The stack's PostgreSQL, for what HTTP cannot show (token families)."""
    engine = create_engine(stack.database_url)
    yield engine
    engine.dispose()


@contextmanager
def silent_sign_ins_meanwhile(silent):
    """Send silent sign-ins through the proxy, one after another, while the block runs.

    Yields the list of answers' problems (None for a right answer), filled as they come.
    """
    outcomes, done = [], threading.Event()

    def keep_signing_in():
        while not done.is_set():
            outcomes.append(silent.problem())

    thread = threading.Thread(target=keep_signing_in, daemon=True)
    thread.start()
    try:
        yield outcomes
    finally:
        done.set()
        thread.join()


def start_if_stopped(*instances):
    for instance in instances:
        if not instance.running:
            instance.start()


def outline(answer):
    """A token endpoint's answer for a failure message: its status and error, never a token."""
    try:
        error = answer.json().get("error", "tokens")
    except ValueError:
        error = answer.text[:200]
    return f"HTTP {answer.status_code}: {error}"


def assert_clear_503_page(response):
    """A page or frame while a service is down: 503, an HTML page, no traceback."""
    # Not the page itself in the message: a frame that answered would carry an ID token.
    assert response.status_code == 503, (response.status_code, response.headers["Content-Type"])
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.text


def assert_oauth_503(response):
    """The token endpoint while a service is down: 503 with OAuth JSON and Retry-After."""
    assert response.status_code == 503, outline(response)
    assert response.json()["error"] == "temporarily_unavailable"
    assert int(response.headers["Retry-After"]) > 0


# Tokens are compared outside ``assert`` statements: pytest would print their operands.

def assert_rotates(stack, refresh_token):
    """The refresh token is exchanged for a new one whose access token works."""
    answer = web.refresh(stack, refresh_token)
    assert answer.status_code == 200, outline(answer)
    replaced = answer.json()["refresh_token"] != refresh_token
    assert replaced, "the token endpoint answered with the same refresh token"
    status = web.userinfo_status(stack, answer.json()["access_token"])
    assert status == 200, f"userinfo answered {status} to the new access token"


def assert_refused(answer):
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", \
        outline(answer)


def assert_revoked(stack, tokens):
    """Neither of a token response's tokens works any more."""
    status = web.userinfo_status(stack, tokens["access_token"])
    assert status == 401, f"userinfo answered {status} to an access token of a revoked family"
    assert_refused(web.refresh(stack, tokens["refresh_token"]))


# --- 1. one instance restarts ----------------------------------------------------------------

def test_restarting_one_instance_loses_no_session_and_silent_sign_in_keeps_answering(
        stack, browser):
    silent = web.SilentSignIn(stack, browser)
    restarted, other = stack.instances
    try:
        with silent_sign_ins_meanwhile(silent) as outcomes:
            restarted.stop()
            web.wait_until(lambda: web.refuses_connections(restarted.port),
                              f"instance {restarted.number} stops")
            # Down: the proxy sends everything to the other instance.
            web.assert_signed_in(stack, browser, NAME)
            assert silent.problem() is None
            restarted.start()
            web.wait_until(lambda: web.health(stack, restarted.port) == 200,
                              f"instance {restarted.number} answers /healthz again")
        assert outcomes, "no silent sign-in was sent during the restart"
        problems = [problem for problem in outcomes if problem]
        assert not problems, f"{len(problems)} of {len(outcomes)} failed: {problems[:3]}"
        # The restarted instance knows the browser by itself: sessions live in Redis and
        # PostgreSQL, not in an instance.
        web.assert_signed_in(stack, browser, NAME, port=restarted.port)
        assert silent.problem(port=restarted.port) is None
        assert silent.problem(port=other.port) is None
    finally:
        start_if_stopped(restarted)


# --- 2. both instances restart ----------------------------------------------------------------

def test_restarting_both_instances_loses_no_session_consent_or_refresh_token(stack, browser):
    try:
        for instance in stack.instances:
            instance.stop()
        for instance in stack.instances:
            web.wait_until(lambda: web.refuses_connections(instance.port),
                              f"instance {instance.number} stops")
        # Nobody to answer: the proxy says so itself, never a 500.
        assert web.signed_in_account_page(stack, browser).status_code == 503
    finally:
        start_if_stopped(*stack.instances)
    web.wait_until_healthy(stack)

    web.assert_signed_in(stack, browser, NAME)
    # Silent sign-in answers logged_in with an ID token only with the consent still there.
    assert web.SilentSignIn(stack, browser).problem() is None
    assert_rotates(stack, browser.tokens["refresh_token"])


# --- 3. Redis stops, then starts -------------------------------------------------------------

def wait_until_each_instance_reports(stack, service, state):
    """Wait until every instance's own /healthz says ``service`` is ``state``."""
    for instance in stack.instances:
        web.wait_until(
            lambda: web.send(stack, "GET", "/healthz", port=instance.port).json().get(service)
            == state, f"instance {instance.number}'s /healthz says {service} is {state}")


def test_redis_down_answers_clear_503s_rate_limits_fail_closed_and_no_session_is_lost(
        stack, browser):
    silent = web.SilentSignIn(stack, browser)
    visitor = Browser()
    sign_in_page = web.send(stack, "GET", "/signin", browser=visitor,
                               headers=web.TOP_LEVEL_HEADERS)
    try:
        stack.redis.stop()
        wait_until_each_instance_reports(stack, "redis", "down")

        # The signed-in person's pages need the session, which is in Redis.
        assert_clear_503_page(web.signed_in_account_page(stack, browser))
        # Silent sign-in reads only the silent cookie's session row in PostgreSQL.
        assert silent.problem() is None
        # Rate limits fail closed (app/config.py): what they count is refused while the
        # counts cannot be kept, never let through uncounted — a password guess...
        guess = web.send(stack, "POST", "/signin", browser=visitor,
                            headers=web.TOP_LEVEL_HEADERS, data={
                                "csrf_token": csrf_token(sign_in_page.text),
                                "email": EMAIL, "password": "a-wrong-guess"})
        assert_clear_503_page(guess)
        # ... and the token endpoint, whose failures are counted.
        assert_oauth_503(web.refresh(stack, browser.tokens["refresh_token"]))
    finally:
        stack.redis.start()
    web.wait_until(lambda: web.health(stack) == 200, "/healthz recovers by itself")

    # Redis keeps its data on disk (append-only file): the session survived the restart.
    web.assert_signed_in(stack, browser, NAME)
    assert silent.problem() is None
    assert_rotates(stack, browser.tokens["refresh_token"])


# --- 4. PostgreSQL restarts -----------------------------------------------------------------

REQUESTS_AFTER_RECOVERY = 64  # many more than the worker processes of both instances


def test_postgres_down_answers_clear_503s_and_recovers_by_itself(stack, browser):
    silent = web.SilentSignIn(stack, browser)
    try:
        stack.postgres.stop()
        wait_until_each_instance_reports(stack, "database", "down")

        assert_clear_503_page(web.signed_in_account_page(stack, browser))
        assert_clear_503_page(silent.response())
        assert_oauth_503(web.refresh(stack, browser.tokens["refresh_token"]))
    finally:
        stack.postgres.start()
    web.wait_until(lambda: web.health(stack) == 200, "/healthz recovers by itself")

    # Every worker of both instances held pooled connections to the old server: enough
    # requests that each worker meets its stale ones, and none may fail.
    def one_round():
        page = web.signed_in_account_page(stack, browser)
        return page.status_code, silent.problem()

    rounds = all_at_once(*[one_round] * REQUESTS_AFTER_RECOVERY)
    failed = [outcome for outcome in rounds if outcome != (200, None)]
    assert not failed, f"{len(failed)} of {len(rounds)} failed after recovery: {failed[:3]}"
    assert_rotates(stack, browser.tokens["refresh_token"])


# --- 5. a signing key is rotated on one instance ------------------------------------------

def key_id(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_key_rotation_on_one_instance_is_published_by_both_at_once(stack, browser):
    silent = web.SilentSignIn(stack, browser)
    signed_before = silent.id_token()
    ports = [instance.port for instance in stack.instances]
    before = [web.jwks_document(stack, port) for port in ports]
    assert before[0] == before[1]

    rotated = stack.flask("lxl", "keys", "rotate", instance=1)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr

    # At once: the JWKS is read from the shared database at every request, never cached.
    after = [web.jwks_document(stack, port) for port in ports]
    assert after[0] == after[1]
    new_kids = {key["kid"] for key in after[0]["keys"]} - {key["kid"] for key in before[0]["keys"]}
    assert len(new_kids) == 1, after
    for document in after:
        jwt.decode(signed_before, KeySet.import_key_set(document), algorithms=["RS256"])

    # Each instance signs with the new key once its cache of the current key expires
    # (LXL_CACHE_SECONDS); every token meanwhile verifies all the same.
    silent.reload_keys()
    for port in ports:
        web.wait_until(lambda: key_id(silent.id_token(port)) in new_kids,
                          f"the instance on port {port} signs with the new key")


# --- 6. one refresh token, presented to both instances at once ------------------------------

def family_of(database, refresh_token):
    with database.connect() as connection:
        return connection.execute(text("SELECT family FROM tokens WHERE refresh_token = :t"),
                                  {"t": refresh_token}).scalar_one()


def family_size(database, family):
    with database.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM tokens WHERE family = :f"),
                                  {"f": family}).scalar_one()


def end_grace_window(database, refresh_token):
    """Move the token's first use back to the epoch's first second, far past any grace
    window, instead of waiting the window out (as the suite's unit tests do)."""
    with database.begin() as connection:
        connection.execute(text("UPDATE tokens SET refresh_token_used_at = 1 "
                                "WHERE refresh_token = :t"), {"t": refresh_token})


def race_to_both_instances(stack, refresh_token):
    """POST ``refresh_token`` to each instance's own port at the same moment; the answers."""
    return all_at_once(*[lambda port=instance.port: web.refresh(stack, refresh_token, port)
                         for instance in stack.instances])


@contextmanager
def instances_restarted_by(stack, changed):
    """Restart the instances one at a time as ``changed`` (the same stack, another
    environment) runs them — the proxy sends everything to the other meanwhile — and
    afterwards as ``stack`` runs them."""
    try:
        for instance in changed.instances:
            instance.restart()
        yield
    finally:
        for instance in stack.instances:
            instance.restart()


def test_a_refresh_token_raced_to_both_instances_within_the_grace_window(
        stack, browser, database):
    """The same refresh token POSTed to both instances at the same moment, as deployed.

    What "exactly one rotation, reuse detection intact" means with this design
    (app/idp/oidc/refresh.py, app/idp/tokens.py): both instances claim the token's first use
    with one conditional ``UPDATE`` of the shared row, so exactly one request makes the first
    use; the other arrives within ``LXL_REFRESH_GRACE_SECONDS`` of it and is answered as a
    second tab of the same person would be. So both answer 200, with two different new
    refresh tokens, each one new member of the presented token's family — no token outside
    it, none lost. Once the grace window is over, presenting the token again is a replay:
    it is refused and the whole family is revoked, both racers' tokens with it. (The next
    test takes the grace window away, so that the race itself shows the single rotation.)
    """
    presented = browser.tokens["refresh_token"]
    family = family_of(database, presented)
    members_before = family_size(database, family)

    answers = race_to_both_instances(stack, presented)

    assert [answer.status_code for answer in answers] == [200, 200], list(map(outline, answers))
    rotated = [answer.json() for answer in answers]
    different = rotated[0]["refresh_token"] != rotated[1]["refresh_token"]
    assert different, "both instances answered with the same new refresh token"
    assert family_size(database, family) == members_before + 2
    families = [family_of(database, tokens["refresh_token"]) for tokens in rotated]
    assert families == [family, family]

    end_grace_window(database, presented)
    assert_refused(web.refresh(stack, presented))
    for tokens in rotated:
        assert_revoked(stack, tokens)


def test_without_a_grace_window_a_refresh_token_raced_to_both_instances_rotates_once(
        stack, same_stack_with, database):
    """With ``LXL_REFRESH_GRACE_SECONDS=0`` every second use is a replay, so the race shows
    the single rotation itself: exactly one instance claims the first use and answers 200
    with one new family member; the other finds the token used, answers ``invalid_grant``
    and revokes the family — the winner's new tokens included (RFC 9700 §4.14.2)."""
    with instances_restarted_by(stack, same_stack_with(LXL_REFRESH_GRACE_SECONDS="0")):
        browser = web.sign_in(stack, EMAIL, PASSWORD)
        presented = web.consent_and_tokens(stack, browser)["refresh_token"]
        family = family_of(database, presented)
        members_before = family_size(database, family)

        answers = race_to_both_instances(stack, presented)

        won = [answer for answer in answers if answer.status_code == 200]
        lost = [answer for answer in answers if answer.status_code != 200]
        assert len(won) == len(lost) == 1, list(map(outline, answers))
        assert_refused(lost[0])
        assert family_size(database, family) == members_before + 1
        winners_family = family_of(database, won[0].json()["refresh_token"])
        assert winners_family == family
        assert_revoked(stack, won[0].json())


# --- 7. a thousand silent sign-ins at once ------------------------------------------------

def test_a_thousand_concurrent_silent_sign_ins_through_the_proxy_all_succeed(stack):
    # Users with live sessions and consent, written by the app's own code (bench/idp.py)
    # into the stack's database.
    with mock.patch.dict("os.environ", stack.env):
        users = idp.seed(CONCURRENT_SILENT_SIGN_INS, prefix="concurrent")
    origins = {"idp": stack.idp_origin, "ngo": stack.ngo_origin}
    before = web.requests_per_instance(stack)

    sent, results, _ = load.fire(users, stack.proxy_port, stack.idp_host, origins)

    problems = load.check(users, sent, results, web.jwks_document(stack), origins)
    assert not problems, f"{len(problems)} errors, e.g. {problems[:3]}"
    after = web.requests_per_instance(stack)
    served = {name: after[name] - before[name] for name in after}
    # Round robin: about half each.
    assert all(count >= CONCURRENT_SILENT_SIGN_INS / 4 for count in served.values()), served


def test_the_proxy_names_each_request_and_the_instance_logs_it_by_that_name(stack):
    # One id for the proxy's log and the instance's; a visitor's own id is not believed.
    response = web.send(stack, "GET", "/oidc/jwks", headers={"X-Request-Id": "chosen-by-visitor"})
    request_id = response.headers["X-Request-Id"]
    assert response.status_code == 200 and request_id != "chosen-by-visitor"
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", request_id)
    web.wait_until(lambda: any(request_id in instance.log.read_text()
                               for instance in stack.instances),
                   "an instance's log line with the proxy's request id", seconds=10)
