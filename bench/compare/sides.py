"""The two servers bench/compare drives, what it sends each, and how it checks each answer.

Both sides get the same three requests, each as the browser (or the page's script) sends it:

1. ``authorize``: ``GET <authorization endpoint>?prompt=none&response_mode=web_message&
   response_type=code`` with PKCE S256 (and ``nonce``), in a hidden cross-site frame;
2. ``token``: ``POST <token endpoint>`` (``authorization_code`` + ``code_verifier``), the
   page's ``fetch`` from its own origin: ``Origin`` set, no cookies;
3. ``silent``: the one-frame silent sign-in, ``response_type=id_token`` without PKCE, in a
   hidden cross-site frame: LxL ID's status frame ``/oidc/iframe/check_session`` (as the SDK
   sends it), the reference's ``<authorization endpoint>?prompt=none&
   response_type=id_token&response_mode=web_message``.

Frames carry only the cookies a browser sends there: those set ``SameSite=None`` whose path
matches (``Browser.cookie_header``), never a ``Lax`` one. Each answer is checked after the
phase: the authorization response posted by the page (``code``, or an ``id_token``) with the
request's own ``state``; every ID token verified against the server's JWKS, with its own
request's ``nonce``, the browser's ``sub``, the client as ``aud`` and the issuer as ``iss``; a
code exists only if the token endpoint redeems it, which the token phase does for every code
the authorize phase got.
"""

import base64
import hashlib
import html
import json
import re
import secrets
import time
from email.utils import parsedate_to_datetime
from http.client import HTTPConnection
from urllib.parse import parse_qs, urlencode, urlsplit

from bench import idp
from bench.compare.generator import Request

# The authorization response in each server's web_message page.
LXL_WEB_MESSAGE = re.compile(r'\{type: "authorization_response", response: (.*)\}, origin\);')
REFERENCE_WEB_MESSAGE = re.compile(r"var data = (\{.*?\});\n")
FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.I)
PROMPT = re.compile(r'name="prompt" value="(\w+)"')


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair():
    """Return a fresh ``(code_verifier, S256 code_challenge)`` (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(32)
    return verifier, _b64url(hashlib.sha256(verifier.encode()).digest())


# --- cookies, as a browser keeps and sends them ------------------------------------------

class Browser:
    """One browser's cookies for one server, and which of them it sends in which context."""

    def __init__(self, sub=None):
        self.sub = sub
        self.cookies = {}  # (name, path) -> (value, samesite)

    def take(self, set_cookie_headers):
        """Store (or delete) the cookies of these ``Set-Cookie`` header values."""
        for header in set_cookie_headers:
            pair, *attributes = [part.strip() for part in header.split(";")]
            name, _, value = pair.partition("=")
            options = {}
            for attribute in attributes:
                key, _, val = attribute.partition("=")
                options[key.lower()] = val
            path = options.get("path") or "/"
            if self._deleted(options):
                self.cookies.pop((name, path), None)
            else:
                # No SameSite attribute is Lax to Chromium.
                self.cookies[(name, path)] = (value, (options.get("samesite") or "lax").lower())

    @staticmethod
    def _deleted(options):
        if "max-age" in options:
            return int(options["max-age"]) <= 0
        if "expires" in options:
            return parsedate_to_datetime(options["expires"]).timestamp() <= time.time()
        return False

    def cookie_header(self, path, cross_site_frame):
        """Return the ``Cookie`` header for a request to ``path`` (RFC 6265 §5.4).

        In a cross-site frame only ``SameSite=None`` cookies go (third-party cookies
        allowed, BROWSER_NOTES.md); at top level, all of them.
        """
        return "; ".join(
            f"{name}={value}" for (name, cookie_path), (value, samesite) in self.cookies.items()
            if _path_matches(path, cookie_path) and (samesite == "none" or not cross_site_frame))


def _path_matches(request_path, cookie_path):
    request_path = request_path.split("?", 1)[0]
    return request_path == cookie_path or request_path.startswith(
        cookie_path if cookie_path.endswith("/") else cookie_path + "/")


# --- the two sides -----------------------------------------------------------------------

