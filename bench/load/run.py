"""Load benchmark: 1,000 concurrent one-frame silent sign-ins against gunicorn, zero errors.

What it does (loopback only, fixed count, stops by itself):

1. starts a throw-away database — SQLite in a temporary directory, or with
   ``--database postgres`` a temporary PostgreSQL cluster (bench/idp.py) on a free
   port — and runs ``flask --app wsgi lxl init-db`` and ``seed-demo`` against it;
2. creates ``--count`` users through the app's own code (``accounts.create_user``,
   ``consents.remember`` for ``ngo-demo``), each with a live IdP browser session whose
   browser key this script chose (the ``BrowserSession`` row ``accounts.sign_in`` would
   write, without the HTTP round trip);
3. starts ``gunicorn wsgi:app`` with the README's production command on a free port, with
   ``LXL_*`` pointing at it;
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
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import idp  # noqa: E402
from bench.idp import AUTHORIZATION, CLIENT_ID, STATUS, get, percentile  # noqa: E402
from deploy import gunicorn_command  # noqa: E402


# --- the load -------------------------------------------------------------------------------

def silent_request(user, index, origins):
    """Return ``(path, headers, nonce, state)`` of one full silent sign-in for ``user``."""
    nonce, state = f"nonce-{index}-{secrets.token_hex(4)}", f"state-{index}"
    query = idp.silent_query(origins["ngo"], nonce, state)
    headers = {"Cookie": f"lxl_silent={user['key']}", **idp.FRAME_HEADERS}
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
        expected = {"sub": user["sub"], "aud": CLIENT_ID, "iss": origins["idp"], "nonce": nonce}
        if problem := idp.id_token_problem(response["id_token"], keys, expected):
            problems.append((i, problem))
        elif response.get("state") != state:
            problems.append((i, f"wrong state {response.get('state')!r}"))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="users = concurrent requests")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int,
                        help="override the README command's gunicorn --workers")
    parser.add_argument("--threads", type=int,
                        help="override the README command's gunicorn --threads")
    parser.add_argument("--warmup", type=int, default=40,
                        help="requests sent (and checked) before the measured burst")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="lxl-load-"))
    port = idp.free_port()
    origins = idp.origins(port)
    host = f"id.localhost:{port}"
    # The README's production command; a backlog for 1,000 connections arriving at once
    # (gunicorn's default, 2048, says the same: kept explicit, it is what this bench needs).
    options = [*gunicorn_command.production_options(workers=args.workers, threads=args.threads),
               "--backlog", "2048"]
    try:
        with idp.DATABASES[args.database](workdir) as url:
            env = idp.prepare(port, url)
            t0 = time.perf_counter()
            users = idp.seed(args.count + args.warmup)
            print(f"seeded {len(users)} users with sessions and consent "
                  f"in {time.perf_counter() - t0:.1f} s ({args.database})")
            warm, users = users[args.count:], users[:args.count]

            with open(workdir / "gunicorn.log", "w") as log, \
                    idp.gunicorn(env, port, options, log) as process:
                idp.wait_until_serving(port, host, process)
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
    print(f"gunicorn {' '.join(options)}, "
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
