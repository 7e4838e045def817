"""docs/tutorial.md runs as written: its commands, your site, and the verification code.

The blocks are read with the parser that renders ``/tutorial`` (tests/tutorial_blocks.py says
how each kind is run). The shell commands run in subprocesses against a temporary database;
``lxl_verify.py`` is imported from a folder the tutorial's files were saved to and verifies
real credentials from a live LxL ID over HTTP. The HTML snippet runs in Chromium:
tests/browser/test_tutorial.py.
"""

import base64
import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from app.idp import consents, demo, keys
from app.idp.models import User
from app.idp.oidc.reasons import (
    ALL_REASONS, DISMISSED_REASONS, NOT_DISPLAYED_REASONS, SKIPPED_REASONS)
from app.loopback import LoopbackAdapter
from tests import tutorial_blocks
from tests.browser.harness import start_live_server
from tests.helpers import NGO, csrf_token

SCOPE = "openid email profile"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- The page and its source -----------------------------------------------------------------

def test_every_code_block_says_how_it_is_run():
    found = tutorial_blocks.blocks()
    assert found, "docs/tutorial.md has no code blocks"
    for block in found:
        assert block.language in tutorial_blocks.RUNNABLE, block
        arguments = tutorial_blocks.RUNNABLE[block.language]
        assert block.argument in arguments if arguments is not None else block.argument, block


def test_the_reasons_table_explains_every_failure_reason():
    text = tutorial_blocks.tutorial_page.SOURCE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| [^|]+ \|$", text, flags=re.MULTILINE)
    assert sorted(rows) == sorted(ALL_REASONS)


def test_the_card_section_explains_every_moment_reason():
    """Section 11's table: each of the card's moment reasons once, under its moment."""
    rows = re.findall(r"^\| (display|skipped|dismissed) \| `([a-z_]+)` \| [^|]+ \|$",
                      tutorial_section(11), flags=re.MULTILINE)
    assert sorted(rows) == sorted(
        [("display", r) for r in NOT_DISPLAYED_REASONS] + [("skipped", r) for r in SKIPPED_REASONS]
        + [("dismissed", r) for r in DISMISSED_REASONS])


def tutorial_section(number):
    """The text of the tutorial's section ``number`` (its heading "## N. …" up to the next)."""
    text = tutorial_blocks.tutorial_page.SOURCE.read_text(encoding="utf-8")
    return next(part for part in text.split("\n## ") if part.startswith(f"{number}. "))


SDK_SOURCES = [tutorial_blocks.tutorial_page.SOURCE.parents[1] / "sdk" / name
               for name in ("lxl-id.js", "lxl-id-ui.js")]


def test_the_csp_section_names_everything_the_sdk_loads_from_lxl_id():
    """Section 7 lists paths; section 9 says the button needs nothing more. Both stay true
    only while every IdP path in the SDK's sources is in section 7's list."""
    loaded = {"/static/lxl-id.js"}
    for source in SDK_SOURCES:
        code = source.read_text(encoding="utf-8")
        loaded |= set(re.findall(r"\$\{IDP\}(/[\w/.-]+)", code))
        loaded |= set(re.findall(r"openFrame\('(/[\w/]+)'", code))
    # The popup and the redirect go to /oidc/authorize as navigations of a window of their
    # own (window.open, location.assign), which no directive of the page's CSP governs.
    loaded -= {"/oidc/authorize"}
    assert {"/static/lxl-id-ui.js", "/oidc/iframe/button",
            "/oidc/iframe/check_session"} <= loaded, loaded
    csp = tutorial_section(7)
    assert [path for path in sorted(loaded) if f"<IdP>{path}`" not in csp] == []


def test_the_redirect_mode_section_tells_what_a_sibling_subdomain_can_do():
    button = " ".join(tutorial_section(9).split())
    assert "neither read nor set" not in button
    assert "cookie tossing" in button and "`__Host-` prefix" in button
    assert "`login_uri` must be on the page's own origin" in button
    assert "The `mysite.py` of section 4 does none of this" in button


