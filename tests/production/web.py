"""HTTP to the local production stack, as a browser and a relying party send it.

Every request goes to 127.0.0.1 (the proxy's port, or one instance's port to bypass the
proxy) with the IdP's ``Host`` header: Python does not resolve ``*.localhost``. A browser is
``bench.compare.sides.Browser``: it keeps the cookies of a real sign-in through the form and
sends each only where a browser would (the ``Lax`` session cookie at top level, the
``SameSite=None`` silent cookie in a cross-site frame too). The cookies are ``Secure``, which
a browser honours on ``http://*.localhost`` and ``requests``' own cookie jar would not.

Silent sign-in is the SDK's one frame (``LxlSide.silent`` of bench/compare builds it, its
``check_silent`` checks the answer: ``logged_in``, the request's ``state``, an ID token that
verifies against the JWKS with the request's ``nonce`` and the browser's ``sub``).
"""

import csv
import io
import json
import secrets
import socket
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from app.config import DEMO_CLIENT_ID, NGO_CALLBACK_PATH
from bench import idp
from bench.compare.generator import Answer
from bench.compare.sides import Browser, LxlSide, pkce_pair
from tests.helpers import consent_form, csrf_token

# Generous: the machine's two cores are shared with other work.
TIMEOUT = 30
# How long a restarted instance or service may take to answer again.
RECOVERY_SECONDS = 90
POLL_SECONDS = 0.05
# What Chromium sends with a top-level navigation or form post (no storage-access header).
TOP_LEVEL_HEADERS = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
                     "Sec-Fetch-Site": "same-origin"}


def send(stack, method, path, *, port=None, browser=None, headers=None, data=None,
         timeout=TIMEOUT):
    """One request to the IdP through the proxy (or to ``port``); return the response.

    With ``browser``, its cookies go along as a browser sends them at top level, and the
    cookies the answer sets are kept in it. Redirects are not followed: each test looks at
    them.
    """
    all_headers = {"Host": stack.idp_host, **(headers or {})}
    if browser is not None:
        all_headers["Cookie"] = browser.cookie_header(path, cross_site_frame=False)
    response = requests.request(method, f"http://127.0.0.1:{port or stack.proxy_port}{path}",
                                headers=all_headers, data=data, allow_redirects=False,
                                timeout=timeout)
    if browser is not None:
        browser.take(response.raw.headers.getlist("Set-Cookie"))
    return response


# --- waiting for events, never for a fixed time -------------------------------------------

def wait_until(condition, what, seconds=RECOVERY_SECONDS):
    """Poll ``condition()`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(POLL_SECONDS)  # a poll interval, not a wait for something to happen


def health(stack, port=None):
    """The HTTP status of ``/healthz`` through the proxy (or at ``port``); None if nothing
    answered (refused, or still starting after the timeout)."""
    try:
        return send(stack, "GET", "/healthz", port=port, timeout=5).status_code
    except (requests.ConnectionError, requests.Timeout):
        return None


def wait_until_healthy(stack):
    """Wait until the proxy and each instance answer ``/healthz`` with 200."""
    for port in (stack.proxy_port, *(instance.port for instance in stack.instances)):
        wait_until(lambda: health(stack, port) == 200, f"/healthz answers 200 on port {port}")


def refuses_connections(port):
    """True if nothing accepts a connection on loopback ``port``."""
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    except requests.ConnectionError:
        return True
    return False


def requests_per_instance(stack):
    """How many requests the proxy has sent each instance so far (HAProxy's ``stot``: one
    connection per request, ``http-server-close``), by instance name."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.settimeout(5)
        admin.connect(str(stack.proxy.admin_socket))
        admin.sendall(b"show stat\n")
        table = admin.makefile().read()
    names = {instance.name for instance in stack.instances}
    return {row["svname"]: int(row["stot"])
            for row in csv.DictReader(io.StringIO(table.removeprefix("# ")))
            if row["svname"] in names}


# --- signing in and consenting, as a person does --------------------------------------------

def sign_in(stack, email, password):
    """Sign in through the IdP's form with "Stay signed in"; return the browser."""
    browser = Browser()
    page = send(stack, "GET", "/signin", browser=browser, headers=TOP_LEVEL_HEADERS)
    assert page.status_code == 200, page.text[:500]
    signed_in = send(stack, "POST", "/signin", browser=browser, headers=TOP_LEVEL_HEADERS,
                     data={"csrf_token": csrf_token(page.text), "email": email,
                           "password": password, "remember": "y"})
    assert signed_in.status_code == 302, signed_in.text[:500]
    return browser


