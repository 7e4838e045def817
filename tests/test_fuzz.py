"""Fuzz every route of both sites: no input, however malformed, gets a 5xx (issue 8, finding 13).

Every rule of ``app.url_map`` on its own host, with every method it allows, receives requests
built from the parameters the app reads (found in its source and forms) with values that are
malformed, oversized, of the wrong type (repeated, JSON where a form is expected, numbers,
lists), not UTF-8 (raw bytes in query and body, percent-encoded invalid UTF-8) and garbage
headers (``Authorization``, ``Origin``, ``Cookie``, ``Content-Type``, ``Sec-Fetch-*``) — as a
stranger and signed in. A request's value is refused where it enters, with a 4xx; the test
fails listing every request that got a 5xx or raised. Seeded, so each run sends the same
requests.
"""

import base64
import json
import random
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from werkzeug.routing import Rule
from werkzeug.test import EnvironBuilder

from app.extensions import db
from app.idp import consents
from app.idp.models import User
from app.idp.oidc import parameters
from app.ngo.oidc_client import _IdpApp
from tests.helpers import (
    CLIENT_ID, IDP, NGO, PASSWORD, REDIRECT_URI, csrf_token, sign_in)

SEED = 8
CASES_PER_ROUTE = 10
APP_SOURCE = Path(__file__).parents[1] / "app"

# Values no parameter should choke on.
BAD_STRINGS = [
    "", " ", "x" * 5000, "9" * 4301, "-1", "1e309", "0x10", "NaN", "\r\nSet-Cookie: a=b",
    "/next\r\nSet-Cookie: a=b",
    "\x00", "\x7f", "\t", '"', "'", "\\", '"quoted" <b>markup</b> & spaces', "%", "%ff%fe",
    "\u202e\u2028", "☃ü", '{"a": 1}', "[]", "null", "true", "../../etc/passwd",
    "//evil.example", "/\\evil.example", "http://evil.example", "javascript:alert(1)",
    "http://[::g]/", "http://[", "http://ngo.localhost:99999/",
    "S256 plain", "none login", "openid openid", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
    CLIENT_ID, NGO, REDIRECT_URI, f"{NGO}/", IDP,
]
# What a JSON body may hold where a string is expected.
WRONG_TYPES = [0, -1, 1.5, 10 ** 400, True, None, [], {}, ["a", "b"], {"a": "b"}, [[[]]]]
# Bodies that are not what they claim to be.
RAW_BODIES = [b"\xff\xfe\x00=\xff", b"a=%ff%fe&b=\xc3\x28", b'{"a": ', b"[" * 5000,
              b'{"client_id": "\xff"}', b"\x00" * 64, b"=&=&&==", b"a" * 70000]
RAW_QUERIES = ["a=\xff\xfe", "client_id=\xff&client_id=%ff", "%=%%&%zz=1", "&&==&",
               "scope=openid%00", "max_age=" + "9" * 5000, "redirect_uri=%0d%0a"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data", "multipart/form-data; boundary=\x7f",
                 "application/x-www-form-urlencoded; charset=latin-9", "\xff/\xff"]


def garbage_header_values():
    """Return ``{header: [garbage values]}``."""
    basics = [b"\xff\xfe:\xff", b"\x00:", b":", b"a" * 3000, CLIENT_ID.encode() + b":\xc3\x28"]
    return {
        "Authorization": [f"Basic {base64.b64encode(b).decode()}" for b in basics] + [
            "Basic !!!!", "Basic", "Bearer", "Bearer \xff", "Bearer " + "x" * 5000,
            "Digest a=b", "\x7f\x7f"],
        "Origin": ["null", "http://x.example *", NGO + "/", '"', "\xff", NGO.upper()],
        "Cookie": ["lxl_session=\xff\xfe", "lxl_silent=" + "x" * 5000, "lxl_sign_in=abc.def",
                   "ngo_session=;;;", "=;\x7f", "lxl_session=../../x; lxl_silent=%ff"],
        "Content-Type": CONTENT_TYPES,
        "Sec-Fetch-Storage-Access": ["inactive", "none", "active", "\xff"],
        "Sec-Fetch-Site": ["same-origin", "cross-site", "\xff"],
    }


def garbage_headers(rng):
    """Return one or two request headers holding garbage."""
    choices = garbage_header_values()
    names = rng.sample(sorted(choices), rng.choice([1, 2]))
    return {name: rng.choice(choices[name]) for name in names}