def test_the_ngo_site_serves_the_tutorial_with_code_escaped_and_its_csp(http):
    response = http.get(f"{NGO}/tutorial")
    assert response.status_code == 200
    page = response.text
    assert "<h1>Tutorial: silent sign-in on your own page</h1>" in page
    assert '<pre><code class="language-html">&lt;!doctype html&gt;' in page
    article = page.split('<article class="tutorial">')[1].split("</article>")[0]
    assert "<script" not in article, "a code block became markup"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp


def test_the_tutorial_is_rendered_once_per_process(http, monkeypatch):
    tutorial_blocks.tutorial_page.html.cache_clear()
    renders = []
    parser = tutorial_blocks.tutorial_page.parser
    monkeypatch.setattr(tutorial_blocks.tutorial_page, "parser",
                        lambda: renders.append(1) or parser())
    for _ in range(3):
        assert http.get(f"{NGO}/tutorial").status_code == 200
    assert renders == [1]


# --- The shell commands --------------------------------------------------------------------

@pytest.fixture
def shell_env(tmp_path):
    """The tutorial's command environment, on a fresh database made by ``lxl init-db``."""
    env = tutorial_blocks.shell_environment(f"sqlite:///{tmp_path / 'lxl.db'}", 5000)
    done = subprocess.run(["flask", "--app", "wsgi", "lxl", "init-db"], cwd=tutorial_blocks.REPO,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return env


def test_registering_your_site_prints_a_client_id_with_your_origin(shell_env):
    outputs = tutorial_blocks.register_your_site(shell_env, 5000, 8000)
    client_id = tutorial_blocks.client_id_of(outputs)

    listed = subprocess.run(["flask", "--app", "wsgi", "lxl", "clients", "list"],
                            cwd=tutorial_blocks.REPO, env=shell_env, capture_output=True,
                            text=True, timeout=60)
    mine = next(c for c in json.loads(listed.stdout) if c["client_id"] == client_id)
    assert json.dumps(mine).count("http://mysite.localhost:8000") >= 2, mine


def test_the_serve_block_serves_your_page_with_the_snippet_and_its_csp(tmp_path):
    site = tmp_path / "my-site"
    site_port = free_port()
    tutorial_blocks.write_site(site, tutorial_blocks.site_versions()[0], 5000, site_port)
    (serve,) = [b for b in tutorial_blocks.blocks() if b.argument == "serve"]
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    server = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c",
         tutorial_blocks.with_ports(serve.code, 5000, site_port, client_id="my-client-id")],
        cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        with requests.Session() as browser:
            browser.mount("http://", LoopbackAdapter())
            url = f"http://mysite.localhost:{site_port}/"
            deadline = time.monotonic() + 30
            while True:
                try:
                    page = browser.get(url, timeout=2)
                    break
                except requests.ConnectionError:
                    assert server.poll() is None, server.stdout.read().decode()
                    assert time.monotonic() < deadline, "the site did not start"
                    time.sleep(0.1)  # polling a starting process: nothing to wait on instead
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    assert page.status_code == 200, page.text
    csp = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    for directive in ("script-src", "frame-src", "connect-src"):
        assert re.search(rf"{directive} [^;]*http://id\.localhost:5000", csp), csp
    assert f'<script nonce="{nonce}">' in page.text
    assert 'client_id: "my-client-id"' in page.text
    assert re.search(r'nonce: "[\w-]{16,}"', page.text)
    assert 'src="http://id.localhost:5000/static/lxl-id.js" async id="lxl-sdk"' in page.text


# --- The verification code, against a live LxL ID ------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_live_server(tmp_path_factory.mktemp("tutorial") / "live.db")
    with server.app.app_context():
        consents.remember(User.by_email("ada@example.org"), demo.DEMO_CLIENT_ID, SCOPE)
    yield server
    server.stop()