def redirect_uri(stack):
    return stack.ngo_origin + NGO_CALLBACK_PATH


def consent_and_tokens(stack, browser):
    """Allow ``ngo-demo`` in ``browser`` (code flow + PKCE, consent page); return its tokens.

    The ID token is verified; its ``sub`` becomes the browser's, for checking the ID tokens
    of its silent sign-ins.
    """
    verifier, challenge = pkce_pair()
    nonce = secrets.token_urlsafe(12)  # a nonce is used once: the IdP refuses a replayed one
    query = urlencode({"response_type": "code", "client_id": DEMO_CLIENT_ID,
                       "redirect_uri": redirect_uri(stack), "scope": idp.SCOPE,
                       "state": secrets.token_urlsafe(12), "nonce": nonce,
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    answer = send(stack, "GET", f"/oidc/authorize?{query}", browser=browser,
                  headers=TOP_LEVEL_HEADERS)
    if answer.status_code == 200:  # the consent page
        answer = send(stack, "POST", "/oidc/authorize/consent", browser=browser,
                      headers=TOP_LEVEL_HEADERS, data=consent_form(answer.text))
    assert answer.status_code == 302, answer.text[:500]
    assert "code=" in answer.headers["Location"], answer.headers["Location"]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = send(stack, "POST", "/oidc/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(stack),
        "client_id": DEMO_CLIENT_ID, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text[:500]
    claims = jwt.decode(tokens.json()["id_token"], jwks(stack), algorithms=["RS256"]).claims
    assert claims["nonce"] == nonce and claims["aud"] == DEMO_CLIENT_ID
    browser.sub = claims["sub"]
    return tokens.json()


def signed_in_account_page(stack, browser, port=None):
    """GET /account in ``browser``; return the response (200 and the name when signed in)."""
    return send(stack, "GET", "/account", port=port, browser=browser, headers=TOP_LEVEL_HEADERS)


def assert_signed_in(stack, browser, name, port=None):
    page = signed_in_account_page(stack, browser, port)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert name in page.text


# --- tokens --------------------------------------------------------------------------------

def refresh(stack, refresh_token, port=None):
    """Exchange a refresh token as the public client ``ngo-demo``; return the response."""
    return send(stack, "POST", "/oidc/token", port=port, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": DEMO_CLIENT_ID})


def userinfo_status(stack, access_token):
    return send(stack, "GET", "/oidc/userinfo",
                headers={"Authorization": f"Bearer {access_token}"}).status_code


def jwks_document(stack, port=None):
    answer = send(stack, "GET", "/oidc/jwks", port=port)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


def jwks(stack, port=None):
    return KeySet.import_key_set(jwks_document(stack, port))


# --- silent sign-in, the SDK's one frame ------------------------------------------------

class SilentSignIn:
    """The one-frame silent sign-in of ``browser`` at the NGO site, checked (bench/compare)."""

    def __init__(self, stack, browser):
        self.stack = stack
        self.side = LxlSide(stack.proxy_port, stack.idp_host, stack.idp_origin,
                            stack.ngo_origin, stack.ngo_origin, [browser])

    def _send(self, port):
        """Send one silent sign-in (to ``port``, else the proxy); the response, and the
        ``Answer`` bench/compare checks."""
        request = self.side.silent(0)
        began = time.perf_counter()
        response = requests.request(
            request.method, f"http://127.0.0.1:{port or self.stack.proxy_port}{request.path}",
            headers=request.headers, timeout=TIMEOUT)
        return response, Answer(request, response.status_code, response.content, began,
                                time.perf_counter())

    def response(self, port=None):
        """Send one silent sign-in; return the raw response."""
        return self._send(port)[0]

    def problem(self, port=None):
        """Send one silent sign-in; None if its answer is right: ``logged_in`` with an ID
        token that verifies, for this browser and this request."""
        try:
            return self.side.check_silent(self._send(port)[1])
        except requests.RequestException as error:
            return f"{type(error).__name__}: {error}"

    def id_token(self, port=None):
        """Send one silent sign-in; return its ID token, checked as ``problem`` checks it."""
        response, answer = self._send(port)
        assert (problem := self.side.check_silent(answer)) is None, problem
        return json.loads(idp.AUTHORIZATION.search(response.text).group(1))["id_token"]

    def reload_keys(self):
        """Read the JWKS again (after a key rotation)."""
        self.side.discover()
