"""Load benchmark: 1,000 concurrent one-frame silent sign-ins against gunicorn, zero errors.

What it does (loopback only, fixed count, stops by itself):

1. starts a throw-away database — SQLite in a temporary directory, or with
   ``--database postgres`` a temporary PostgreSQL 15 cluster (Debian's binaries) on a free
   port — and runs ``flask --app wsgi lxl init-db`` and ``seed-demo`` against it;
2. creates ``--count`` users through the app's own code (``accounts.create_user``,
   ``consents.remember`` for ``ngo-demo``), each with a live IdP browser session whose
   browser key this script chose (the ``BrowserSession`` row ``accounts.sign_in`` would
   write, without the HTTP round trip);
3. starts ``gunicorn wsgi:app`` (gthread) on a free port with ``LXL_*`` pointing at it;
4. releases ``--count`` threads at once, each sending one
   ``GET /oidc/iframe/check_session`` carrying a whole silent authorization request
   (docs/silent-sign-in.md) with its user's ``lxl_silent`` cookie;
5. checks every answer: HTTP 200, ``status: logged_in``, and an ID token — verified
   against the IdP's JWKS — whose ``sub`` is ``claims.subject(user, "ngo-demo")``, and
   whose ``aud``, ``iss``, ``nonce`` and ``state`` are the ones asked for;
6. prints errors, wall time, p50/p95/p99 latency and requests/s, and stops gunicorn (and
   PostgreSQL) whatever happened.

Run from the repository root: ``.venv/bin/python bench/load/run.py [--database postgres]``.
See bench/load/README.md for the figures.
"""

import argparse
import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLIENT_ID = "ngo-demo"
SCOPE = "openid email profile"
AUTHORIZATION = re.compile(r"var authorization = (.*?);\n")
STATUS = re.compile(r"var initial = (.*?);\n")


def free_port():
    """Return a TCP port nobody listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


# --- the database ------------------------------------------------------------------------

@contextlib.contextmanager
def sqlite_database(workdir):
    """Yield the URL of a fresh SQLite file."""
    yield f"sqlite:///{workdir / 'load.db'}"


@contextlib.contextmanager
def postgres_database(workdir):
    """Start a throw-away PostgreSQL cluster on a free loopback port; yield its URL."""
    data, port = workdir / "pg", free_port()
    data.mkdir()
    as_postgres = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, PG_BIN / "initdb", "-D", data, "-U", "lxl", "-A", "trust",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL)
    options = (f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c max_connections=300 "
               "-c fsync=off -c synchronous_commit=off")
    subprocess.run([*as_postgres, PG_BIN / "pg_ctl", "-D", data, "-o", options,
                    "-l", data / "server.log", "-w", "start"], check=True,
                   stdout=subprocess.DEVNULL)
    try:
        subprocess.run([*as_postgres, PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(port),
                        "-U", "lxl", "lxl"], check=True)
        yield f"postgresql+psycopg://lxl@127.0.0.1:{port}/lxl"
    finally:
        subprocess.run([*as_postgres, PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "-w",
                        "stop"], stdout=subprocess.DEVNULL)


# --- the users -----------------------------------------------------------------------------

def seed(count):
    """Create ``count`` consented users with live browser sessions; return their keys and subs.

    Runs in this process with the environment set up for the server, so it writes the very
    database gunicorn will read. Password hashing uses Argon2's cheapest profile: nobody
    signs in with these passwords, and 1,000 real hashes would only slow the set-up.
    """
    from app import create_app
    from app.extensions import db
    from app.idp import accounts, consents
    from app.idp.models import BrowserSession, epoch
    from app.idp.oidc import claims

    app = create_app({"LXL_PASSWORD_PROFILE": "CHEAPEST"})
    users = []
    with app.app_context():
        lifetime = int(app.config["LXL_SESSION_LIFETIME"].total_seconds())
        for i in range(count):
            user = accounts.create_user(f"load{i}@example.org", f"Load {i}",
                                        secrets.token_urlsafe(16))
            consents.remember(user, CLIENT_ID, SCOPE)
            key = secrets.token_urlsafe(32)  # the browser key accounts.sign_in would mint
            db.session.add(BrowserSession(
                user_id=user.id, browser_key_hash=accounts._hash_key(key), remember=True,
                expires_at=epoch() + lifetime, user_agent="bench/load"))
            users.append({"key": key, "sub": claims.subject(user, CLIENT_ID)})
        db.session.commit()
        db.engine.dispose()
    return users


# --- gunicorn ---------------------------------------------------------------------------

@contextlib.contextmanager
def gunicorn(env, port, workers, threads, log):
    """Run ``gunicorn wsgi:app`` until the block ends; then stop it (TERM, then KILL)."""
    process = subprocess.Popen(
        [BIN / "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--backlog", "2048", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # its own group: the arbiter and workers
        try:
            process.wait(15)
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


def wait_until_serving(port, host, process, seconds=60):
    """Poll discovery until gunicorn answers it (no fixed sleep)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see its log.")
        with contextlib.suppress(OSError):
            if get(port, host, "/.well-known/openid-configuration", timeout=2)[0] == 200:
                return
        time.sleep(0.05)  # the only sleep: a poll interval while gunicorn boots
    raise SystemExit(f"gunicorn did not answer within {seconds} s.")


# --- the load -------------------------------------------------------------------------------

