"""The NGO site over real HTTP: its backend calls the IdP on its own, as in production.

The app is served on ``http://id.localhost:PORT`` and ``http://ngo.localhost:PORT``; a
requests session plays the browser. The NGO backend's discovery, token and JWKS calls are
real HTTP requests to the IdP origin, made through the NGO client's own transport.
"""

import re
import secrets
import socket
import threading
import time
from collections import Counter
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask_migrate import upgrade
from joserfc import jwt
from werkzeug.serving import make_server

from app import create_app
from app.idp import demo, keys
from app.loopback import LoopbackAdapter
from app.sites import origin_host


class LiveSite:
    """The app served on a free loopback port, counting the paths the IdP host was asked."""

    def __init__(self, database):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.idp, self.ngo = f"http://id.localhost:{port}", f"http://ngo.localhost:{port}"
        self.app = create_app({
            "TESTING": True,  # the app's log records reach caplog (app/logs.py)
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "LXL_IDP_ORIGIN": self.idp,
            "LXL_NGO_ORIGIN": self.ngo,
            "LXL_PASSWORD_PROFILE": "CHEAPEST",
        })
        with self.app.app_context():
            upgrade()
            demo.seed()
        self.idp_paths = Counter()
        served, idp_host = self.app.wsgi_app, origin_host(self.idp)

        def counting(environ, start_response):
            if environ.get("HTTP_HOST") == idp_host:
                self.idp_paths[environ["PATH_INFO"]] += 1
            return served(environ, start_response)

        self.app.wsgi_app = counting
        self._server = make_server("127.0.0.1", port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join()

    def credential(self, key=None, kid=None, **claims):
        """Return an ID token for the NGO site signed by the IdP's key (or ``key``);
        ``claims`` override the defaults, ``None`` drops one."""
        now = int(time.time())
        defaults = {"iss": self.idp, "aud": demo.DEMO_CLIENT_ID, "sub": "pairwise-ada",
                    "name": "Ada Lovelace", "email": "ada@example.org", "iat": now,
                    "exp": now + 3600, "nonce": "unset"}
        payload = {k: v for k, v in {**defaults, **claims}.items() if v is not None}
        with self.app.app_context():
            key = key or keys.current_key()
            return jwt.encode({"alg": keys.ALGORITHM, "kid": kid or key.kid}, payload, key)


@pytest.fixture
def live(tmp_path):
    """A live app of this test's own."""
    site = LiveSite(tmp_path / "live.db")
    yield site
    site.stop()


@pytest.fixture(scope="module")
def shared_live(tmp_path_factory):
    """A live app shared by a module's tests (each with a browser of its own)."""
    site = LiveSite(tmp_path_factory.mktemp("live") / "live.db")
    yield site
    site.stop()


class Browser(requests.Session):
    """A requests session that reaches ``*.localhost`` as browsers do, with page helpers."""

    def __init__(self):
        super().__init__()
        self.mount("http://", LoopbackAdapter())

    def nonce(self, page):
        """Return the nonce the page hands the SDK (its cookie is in this browser now)."""
        return re.search(r'nonce: "([^"]+)"', page.text).group(1)

    def post_credential(self, site, credential, csrf="same", cookie_csrf="same"):
        """POST a credential to /auth/credential as the page's fetch does."""
        self.cookies.set("g_csrf_token", cookie_csrf, domain="ngo.localhost")  # None: none
        form = {"credential": credential, "g_csrf_token": csrf}
        return self.post(f"{site.ngo}/auth/credential", headers={"Accept": "application/json"},
                         data={k: v for k, v in form.items() if v is not None})

    def cross_site_post(self, url, form):
        """POST ``form`` to ``url`` as a page of another site makes the browser do it (LxL ID's
        form_post, or an attacker's form); return the answer, redirects followed.

        A cross-site POST carries only the cookies marked ``SameSite=None`` (RFC 6265bis
        §5.6.7.1): requests knows nothing of SameSite, so this picks them by hand. A redirect
        is followed as the browser's next top-level GET, with the cookies as the answer left
        them (requests would resend the POST's own cookies, deleted ones too).
        """
        target = urlsplit(url)
        sent = {c.name: c.value for c in self.cookies
                if c.domain.lstrip(".") == target.hostname and target.path.startswith(c.path)
                and _same_site(c) == "none"}
        prepared = requests.Request("POST", url, data=form).prepare()
        prepared.prepare_cookies(sent)
        answer = self.send(prepared, allow_redirects=False)
        if not answer.is_redirect:
            return answer
        landed = self.get(urljoin(url, answer.headers["Location"]))
        landed.history = [answer, *landed.history]
        return landed

    def set_cross_site_cookie(self, name, value, path="/"):
        """Set a ``SameSite=None; Secure`` cookie on the NGO site, as the SDK's redirect mode
        sets ``g_csrf_token``."""
        self.cookies.set(name, value, domain="ngo.localhost", path=path, secure=True,
                         rest={"SameSite": "None"})

    def sign_in_with_credential(self, site, **claims):
        """Load the home page and sign in with a credential for its nonce; return the answer."""
        page = self.get(f"{site.ngo}/")
        return self.post_credential(site, site.credential(nonce=self.nonce(page), **claims))

    def submit(self, page, action=None, allow_redirects=True, **fields):
        """Submit the page's first form (to ``action``, if given) with its hidden fields plus
        ``fields``; return the result."""
        parser = _Forms()
        parser.feed(page.text)
        form = next(f for f in parser.forms if action in (None, f["action"]))
        return self.post(urljoin(page.url, form["action"]), data={**form["fields"], **fields},
                         allow_redirects=allow_redirects)

    def sign_in_with_code_flow(self, site, email="ada@example.org", next_path=None):
        """Sign in through /login: the IdP's form, consent when asked; return the last page."""
        url = f"{site.ngo}/login" + (f"?next={next_path}" if next_path else "")
        page = self.get(url)
        if page.url.startswith(f"{site.idp}/signin"):
            page = self.submit(page, email=email, password=demo.DEMO_PASSWORD, remember="y")
        if page.url.startswith(f"{site.idp}/oidc/authorize"):
            page = self.submit(page, decision="allow")
        return page


def _same_site(cookie):
    """Return a stored cookie's ``SameSite`` in lower case (browsers' default: ``lax``)."""
    found = next((v for k, v in cookie._rest.items() if k.lower() == "samesite"), None)
    return (found or "lax").lower()


class _Forms(HTMLParser):
    """Collect each form's action and its hidden inputs."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")


@pytest.fixture(autouse=True)
def secure_cookies_reach_loopback(monkeypatch):
    """Send ``Secure`` cookies to ``http://*.localhost``, a secure context to browsers.

    requests copies its cookie jar into a fresh one with the default policy for every
    request, so the policy itself is what must know it (for these tests only).
    """
    https_only = DefaultCookiePolicy.return_ok_secure

    def return_ok_secure(self, cookie, request):
        host = urlsplit(request.get_full_url()).hostname or ""
        return host.endswith(".localhost") or https_only(self, cookie, request)

    monkeypatch.setattr(DefaultCookiePolicy, "return_ok_secure", return_ok_secure)


@pytest.fixture
def browser():
    with Browser() as session:
        yield session


@pytest.fixture
def make_browser():
    """Return a factory of more browsers (an attacker's, a victim's)."""
    made = []
    yield lambda: made.append(Browser()) or made[-1]
    for session in made:
        session.close()


def signed_in_name(page):
    """Return the text of the page's ``data-lxl-user`` element, or ``None``."""
    found = re.search(r"data-lxl-user>([^<]*)<", page.text)
    return found.group(1) if found else None


def random_sub():
    return "pairwise-" + secrets.token_urlsafe(8)