@pytest.fixture
def lxl_verify(tmp_path, live, monkeypatch):
    """The tutorial's lxl_verify.py, saved and imported afresh; its HTTP calls counted."""
    tutorial_blocks.write_site(tmp_path, tutorial_blocks.site_versions()[0], live.port, 8000)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lxl_verify", raising=False)
    module = importlib.import_module("lxl_verify")
    # Python does not resolve *.localhost (the tutorial says so); the app's adapter does.
    module.http.mount("http://", LoopbackAdapter())
    module.fetched = []

    def count(response, **kwargs):
        module.fetched.append(urlsplit(response.url).path)
        # This IdP's answers say how long to keep them (the tutorial caches by it); until
        # they all do, give the test a lifetime to cache by.
        response.headers.setdefault("Cache-Control", "public, max-age=300")
    module.http.hooks["response"].append(count)
    yield module
    sys.modules.pop("lxl_verify", None)


def credential(live, nonce="n-0nce-from-backend", email="ada@example.org"):
    """Sign ``email`` in at the live IdP and return a real ID token for ngo-demo."""
    with live.app.test_client() as browser:
        page = browser.get(f"{live.idp}/signin")
        browser.post(f"{live.idp}/signin", data={
            "csrf_token": csrf_token(page.text), "email": email, "password": demo.DEMO_PASSWORD})
        response = browser.get(f"{live.idp}/oidc/authorize?" + urlencode({
            "response_type": "id_token", "client_id": demo.DEMO_CLIENT_ID, "scope": SCOPE,
            "redirect_uri": f"{live.ngo}/auth/callback", "nonce": nonce, "state": "s",
            "prompt": "none"}))
    fragment = parse_qs(urlsplit(response.headers["Location"]).fragment)
    assert "id_token" in fragment, fragment
    return fragment["id_token"][0]


def verify(lxl_verify, live, token, **overrides):
    return lxl_verify.verify_credential(token, **{
        "issuer": live.idp, "client_id": demo.DEMO_CLIENT_ID, "nonce": "n-0nce-from-backend",
        **overrides})


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_verify_credential_returns_the_claims_of_a_real_credential(lxl_verify, live):
    claims = verify(lxl_verify, live, credential(live))
    assert claims["iss"] == live.idp and claims["aud"] == demo.DEMO_CLIENT_ID
    assert claims["email"] == "ada@example.org" and claims["sub"]


def test_discovery_and_keys_are_fetched_once_while_their_cache_control_lasts(lxl_verify, live):
    for _ in range(3):
        verify(lxl_verify, live, credential(live))
    assert sorted(lxl_verify.fetched) == ["/.well-known/openid-configuration", "/oidc/jwks"]


def test_a_key_rotated_in_since_the_keys_were_cached_is_fetched_once(lxl_verify, live):
    verify(lxl_verify, live, credential(live))
    with live.app.app_context():
        keys.rotate()
    verify(lxl_verify, live, credential(live))
    assert lxl_verify.fetched.count("/oidc/jwks") == 2


def _with_header(token, **header):
    _, payload, signature = token.split(".")
    return ".".join((b64(header), payload, signature))


def _with_claims(token, **changes):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join((header, b64({**claims, **changes}), signature))


@pytest.mark.parametrize("tamper, overrides, message", [
    (lambda t: _with_claims(t, email="grace@example.org"), {}, "bad_signature"),
    (lambda t: t[:-10] + ("B" if t[-10] == "A" else "A") + t[-9:], {}, "bad_signature"),
    (lambda t: t, {"client_id": "another-site"}, "aud"),
    (lambda t: t, {"nonce": "another-browser"}, "nonce"),
    (lambda t: t, {"nonce": ""}, "no nonce to check against"),
    (lambda t: "not-a-credential", {}, "decode_error"),
    (lambda t: _with_header(t, alg="RS256", kid="a-key-nobody-published"), {}, "invalid_key_id"),
    (lambda t: _with_header(t, alg="HS256", kid="x"), {}, "unsupported_algorithm"),
], ids=["forged-claims", "forged-signature", "another-audience", "another-nonce", "no-nonce",
        "garbage", "unknown-kid", "another-algorithm"])
def test_verify_credential_refuses(lxl_verify, live, tamper, overrides, message):
    with pytest.raises(lxl_verify.InvalidCredential, match=message):
        verify(lxl_verify, live, tamper(credential(live)), **overrides)


