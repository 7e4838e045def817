"""The LxL IdP as the benchmarks run it: a throw-away database, seeded users, gunicorn on loopback.

Shared by bench/load (1,000 concurrent silent sign-ins) and bench/compare (side by side with
node-oidc-provider), so that both start, seed and check the IdP the same way:

- ``database(kind, workdir)``: SQLite in a temporary directory, or a temporary PostgreSQL
  cluster (bin/production's, deploy/local.py, not durable) on a free port; ``prepare`` runs
  ``init-db`` and ``seed-demo``
  against it with the ``LXL_*`` environment of an IdP on ``127.0.0.1:port``;
- ``seed``: users created through the app's own code, each consented to ``ngo-demo`` and with
  a live IdP browser session;
- ``gunicorn``: ``gunicorn wsgi:app`` in its own process group, stopped whatever happens;
- ``get``/``wait_until_serving``: HTTP to 127.0.0.1 with an explicit ``Host`` header (Python
  does not resolve ``*.localhost``);
- ``silent_query`` and ``id_token_problem``: the one-frame silent sign-in the SDK sends, and
  the check of an ID token against the IdP's JWKS.

Import it with the repository root on ``sys.path`` (``from bench import idp``).
"""

import contextlib
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.local import Postgres, free_port

ROOT = Path(__file__).resolve().parents[1]
# The virtualenv the bench runs in (gunicorn and flask are installed next to its python).
BIN = Path(sys.executable).parent
CLIENT_ID = "ngo-demo"
SCOPE = "openid email profile"
# What the status frame's page (templates/idp/check_session.html) carries.
AUTHORIZATION = re.compile(r"var authorization = (.*?);\n")
STATUS = re.compile(r"var initial = (.*?);\n")


def origins(port):
    """Return the IdP and NGO origins of an app started on ``port``."""
    return {"idp": f"http://id.localhost:{port}", "ngo": f"http://ngo.localhost:{port}"}


# --- the database ------------------------------------------------------------------------

@contextlib.contextmanager
def sqlite_database(workdir):
    """Yield the URL of a fresh SQLite file."""
    yield f"sqlite:///{workdir / 'bench.db'}"


@contextlib.contextmanager
def postgres_database(workdir):
    """Start a throw-away PostgreSQL cluster on a free loopback port; yield its URL.

    bin/production's own cluster (deploy/local.py), without waiting for the disk.
    """
    if os.geteuid() == 0:
        # The cluster runs as the postgres user, which must pass through the work directory.
        workdir.chmod(0o711)
    cluster = Postgres(workdir / "pg", free_port(), durable=False)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()


DATABASES = {"sqlite": sqlite_database, "postgres": postgres_database}


def prepare(port, database_url):
    """Create the tables and the demo data; return the environment of an IdP on ``port``.

    The environment is also set in this process, so that ``seed`` writes the very database
    the server will read.
    """
    urls = origins(port)
    env = dict(os.environ, PORT=str(port), LXL_IDP_ORIGIN=urls["idp"],
               LXL_NGO_ORIGIN=urls["ngo"], LXL_DATABASE_URL=database_url,
               LXL_SECRET_KEY=secrets.token_urlsafe(32), LXL_SESSION_TYPE="sqlalchemy")
    for command in ("init-db", "seed-demo"):
        done = subprocess.run([BIN / "flask", "--app", "wsgi", "lxl", command], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask lxl {command} failed ({done.returncode}):\n"
                             f"{done.stdout}{done.stderr}")
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return env


# --- the users -----------------------------------------------------------------------------