def silent_request(user, index, origins):
    """Return ``(path, headers, nonce, state)`` of one full silent sign-in for ``user``."""
    nonce, state = f"nonce-{index}-{secrets.token_hex(4)}", f"state-{index}"
    query = {"client_id": CLIENT_ID, "origin": origins["ngo"], "response_type": "id_token",
             "scope": SCOPE, "nonce": nonce, "state": state, "redirect_uri": origins["ngo"]}
    headers = {"Cookie": f"lxl_silent={user['key']}",
               "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site",
               "Sec-Fetch-Storage-Access": "active"}  # what Chromium sends, cookies allowed
    return f"/oidc/iframe/check_session?{urlencode(query)}", headers, nonce, state


def fire(users, port, host, origins):
    """Send one request per user, all released at once; return results and wall time."""
    requests = [silent_request(user, i, origins) for i, user in enumerate(users)]
    results = [None] * len(users)
    start = threading.Barrier(len(users) + 1)

    def one(i):
        path, headers, _, _ = requests[i]
        start.wait()
        began = time.perf_counter()
        try:
            status, body = get(port, host, path, headers)
            results[i] = {"status": status, "body": body,
                          "latency": time.perf_counter() - began, "error": None}
        except Exception as error:  # noqa: BLE001 — every failure is counted and shown
            results[i] = {"status": None, "body": "", "latency": time.perf_counter() - began,
                          "error": f"{type(error).__name__}: {error}"}

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(users))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return requests, results, time.perf_counter() - began


def check(users, requests, results, jwks, origins):
    """Return a list of ``(index, problem)``; empty when every answer is right."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys, problems = KeySet.import_key_set(jwks), []
    for i, (user, (_, _, nonce, state), result) in enumerate(zip(users, requests, results)):
        if result["error"]:
            problems.append((i, result["error"]))
            continue
        if result["status"] != 200:
            problems.append((i, f"HTTP {result['status']}: {result['body'][:300]!r}"))
            continue
        status, authorization = STATUS.search(result["body"]), AUTHORIZATION.search(result["body"])
        if not status or json.loads(status.group(1)).get("status") != "logged_in":
            problems.append((i, f"status is not logged_in: {status and status.group(1)}"))
            continue
        response = json.loads(authorization.group(1)) if authorization else None
        if not response or "id_token" not in response:
            problems.append((i, f"no id_token in the authorization: {response}"))
            continue
        try:
            token = jwt.decode(response["id_token"], keys, algorithms=["RS256"])
        except Exception as error:  # noqa: BLE001
            problems.append((i, f"ID token does not verify: {error}"))
            continue
        issued = token.claims
        expected = {"sub": user["sub"], "aud": CLIENT_ID, "iss": origins["idp"], "nonce": nonce}
        wrong = {k: issued.get(k) for k, v in expected.items() if issued.get(k) != v}
        if wrong or response.get("state") != state:
            problems.append((i, f"wrong claims {wrong} or state {response.get('state')!r}"))
    return problems


def percentile(values, fraction):
    """Return the nearest-rank percentile of ``values`` (sorted or not)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="users = concurrent requests")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=40,
                        help="requests sent (and checked) before the measured burst")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lxl-load-"))
    port = free_port()
    origins = {"idp": f"http://id.localhost:{port}", "ngo": f"http://ngo.localhost:{port}"}
    host = f"id.localhost:{port}"
    database = postgres_database if args.database == "postgres" else sqlite_database
    try:
        with database(workdir) as url:
            env = dict(os.environ, PORT=str(port), LXL_IDP_ORIGIN=origins["idp"],
                       LXL_NGO_ORIGIN=origins["ngo"], LXL_DATABASE_URL=url,
                       LXL_SECRET_KEY=secrets.token_urlsafe(32), LXL_SESSION_TYPE="sqlalchemy")
            for command in ("init-db", "seed-demo"):
                subprocess.run([BIN / "flask", "--app", "wsgi", "lxl", command], cwd=ROOT,
                               env=env, check=True, stdout=subprocess.DEVNULL)
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            t0 = time.perf_counter()
            users = seed(args.count + args.warmup)
            print(f"seeded {len(users)} users with sessions and consent "
                  f"in {time.perf_counter() - t0:.1f} s ({args.database})")
            warm, users = users[args.count:], users[:args.count]

            with open(workdir / "gunicorn.log", "w") as log, \
                    gunicorn(env, port, args.workers, args.threads, log) as process:
                wait_until_serving(port, host, process)
                jwks = json.loads(get(port, host, "/oidc/jwks")[1])
                if warm:  # every worker imports, compiles templates, opens its pool
                    requests, results, _ = fire(warm, port, host, origins)
                    if problems := check(warm, requests, results, jwks, origins):
                        print(f"warm-up: {len(problems)} errors, e.g. {problems[:3]}")
                requests, results, wall = fire(users, port, host, origins)
            problems = check(users, requests, results, jwks, origins)
            server_log = (workdir / "gunicorn.log").read_text()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = [r["latency"] * 1000 for r in results]
    print(f"gunicorn -w {args.workers} -k gthread --threads {args.threads}, "
          f"{args.database}, {len(users)} concurrent silent sign-ins, {os.cpu_count()} CPUs")
    print(f"errors: {len(problems)}")
    print(f"wall time: {wall:.2f} s, {len(users) / wall:.0f} requests/s")
    print(f"latency ms: p50 {percentile(latencies, 0.50):.0f}, "
          f"p95 {percentile(latencies, 0.95):.0f}, p99 {percentile(latencies, 0.99):.0f}, "
          f"max {max(latencies):.0f}, mean {statistics.mean(latencies):.0f}")
    if problems:
        kinds = {}
        for _, problem in problems:
            kinds.setdefault(problem[:160], 0)
            kinds[problem[:160]] += 1
        for problem, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  {n} x {problem}")
        tracebacks = [line for line in server_log.splitlines() if "Error" in line]
        print("server log, error lines:", *tracebacks[-15:], sep="\n  ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