class Side:
    """One server: where it listens, whom it serves, and its signed-in browsers."""

    name = ""
    client_id = idp.CLIENT_ID
    scope = idp.SCOPE

    def __init__(self, port, host, issuer, origin, redirect_uri, browsers, headers=None):
        self.port, self.host, self.issuer = port, host, issuer
        self.origin, self.redirect_uri = origin, redirect_uri  # the NGO page's
        self.browsers = browsers
        self.headers = {"Host": host, **(headers or {})}  # sent with every request
        self.process_group = None
        self.discover()

    def discover(self):
        """Read the endpoints and the signing keys from discovery, as a client would."""
        from joserfc.jwk import KeySet

        document = json.loads(self.get("/.well-known/openid-configuration"))
        self.authorization_path = urlsplit(document["authorization_endpoint"]).path
        self.token_path = urlsplit(document["token_endpoint"]).path
        self.keys = KeySet.import_key_set(json.loads(self.get(urlsplit(document["jwks_uri"]).path)))

    def get(self, path):
        status, body = idp.get(self.port, self.host, path, self.headers)
        if status != 200:
            raise SystemExit(f"{self.name}: GET {path} answered {status}: {body[:300]}")
        return body

    def _frame(self, browser, path):
        """A hidden cross-site frame's navigation to ``path`` in ``browser``."""
        return {**self.headers, **idp.FRAME_HEADERS,
                "Cookie": browser.cookie_header(path, cross_site_frame=True)}

    # 1. authorize: code + PKCE, web_message, prompt=none
    def authorize(self, client, _item=None):
        """The ``prompt=none`` code request with PKCE of virtual client ``client``'s browser."""
        browser = self.browsers[client]
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        query = {"client_id": self.client_id, "response_type": "code",
                 "response_mode": "web_message", "prompt": "none",
                 "redirect_uri": self.redirect_uri, "scope": self.scope, "state": state,
                 "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"}
        path = f"{self.authorization_path}?{urlencode(query)}"
        return Request("GET", path, self._frame(browser, path),
                       expect={"state": state, "nonce": nonce, "verifier": verifier,
                               "browser": browser})

    def check_authorize(self, answer):
        """Return ``(code item for the token phase, None)`` or ``(None, problem)``."""
        response, problem = self._authorization_response(answer, self.web_message)
        if problem:
            return None, problem
        if "code" not in response:
            return None, f"no code in the authorization response: {response}"
        return {"code": response["code"], **answer.request.expect}, None

    # 2. token: authorization_code + PKCE
    def token(self, _client, item):
        """The page's ``fetch`` redeeming one code (public client: ``client_id``, no secret)."""
        body = urlencode({"grant_type": "authorization_code", "code": item["code"],
                          "redirect_uri": self.redirect_uri, "client_id": self.client_id,
                          "code_verifier": item["verifier"]}).encode()
        headers = {**self.headers, "Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.origin, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site"}
        return Request("POST", self.token_path, headers, body, expect=item)

    def check_token(self, answer):
        """Return what is wrong with a token response, or ``None``."""
        if problem := _failed(answer):
            return problem
        try:
            tokens = json.loads(answer.body)
        except ValueError:
            return f"token response is not JSON: {answer.body[:200]!r}"
        if not tokens.get("access_token") or tokens.get("token_type", "").lower() != "bearer":
            return f"no bearer access_token: {tokens}"
        if "id_token" not in tokens:
            return f"no id_token: {tokens}"
        return self.id_token_problem(tokens["id_token"], answer.request.expect)

    # 3. silent: the one-frame silent sign-in (response_type=id_token, no PKCE)
    def silent(self, client, _item=None):
        raise NotImplementedError

    def check_silent(self, answer):
        """Return what is wrong with a silent sign-in's answer, or ``None``."""
        response, problem = self._authorization_response(answer, self.silent_response)
        if problem:
            return problem
        if "id_token" not in response:
            return f"no id_token in the authorization response: {response}"
        return self.id_token_problem(response["id_token"], answer.request.expect)

    # checks
    def _authorization_response(self, answer, parse):
        """Return ``(authorization response, None)`` with the request's state, or a problem."""
        if answer.error:
            return None, answer.error
        try:
            response = parse(answer.body.decode())
        except (ValueError, KeyError, AttributeError) as error:
            return None, (f"HTTP {answer.status}, no authorization response in the page "
                          f"({error}): {answer.body[:200]!r}")
        if "error" in response or answer.status != 200:
            return None, (f"HTTP {answer.status}, error {response.get('error')}: "
                          f"{response.get('error_description')}")
        if response.get("state") != answer.request.expect["state"]:
            return None, f"wrong state {response.get('state')!r}"
        return response, None

    def id_token_problem(self, token, expect):
        """Check an ID token against this server's JWKS and what its request asked for."""
        return idp.id_token_problem(token, self.keys, {
            "iss": self.issuer, "aud": self.client_id, "sub": expect["browser"].sub,
            "nonce": expect["nonce"]})

    def web_message(self, page):
        raise NotImplementedError

    def silent_response(self, page):
        return self.web_message(page)