def test_verify_credential_refuses_an_expired_credential(lxl_verify, live, monkeypatch):
    monkeypatch.setitem(live.app.config, "LXL_ID_TOKEN_LIFETIME", timedelta(minutes=-2))
    with pytest.raises(lxl_verify.InvalidCredential, match="expired_token"):
        verify(lxl_verify, live, credential(live))


# --- Your backend, mysite.py ---------------------------------------------------------------

@pytest.fixture
def my_site(tmp_path, live, monkeypatch):
    """The tutorial's mysite.py for the demo client, imported from the saved files."""
    tutorial_blocks.write_site(tmp_path, tutorial_blocks.site_versions()[0], live.port, 8000)
    app = tutorial_blocks.import_site(tmp_path, demo.DEMO_CLIENT_ID, monkeypatch,
                                      live.port, 8000)
    return app.test_client()


def page_nonce(my_site):
    """Load your page; return the nonce it gave this browser."""
    assert my_site.get("/").status_code == 200
    with my_site.session_transaction() as session:
        return session["nonce"]


def post_credential(my_site, token, csrf="tok3n", cookie="tok3n"):
    if cookie is not None:
        my_site.set_cookie("g_csrf_token", cookie, domain="localhost")
    form = {"credential": token, **({"g_csrf_token": csrf} if csrf is not None else {})}
    return my_site.post("/auth/credential", data=form, headers={"Accept": "application/json"})


def test_your_backend_signs_in_with_a_verified_credential_and_a_new_nonce(my_site, live):
    nonce = page_nonce(my_site)
    response = post_credential(my_site, credential(live, nonce=nonce))
    assert response.status_code == 200 and response.json == {"name": "Ada Lovelace"}
    assert '<p id="account">Signed in as Ada Lovelace</p>' in my_site.get("/").text
    with my_site.session_transaction() as session:
        assert session["nonce"] != nonce, "a credential signs in once"


@pytest.mark.parametrize("csrf, cookie, forge, status, message", [
    (None, "tok3n", False, 400, "g_csrf_token is missing"),
    ("tok3n", None, False, 400, "differs from the g_csrf_token cookie"),
    ("tok3n", "other", False, 400, "differs from the g_csrf_token cookie"),
    ("\u00e9t\u00e9", "tok3n", False, 400, "differs from the g_csrf_token cookie"),
    ("tok3n", "tok3n", True, 401, "credential refused: bad_signature"),
], ids=["no-field", "no-cookie", "mismatch", "not-ascii", "forged"])
def test_your_backend_refuses(my_site, live, csrf, cookie, forge, status, message):
    token = credential(live, nonce=page_nonce(my_site))
    response = post_credential(my_site, _with_claims(token, sub="someone") if forge else token,
                               csrf=csrf, cookie=cookie)
    assert response.status_code == status and message in response.json["error"]
    assert '<p id="account">Signed in as' not in my_site.get("/").text


def test_your_backend_refuses_a_redirect_mode_answer_as_section_9_says(my_site, live):
    """LxL ID's form_post (id_token and state), even with the state cookie the SDK set."""
    token = credential(live, nonce=page_nonce(my_site))
    my_site.set_cookie("g_csrf_token", "st4te", domain="localhost")
    response = my_site.post("/auth/credential", data={"id_token": token, "state": "st4te"},
                            headers={"Accept": "application/json"})
    assert response.status_code == 400 and "g_csrf_token is missing" in response.json["error"]
    assert '<p id="account">Signed in as' not in my_site.get("/").text


@pytest.mark.parametrize("query, error", [
    ("error=access_denied&state=s", "access_denied"),
    ("code=c0de&state=not-the-one-sent", "mismatching_state"),
])
def test_your_visible_sign_in_refuses_a_callback_it_did_not_start(my_site, query, error):
    response = my_site.get(f"/auth/callback?{query}")
    assert response.status_code == 400
    assert response.json == {"error": f"LxL ID did not sign you in: {error}"}
