"""Helpers for driving the IdP through Flask's test client like a browser would."""

import base64
import hashlib
import re
import secrets
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from werkzeug.serving import make_server

from app.idp import demo

IDP = "http://id.localhost:5000"
NGO = "http://ngo.localhost:5000"
CLIENT_ID = demo.DEMO_CLIENT_ID
REDIRECT_URI = f"{NGO}/auth/callback"
PASSWORD = demo.DEMO_PASSWORD


def csrf_token(html):
    """Return the CSRF token of the first form in ``html``."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(http, email="ada@example.org", password=PASSWORD, remember=True, next_url=None):
    """Sign in at the IdP through its form; return the final response."""
    url = f"{IDP}/signin" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    page = http.get(url)
    form = {"csrf_token": csrf_token(page.text), "email": email, "password": password}
    if remember:
        form["remember"] = "y"
    return http.post(url, data=form)


def sign_up(http, email, name="Katherine Johnson", password="a-long-enough-password",
            next_url=None):
    """Submit the IdP's sign-up form; return the response (the "check your inbox" page)."""
    url = f"{IDP}/signup" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    page = http.get(url)
    return http.post(url, data={"csrf_token": csrf_token(page.text), "name": name,
                                "email": email, "password": password})


def outbox(http):
    """Return the messages in the IdP's local outbox, newest last (CONTRACT.md)."""
    return http.get(f"{IDP}/dev/outbox.json").json


def finish_sign_up(http, link):
    """Follow a mailed sign-up link and press its button; return the response."""
    page = http.get(link)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    return http.post(f"{IDP}/signup/confirm",
                     data={"csrf_token": csrf_token(page.text), "token": token})


def sign_in_for(http, url, **form):
    """Follow an authorization request to the sign-in form, sign in, resume it; return that."""
    to_sign_in = http.get(url)
    assert "/signin?" in to_sign_in.headers["Location"], to_sign_in.headers
    next_url = parse_qs(urlsplit(to_sign_in.headers["Location"]).query)["next"][0]
    signed_in = sign_in(http, next_url=next_url, **form)
    return http.get(IDP + signed_in.headers["Location"])


def pkce_pair():
    """Return a fresh ``(code_verifier, S256 code_challenge)``."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(**overrides):
    """Return an authorization request for the demo client; ``None`` drops a parameter."""
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
              "scope": "openid email profile", "state": "st4te",
              "nonce": secrets.token_urlsafe(12)}
    params.update(overrides)
    return f"{IDP}/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_params(response):
    """Return the parameters of a redirect's query and fragment, single-valued."""
    parts = urlsplit(response.headers["Location"])
    merged = {**parse_qs(parts.query), **parse_qs(parts.fragment)}
    return {k: v[0] for k, v in merged.items()}


def consent_form(html, decision="allow"):
    """Return the consent page's answer: its hidden fields and ``decision``."""
    pending = re.search(r'name="authorization_request" type="hidden" value="([^"]+)"', html)
    return {"csrf_token": csrf_token(html), "authorization_request": pending.group(1),
            "decision": decision}


def consent(http, url, decision="allow"):
    """Answer the consent page at ``url`` with ``decision``; return the response."""
    page = http.get(url)
    assert 'value="allow"' in page.text, page.text
    return http.post(f"{IDP}/oidc/authorize/consent", data=consent_form(page.text, decision))


def basic_auth(client_id, secret):
    """Return the ``Authorization`` header of client_secret_basic (RFC 6749 §2.3.1)."""
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def get_tokens(http, client_id=CLIENT_ID, redirect_uri=REDIRECT_URI,
               scope="openid email profile", secret=None):
    """Run the code flow (signing in and consenting as needed); return the token response.

    A confidential client passes its ``secret`` (HTTP Basic), a public one its ``client_id``.
    """
    verifier, challenge = pkce_pair()
    url = authorize_url(client_id=client_id, redirect_uri=redirect_uri, scope=scope,
                        code_challenge=challenge, code_challenge_method="S256")
    response = http.get(url)
    if "/signin" in response.headers.get("Location", ""):
        sign_in(http)
        response = http.get(url)
    if response.status_code == 200:
        response = consent(http, url)
    form = {"grant_type": "authorization_code", "code": redirect_params(response)["code"],
            "redirect_uri": redirect_uri, "code_verifier": verifier}
    return token_request(http, form, client_id, secret)


def refresh(http, refresh_token, client_id=CLIENT_ID, secret=None):
    """Exchange a refresh token at the token endpoint (RFC 6749 §6); return the response."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(http, form, client_id, secret)


def token_request(http, form, client_id=CLIENT_ID, secret=None):
    """POST ``form`` to the token endpoint as a public or, with ``secret``, confidential client."""
    if secret:
        return http.post(f"{IDP}/oidc/token", data=form, headers=basic_auth(client_id, secret))
    return http.post(f"{IDP}/oidc/token", data={**form, "client_id": client_id})


def userinfo(http, access_token):
    """Call the UserInfo endpoint with ``access_token``; return the response."""
    return http.get(f"{IDP}/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"})


class LiveServer:
    """The app served over real HTTP on a free loopback port, in a thread of the test process.

    Requests go to ``url(path)`` with the IdP's ``Host`` header, so that concurrent requests
    run in the server's own threads exactly as in production.
    """

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.host = urlsplit(IDP).netloc

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join()

    def post(self, path, data):
        """POST a form to the IdP; return ``(status, JSON body)``."""
        response = requests.post(f"http://127.0.0.1:{self._server.server_port}{path}",
                                 data=data, headers={"Host": self.host}, timeout=30)
        return response.status_code, response.json()


def all_at_once(*calls):
    """Run each call in its own thread, released together by a barrier; return the results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def mail_to(http, address):
    """Return the newest message in the local outbox to ``address``."""
    return [message for message in outbox(http) if message["to"] == address][-1]


def submit_mailed_link(http, link, **fields):
    """Follow a mailed link to its form and submit it with ``fields``; return the response.

    The link's token travels on in the form's hidden ``token`` field, as a browser sends it.
    """
    page = http.get(link)
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.text).group(1)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    return http.post(IDP + action, data={"csrf_token": csrf_token(page.text), "token": token,
                                         **fields})


def id_token_claims(tokens):
    """Return the (unverified) claims of a token response's ID token."""
    import json
    payload = tokens["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