def seed(count, prefix="load", sign_in=False):
    """Create ``count`` users consented to ``ngo-demo``, each with a live browser session.

    Returns one dict per user: ``key`` (the browser key of its session, which the
    ``lxl_silent`` cookie carries) and ``sub`` (its pairwise subject for ``ngo-demo``).

    By default the ``BrowserSession`` row ``accounts.sign_in`` would write is added directly,
    with a browser key chosen here (fast: one commit for all). With ``sign_in=True`` each
    user is signed in by ``accounts.sign_in`` itself ("Stay signed in"), in a request to the
    IdP host made inside this process, and the dict also holds ``set_cookie``: the
    ``Set-Cookie`` headers the app answered, so a client holds exactly the cookies, with the
    attributes, that a browser would. Password hashing uses Argon2's cheapest profile: nobody
    signs in with these passwords.
    """
    from app import create_app
    from app.extensions import db
    from app.idp import accounts, consents
    from app.idp.models import BrowserSession, epoch
    from app.idp.oidc import claims

    # Seeding is set-up, not a measurement: its protocol events (consents) are not printed.
    app = create_app({"LXL_PASSWORD_PROFILE": "CHEAPEST", "LXL_LOG_LEVEL": "WARNING"})
    users = []
    with app.app_context():
        lifetime = int(app.config["LXL_SESSION_LIFETIME"].total_seconds())
        for i in range(count):
            user = accounts.create_user(f"{prefix}{i}@example.org", f"{prefix.title()} {i}",
                                        secrets.token_urlsafe(16))
            consents.remember(user, CLIENT_ID, SCOPE)
            seeded = {"sub": claims.subject(user, CLIENT_ID)}
            if sign_in:
                seeded.update(_sign_in(app, user))
            else:
                seeded["key"] = secrets.token_urlsafe(32)  # the key accounts.sign_in mints
                db.session.add(BrowserSession(
                    user_id=user.id, browser_key_hash=accounts._hash_key(seeded["key"]),
                    remember=True, expires_at=epoch() + lifetime, user_agent=f"bench/{prefix}"))
            users.append(seeded)
        db.session.commit()
        db.engine.dispose()
    return users


def _sign_in(app, user):
    """Sign ``user`` in with "Stay signed in" as the sign-in form does; return key and cookies."""
    from flask import session

    from app.idp import accounts

    with app.test_request_context("/signin", method="POST",
                                  base_url=app.config["LXL_IDP_ORIGIN"],
                                  headers={"User-Agent": "bench"}):
        accounts.sign_in(user, remember=True)
        key = session["browser_key"]
        response = app.process_response(app.make_response(""))
    return {"key": key, "set_cookie": response.headers.getlist("Set-Cookie")}


# --- gunicorn ---------------------------------------------------------------------------

@contextlib.contextmanager
def gunicorn(env, port, options, log, app="wsgi:app"):
    """Run ``gunicorn OPTIONS -b 127.0.0.1:PORT APP`` until the block ends; then stop it.

    It runs in its own process group (the arbiter and its workers): TERM, then KILL after
    15 s, whatever happened in the block.
    """
    process = subprocess.Popen(
        [BIN / "gunicorn", *options, "-b", f"127.0.0.1:{port}", app],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process, seconds=15):
    """Stop ``process`` and everything in its process group: TERM, then KILL."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def get(port, host, path, headers=None, timeout=60):
    """One HTTP/1.1 GET to 127.0.0.1 with ``Host: host``; return ``(status, body)``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def wait_until_serving(port, host, process, seconds=60, path="/.well-known/openid-configuration",
                       headers=None):
    """Poll ``path`` until the server answers it 200 (no fixed sleep)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}; see its log.")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, host, path, headers, timeout=2)[0] == 200:
                return
        time.sleep(0.05)  # the only sleep: a poll interval while the server boots
    raise SystemExit(f"{process.args[0]} did not answer {path} within {seconds} s.")


# --- the silent sign-in and its ID token ----------------------------------------------------

def silent_query(origin, nonce, state):
    """Return the query of the one-frame silent sign-in the SDK sends (docs/silent-sign-in.md)."""
    return {"client_id": CLIENT_ID, "origin": origin, "response_type": "id_token",
            "scope": SCOPE, "nonce": nonce, "state": state, "redirect_uri": origin}


# What Chromium adds to a cross-site frame's navigation, third-party cookies allowed
# (BROWSER_NOTES.md): the status frame reads Sec-Fetch-Storage-Access.
FRAME_HEADERS = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate",
                 "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Storage-Access": "active"}


def id_token_problem(token, keys, expected):
    """Return what is wrong with an ID token, or ``None`` if it is right.

    ``keys`` is a joserfc ``KeySet`` (the server's JWKS); ``expected`` maps claims to the
    values they must have (``iss``, ``aud``, ``sub``, ``nonce``…). The token must verify
    (RS256) and not be expired.
    """
    from joserfc import jwt

    try:
        claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
    except Exception as error:  # noqa: BLE001 — any failure to verify is the problem
        return f"ID token does not verify: {type(error).__name__}: {error}"
    wrong = {k: claims.get(k) for k, v in expected.items() if claims.get(k) != v}
    if wrong:
        return f"ID token has wrong claims {wrong}"
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
        return f"ID token expired or without exp: {claims.get('exp')!r}"
    return None


def percentile(values, fraction):
    """Return the nearest-rank percentile of ``values`` (sorted or not)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]