def _local(url):
    """Return the path and query of ``url`` (this client talks to 127.0.0.1 only)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _failed(answer):
    if answer.error:
        return answer.error
    if answer.status != 200:
        return f"HTTP {answer.status}: {answer.body[:200]!r}"
    return None


class LxlSide(Side):
    """LxL ID under gunicorn: its users signed in by ``accounts.sign_in`` (bench/idp.py)."""

    name = "LxL ID"

    def silent(self, client, _item=None):
        """The status frame carrying the whole silent authorization, as the SDK sends it."""
        browser = self.browsers[client]
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        path = ("/oidc/iframe/check_session?"
                + urlencode(idp.silent_query(self.origin, nonce, state)))
        return Request("GET", path, self._frame(browser, path),
                       expect={"state": state, "nonce": nonce, "browser": browser})

    def web_message(self, page):
        return json.loads(LXL_WEB_MESSAGE.search(page).group(1))

    def silent_response(self, page):
        status = json.loads(idp.STATUS.search(page).group(1))
        if status.get("status") != "logged_in":
            raise ValueError(f"status frame says {status}")
        return json.loads(idp.AUTHORIZATION.search(page).group(1))


class ReferenceSide(Side):
    """node-oidc-provider: its browsers signed in through its own login and consent pages."""

    name = "node-oidc-provider"

    def silent(self, client, _item=None):
        """``prompt=none&response_type=id_token&response_mode=web_message`` in a hidden frame."""
        browser = self.browsers[client]
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        query = {"client_id": self.client_id, "response_type": "id_token",
                 "response_mode": "web_message", "prompt": "none",
                 "redirect_uri": self.redirect_uri, "scope": self.scope, "state": state,
                 "nonce": nonce}
        path = f"{self.authorization_path}?{urlencode(query)}"
        return Request("GET", path, self._frame(browser, path),
                       expect={"state": state, "nonce": nonce, "browser": browser})

    def web_message(self, page):
        return json.loads(REFERENCE_WEB_MESSAGE.search(page).group(1))["response"]

    def sign_in(self, browser, login):
        """Sign ``login`` in as a person would, once: the site's top-level code request,
        the login page (any password), the consent page; ``browser`` keeps the cookies."""
        verifier, challenge = pkce_pair()
        query = {"client_id": self.client_id, "response_type": "code",
                 "redirect_uri": self.redirect_uri, "scope": self.scope,
                 "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        method, path, body = "GET", f"{self.authorization_path}?{urlencode(query)}", None
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for _ in range(10):
                headers = {**self.headers,
                           "Cookie": browser.cookie_header(path, cross_site_frame=False)}
                if body is not None:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                connection.request(method, path, body, headers)
                response = connection.getresponse()
                page = response.read().decode()
                browser.take(response.headers.get_all("Set-Cookie") or [])
                location = response.getheader("Location")
                if response.status in (302, 303) and location.startswith(self.redirect_uri):
                    if "code" not in parse_qs(urlsplit(location).query):
                        raise SystemExit(f"{self.name}: sign-in ended without a code: {location}")
                    browser.sub = login
                    return
                if response.status in (302, 303):
                    method, path, body = "GET", _local(location), None
                elif response.status == 200 and (form := FORM.search(page)):
                    fields = {"prompt": PROMPT.search(page).group(1)}
                    if fields["prompt"] == "login":
                        fields.update(login=login, password="any")  # devInteractions
                    method, path = "POST", _local(html.unescape(form.group(1)))
                    body = urlencode(fields)
                else:
                    break
        finally:
            connection.close()
        raise SystemExit(f"{self.name}: sign-in stopped at {method} {path}: "
                         f"HTTP {response.status} {page[:300]!r}")
