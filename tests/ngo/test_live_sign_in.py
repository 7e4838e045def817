"""The NGO site signs a supporter in over real HTTP, its backend calling the IdP on its own.

The app is served on ``http://id.localhost:PORT`` and ``http://ngo.localhost:PORT``; a
requests session plays the browser. The NGO backend's discovery, token and JWKS calls are
real HTTP requests to the IdP origin, which Python's resolver cannot resolve by itself: they
must get there through the NGO client's own transport, with nothing changed process-wide.
"""

import os
import socket
import threading
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.idp import demo
from app.loopback import LoopbackAdapter


class _Forms(HTMLParser):
    """Collect each form's action and its hidden and checked inputs."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")


def submit(browser, page, **fields):
    """Submit the page's first form with its hidden fields plus ``fields``; return the result."""
    parser = _Forms()
    parser.feed(page.text)
    form = parser.forms[0]
    return browser.post(urljoin(page.url, form["action"]), data={**form["fields"], **fields})


@pytest.fixture
def live(tmp_path):
    """The app served over HTTP on a free loopback port; yields ``(idp, ngo)`` origins."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    idp, ngo = f"http://id.localhost:{port}", f"http://ngo.localhost:{port}"
    app = create_app({
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}",
        "LXL_IDP_ORIGIN": idp,
        "LXL_NGO_ORIGIN": ngo,
        "LXL_PASSWORD_PROFILE": "CHEAPEST",
        # Browsers send Secure cookies to http://*.localhost (a secure context); requests
        # sends them over https only.
        "SESSION_COOKIE_SECURE": False,
    })
    with app.app_context():
        upgrade()
        demo.seed()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield idp, ngo
    server.shutdown()
    thread.join()


@pytest.fixture
def browser():
    """A requests session that reaches ``*.localhost``, as browsers do."""
    with requests.Session() as session:
        session.mount("http://", LoopbackAdapter())
        yield session


def test_the_ngo_code_flow_works_end_to_end_without_process_wide_changes(
        live, browser, monkeypatch):
    monkeypatch.delenv("AUTHLIB_INSECURE_TRANSPORT", raising=False)
    idp, ngo = live

    signin = browser.get(f"{ngo}/login")  # NGO → IdP authorize → IdP sign-in form
    assert signin.url.startswith(f"{idp}/signin"), signin.url
    consent = submit(browser, signin, email="ada@example.org", password=demo.DEMO_PASSWORD)
    assert consent.url.startswith(f"{idp}/oidc/authorize") and "Sample NGO" in consent.text

    # Allow → NGO callback, whose backend fetches discovery, the token and the JWKS itself.
    home = submit(browser, consent, decision="allow")
    assert home.status_code == 200 and home.url == f"{ngo}/", home.text
    assert "Welcome back" in home.text and "Ada Lovelace" in home.text

    assert "AUTHLIB_INSECURE_TRANSPORT" not in os.environ
    assert socket.getaddrinfo.__module__ == "socket", "name resolution was patched"