def parameter_names():
    """Return every request parameter the app reads: from its source, forms and parameter lists."""
    found = set(parameters.AUTHORIZATION_PARAMETERS) | set(parameters.LOGOUT_PARAMETERS)
    for path in APP_SOURCE.rglob("*.py"):
        source = path.read_text()
        found |= set(re.findall(r"""\.get\(\s*["']([a-z_]+)["']""", source))
        found |= set(re.findall(r"""\[\s*["']([a-z_]+)["']\s*\]""", source))
        found |= set(re.findall(r"^\s+([a-z_]+) = \w+Field\(", source, re.MULTILINE))
    # Read by Authlib (token, revocation) and the NGO's OIDC client, not by our source.
    found |= {"grant_type", "code", "code_verifier", "refresh_token", "client_secret", "token",
              "token_type_hint", "credential", "g_csrf_token", "csrf_token", "action", "hint"}
    return sorted(found)


def valid_requests(path, rng):
    """Return well-formed ``(parameters, headers)`` for ``path`` to spoil, so fuzz gets deep."""
    fresh = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=43))
    authorization = {"response_type": "code", "client_id": CLIENT_ID,
                     "redirect_uri": REDIRECT_URI, "scope": "openid email", "state": "s",
                     "nonce": fresh, "code_challenge": fresh, "code_challenge_method": "S256",
                     "max_age": "3600"}
    silent = {**authorization, "prompt": "none", "response_type": "id_token",
              "response_mode": "web_message", "redirect_uri": NGO}
    frame = {"client_id": CLIENT_ID, "origin": NGO}
    # The storage-access retry header is built from the request: ask for it.
    storage_access = {"Sec-Fetch-Storage-Access": "inactive"}
    # Without these the frame's action refuses before reading its body.
    same_origin_json = {"Origin": IDP, "Sec-Fetch-Site": "same-origin",
                        "Content-Type": "application/json"}
    return {
        "/oidc/authorize": [(authorization, {}), (silent, storage_access)],
        "/oidc/authorize/consent": [({"decision": "allow", "authorization_request": "x.y"},
                                     {})],
        "/oidc/iframe/check_session": [({**frame, **silent}, storage_access)],
        "/oidc/iframe/status": [(frame, {})],
        "/oidc/iframe/button": [({**frame, **silent, "type": "standard", "theme": "outline",
                                  "size": "large", "text": "signin_with",
                                  "shape": "rectangular", "logo_alignment": "left",
                                  "width": "240", "itp_support": "1",
                                  "ask_storage_access": "1"}, {})],
        "/oidc/iframe/action": [({**frame, "action": "revoke", "hint": "a.b.c"},
                                 same_origin_json)],
        "/oidc/client-check": [(frame, {})],
        "/oidc/token": [({"grant_type": "authorization_code", "code": "x",
                          "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
                          "code_verifier": "v" * 43}, {})],
        "/oidc/revoke": [({"token": "x", "client_id": CLIENT_ID}, {})],
        "/oidc/logout": [({"client_id": CLIENT_ID, "post_logout_redirect_uri": f"{NGO}/"}, {})],
        "/signin": [({"email": "ada@example.org", "password": PASSWORD, "next": "/account"},
                     {})],
        "/signup": [({"email": "new@example.org", "name": "New", "password": "long-enough-pw"},
                     {})],
        "/auth/callback": [({"code": "x", "state": "s"}, {})],
    }.get(path, [({}, {})])


def routes(app):
    """Return ``(rule, method)`` for every rule of both sites and every method it allows."""
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods)]


def fill_path(rule: Rule, rng):
    """Return the rule's path with each variable set to a fuzz value (URL-quoted)."""
    return re.sub(r"<(?:\w+:)?\w+>",
                  lambda _: quote(rng.choice(BAD_STRINGS[1:]) or "x", safe=""), rule.rule)


def fuzz_request(rule, method, rng, names, token):
    """Return an ``EnvironBuilder``-ready request: a base request with a few values spoiled."""
    base, base_headers = rng.choice(valid_requests(rule.rule, rng))
    params = list(base.items())
    for _ in range(rng.choice([1, 2, 3])):
        # Mostly spoil what the route reads first, so the rest of the request gets it deep.
        name = rng.choice(sorted(base)) if base and rng.random() < 0.7 else rng.choice(names)
        params = [(k, v) for k, v in params if k != name or rng.random() < 0.3]  # repeated
        params.append((name, rng.choice(BAD_STRINGS)))
    if token and rng.random() < 0.6:
        params.append(("csrf_token", token))
    headers = {**base_headers, **(garbage_headers(rng) if rng.random() < 0.6 else {})}
    raw_query = None
    kwargs = {"method": method, "headers": headers}
    shape = rng.choice(["query", "form", "json", "raw", "raw_query"])
    if shape == "query" or method in ("GET", "HEAD", "OPTIONS"):
        kwargs["query_string"] = urlencode(params)
    if method not in ("GET", "HEAD", "OPTIONS") or rng.random() < 0.2:
        if shape == "form":
            kwargs["data"] = urlencode(params)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif shape == "json":
            kwargs["json"] = {k: rng.choice([v, rng.choice(WRONG_TYPES)]) for k, v in params}
        elif shape == "raw":
            kwargs["data"] = rng.choice(RAW_BODIES)
            headers.setdefault("Content-Type", rng.choice(CONTENT_TYPES))
    if shape == "raw_query":
        raw_query = rng.choice(RAW_QUERIES)
    return kwargs, raw_query


