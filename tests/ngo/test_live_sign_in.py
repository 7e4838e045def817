"""The NGO site signs a supporter in over real HTTP, its backend calling the IdP on its own.

The NGO backend's discovery, token and JWKS calls are real HTTP requests to the IdP origin,
which Python's resolver cannot resolve by itself: they must get there through the NGO
client's own transport, with nothing changed process-wide.
"""

import os
import socket

from app.idp.demo import DEMO_PASSWORD as PASSWORD
from tests.ngo.conftest import signed_in_name


def test_the_ngo_code_flow_works_end_to_end_without_process_wide_changes(
        live, browser, monkeypatch):
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)

    signin = browser.get(f"{live.ngo}/login")  # NGO → IdP authorize → IdP sign-in form
    assert signin.url.startswith(f"{live.idp}/signin"), signin.url
    consent = browser.submit(signin, email="ada@example.org", password=PASSWORD)
    assert consent.url.startswith(f"{live.idp}/oidc/authorize") and "Sample NGO" in consent.text

    # Allow → NGO callback, whose backend fetches discovery, the token and the JWKS itself.
    home = browser.submit(consent, decision="allow")
    assert home.status_code == 200 and home.url == f"{live.ngo}/", home.text
    assert "Welcome back" in home.text and signed_in_name(home) == "Ada Lovelace"

    assert "AUTHLIB_INSECURE_TRANSPORT" not in os.environ
    assert socket.getaddrinfo.__module__ == "socket", "name resolution was patched"
