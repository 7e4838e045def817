"""Helpers for driving the IdP through Flask's test client like a browser would."""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

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


def consent(http, url):
    """Answer the consent page at ``url`` with Allow; return the response."""
    page = http.get(url)
    assert 'value="allow"' in page.text, page.text
    return http.post(url, data={"csrf_token": csrf_token(page.text), "decision": "allow"})