def send(http, host_url, path, kwargs, raw_query):
    """Send one request; the raw query (latin-1 bytes) goes straight into the WSGI environ."""
    builder = EnvironBuilder(path=path, base_url=host_url, **kwargs)
    request = builder.get_request()
    if raw_query is not None:
        request.environ["QUERY_STRING"] = raw_query
    return http.open(request)


@pytest.fixture
def fuzz_app(app, monkeypatch):
    """The app answering as in production: an exception becomes a 500, not a test error.

    Rate limits are set out of reach, so that the sweep's wrong passwords lock nobody.

    The NGO backend fetches the IdP's discovery over HTTP, which no server answers here: it
    gets the document directly (as in tests/ngo).
    """
    app.config["TESTING"] = False
    # The limits stay on (their code runs) but far away: the sweep's own wrong passwords
    # must not lock the account its signed-in persona uses (tests/idp/test_rate_limits.py).
    for setting in [name for name in app.config if name.startswith("LXL_RATELIMIT_")]:
        app.config[setting] = "1000000 per minute"
    metadata = app.test_client().get(f"{IDP}/.well-known/openid-configuration").json
    monkeypatch.setattr(_IdpApp, "load_server_metadata",
                        lambda self: self.server_metadata.update(metadata) or metadata)
    with app.app_context():
        ada = db.session.scalar(db.select(User).filter_by(email="ada@example.org"))
        consents.remember(ada, CLIENT_ID, "openid email profile")
    return app


def persona(app, signed_in):
    """Return ``(test client, CSRF token of its session or None)``."""
    http = app.test_client()
    if not signed_in:
        return http, None
    sign_in(http)
    return http, csrf_token(http.get(f"{IDP}/account").text)


def sweep(rule, method, token, rng):
    """Yield each well-formed request of the route with one parameter, or header, spoilt."""
    for base, base_headers in valid_requests(rule.rule, rng):
        spoilt = [({name: value}, {}) for name in sorted(base) for value in BAD_STRINGS]
        spoilt += [({}, {header: value}) for header, values in garbage_header_values().items()
                   for value in values]
        for params, garbage in spoilt:
            params = {**base, **params, **({"csrf_token": token} if token else {})}
            if "nonce" in params and "nonce" not in garbage:
                params["nonce"] += str(rng.random())  # a fresh one: no replay refusal
            headers = {**base_headers, **garbage}
            if method == "GET":
                yield {"method": method, "headers": headers, "query_string": urlencode(params)}
            elif headers.get("Content-Type") == "application/json":
                yield {"method": method, "headers": headers, "json": params}
            else:
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
                yield {"method": method, "headers": headers, "data": urlencode(params)}


def random_cases(rule, method, token, rng, names):
    """Yield ``CASES_PER_ROUTE`` requests with random spoilt values, shapes and headers."""
    for _ in range(CASES_PER_ROUTE):
        yield fuzz_request(rule, method, rng, names, token)


def test_no_route_answers_malformed_input_with_a_5xx(fuzz_app):
    rng = random.Random(SEED)
    names = parameter_names()
    failures, sent = [], 0
    for rule, method in routes(fuzz_app):
        host_url = f"http://{rule.host}"
        for signed_in in (False, True):
            http, token = persona(fuzz_app, signed_in)
            cases = list(random_cases(rule, method, token, rng, names))
            if method in ("GET", "POST"):
                cases += [(kwargs, None) for kwargs in sweep(rule, method, token, rng)]
            for kwargs, raw_query in cases:
                path = fill_path(rule, rng)
                sent += 1
                try:
                    status = send(http, host_url, path, kwargs, raw_query).status_code
                except Exception as error:  # noqa: BLE001 - any exception is a finding
                    status = f"raised {error!r}"[:200]
                if not isinstance(status, int) or status >= 500:
                    failures.append((method, host_url + path, kwargs, raw_query, status))
    assert sent >= 5000
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(
        json.dumps(f, default=repr)[:600] for f in failures[:15])
