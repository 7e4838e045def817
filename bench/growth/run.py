"""Flat as it grows: silent sign-in and refresh latency at 1k, 100k and 1M users (issue 12).

What it does (loopback only; every process stopped and the temporary data removed at the end):

1. starts a throw-away database — SQLite in a temporary directory, or with
   ``--database postgres`` a temporary PostgreSQL cluster (bench/idp.py) — with the demo
   data (``flask lxl init-db``, ``seed-demo``);
2. for each size of ``--sizes``, smallest first, grows the population to that many users
   (fill.py: bulk inserts, one precomputed password hash): each user has a live browser
   session, a consent to ``ngo-demo``, the used authorization code of its sign-in and a
   refresh token bound to that session; one in 20 opted out of automatic sign-in (never
   drawn: its silent sign-in rightly fails);
3. starts the IdP with the README's production gunicorn command (as bench/compare does) and,
   at each concurrency of ``--levels``, sends ``--requests`` requests of each kind, each for
   a user drawn at random from the whole population, through bench/compare's load generator:

   - ``silent``: the one-frame silent sign-in as the SDK sends it
     (``GET /oidc/iframe/check_session?response_type=id_token&…``, bench/idp.py's
     ``silent_query``) with the user's ``lxl_silent`` cookie and a cross-site frame's
     headers. Checked: ``status: logged_in``, an ID token that verifies against the JWKS with
     the user's pairwise ``sub``, this request's ``nonce``, and this request's ``state``;
   - ``token``: ``POST /oidc/token`` with ``grant_type=refresh_token`` and the user's
     current refresh token (the page's ``fetch``: ``Origin``, no cookies). Checked: HTTP 200,
     a bearer access token, a new refresh token (rotation), which becomes that user's
     current one. Within one phase every user is drawn at most once, so no two requests
     race for one refresh token;

4. records every statement those two requests send to the database (in this process, on
   the filled database: one request of each kind, and ``accounts.end_all_sessions`` with
   ``tokens.revoke_all_of`` — a password change — for the lookups by user and session) and
   prints each one's plan, flagging every step that reads a whole table or index;
5. prints median and p95 latency per size, endpoint and concurrency, with the server's CPU
   time per request (all gunicorn processes, from /proc: less sensitive than latency to other
   work on a shared machine) and the load average when each phase began; then the ratios of
   the largest size to the smallest.

Run from the repository root: ``.venv/bin/python bench/growth/run.py [--database postgres]
[--sizes 1000,100000,1000000]``. See bench/README.md, "Flat as it grows".
"""

import argparse
import datetime
import json
import os
import platform
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import idp  # noqa: E402
from bench.compare import generator  # noqa: E402
from bench.compare.generator import Request  # noqa: E402
from deploy import gunicorn_command  # noqa: E402
from bench.growth import fill, plans  # noqa: E402

BOUND = 1.2  # issue 12: latency at the largest size within 1.2× of the smallest


class Bench:
    """One database, its population, the IdP serving it, and the requests sent to it."""

    def __init__(self, kind, url, port, population):
        self.kind, self.url, self.port = kind, url, port
        self.population = population
        self.origins = idp.origins(port)
        self.host = f"id.localhost:{port}"
        self.refresh_tokens = {}  # user -> current refresh token, once rotated
        self.spoiled = set()  # users whose sessions the plans' run ended
        self.keys = None

    # the requests
    def silent(self, _client, j):
        """The one-frame silent sign-in of user ``j``'s browser (a cross-site frame)."""
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        path = ("/oidc/iframe/check_session?"
                + urlencode(idp.silent_query(self.origins["ngo"], nonce, state)))
        headers = {"Host": self.host, **idp.FRAME_HEADERS,
                   "Cookie": f"lxl_silent={self.population.browser_key(j)}"}
        return Request("GET", path, headers, expect={"user": j, "state": state, "nonce": nonce})

    def token(self, _client, j):
        """The page's ``fetch`` exchanging user ``j``'s current refresh token."""
        refresh_token = self.refresh_token(j)
        body = urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token,
                          "client_id": idp.CLIENT_ID}).encode()
        headers = {"Host": self.host, "Content-Type": "application/x-www-form-urlencoded",
                   "Origin": self.origins["ngo"], "Sec-Fetch-Mode": "cors",
                   "Sec-Fetch-Site": "cross-site"}
        return Request("POST", "/oidc/token", headers, body,
                       expect={"user": j, "refresh_token": refresh_token})

    def refresh_token(self, j):
        """Return user ``j``'s current refresh token (the last one its refresh returned)."""
        return self.refresh_tokens.get(j) or self.population.refresh_token(j)

    def subject(self, j):
        """Return user ``j``'s pairwise ``sub`` for ``ngo-demo`` (the app's own function)."""
        from app.idp.oidc import claims

        return claims.subject(SimpleNamespace(subject_seed=self.population.subject_seed(j)),
                              idp.CLIENT_ID)

    # the checks
    def check_silent(self, answer):
        """Return what is wrong with a silent sign-in's answer, or ``None``."""
        if answer.error:
            return answer.error
        page, expect = answer.body.decode(errors="replace"), answer.request.expect
        status, authorization = idp.STATUS.search(page), idp.AUTHORIZATION.search(page)
        if answer.status != 200 or not status:
            return f"HTTP {answer.status}: {page[:200]!r}"
        if json.loads(status.group(1)).get("status") != "logged_in":
            return f"status is not logged_in: {status.group(1)}"
        response = json.loads(authorization.group(1)) if authorization else {}
        if "id_token" not in response:
            return f"no id_token in the authorization response: {response}"
        if response.get("state") != expect["state"]:
            return f"wrong state {response.get('state')!r}"
        return idp.id_token_problem(response["id_token"], self.keys, {
            "iss": self.origins["idp"], "aud": idp.CLIENT_ID, "sub": self.subject(expect["user"]),
            "nonce": expect["nonce"]})

    def check_token(self, answer):
        """Return what is wrong with a refresh's answer, or ``None``; keep the new token."""
        if answer.error:
            return answer.error
        if answer.status != 200:
            return f"HTTP {answer.status}: {answer.body[:200]!r}"
        try:
            tokens = json.loads(answer.body)
        except ValueError:
            return f"token response is not JSON: {answer.body[:200]!r}"
        expect = answer.request.expect
        if not tokens.get("access_token") or tokens.get("token_type", "").lower() != "bearer":
            return f"no bearer access_token: {tokens}"
        if not tokens.get("refresh_token") or tokens["refresh_token"] == expect["refresh_token"]:
            return f"no new refresh_token (rotation): {tokens}"
        if not isinstance(tokens.get("expires_in"), int) or tokens["expires_in"] <= 0:
            return f"no expires_in: {tokens}"
        self.refresh_tokens[expect["user"]] = tokens["refresh_token"]
        return None

    # drawing users
    def anyone(self, count):
        """Return ``count`` users drawn at random (with replacement) from the population."""
        size = self.population.size
        drawn = []
        while len(drawn) < count:
            j = random.randrange(size)
            if j not in self.spoiled and not self.population.opted_out(j):
                drawn.append(j)
        return drawn

    def distinct(self, count):
        """Return ``count`` different users drawn at random from the population."""
        drawn = set()
        eligible = self.population.size * (1 - 1 / fill.OPTED_OUT) - len(self.spoiled)
        while len(drawn) < min(count, int(eligible)):
            j = random.randrange(self.population.size)
            if j not in self.spoiled and not self.population.opted_out(j):
                drawn.add(j)
        return list(drawn)


def load():
    """Return the 1-minute load average, as text."""
    return f"{os.getloadavg()[0]:.2f}"


def phase(bench, process, concurrency, endpoint, users):
    """Run one phase (every answer checked); return ``(generator.Phase, problems, load)``."""
    build, check = ((bench.silent, bench.check_silent) if endpoint == "silent"
                    else (bench.token, bench.check_token))
    before = load()
    result = generator.run(bench.port, concurrency, build, items=users,
                           process_group=process.pid)
    return result, [p for a in result.answers if (p := check(a))], before


def measure(bench, options, workdir, levels, requests, warmup, rounds):
    """Start gunicorn on the filled database and measure both endpoints at each concurrency.

    Each cell is measured ``rounds`` times and the round with the lowest median kept: other
    work on a shared machine only ever adds time (every round's answers are checked).
    """
    env = dict(os.environ)
    results = {}
    with open(workdir / "gunicorn.log", "a") as log, \
            idp.gunicorn(env, bench.port, options, log) as process:
        idp.wait_until_serving(bench.port, bench.host, process)
        if bench.keys is None:
            from joserfc.jwk import KeySet

            bench.keys = KeySet.import_key_set(json.loads(idp.get(bench.port, bench.host,
                                                                  "/oidc/jwks")[1]))
        # Warm-up (imports, templates, pools, the database's cache), checked, not reported.
        for endpoint in ("silent", "token"):
            users = bench.anyone(warmup) if endpoint == "silent" else bench.distinct(warmup)
            _, problems, _ = phase(bench, process, max(levels), endpoint, users)
            if problems:
                raise SystemExit(f"warm-up, {endpoint}: {len(problems)} wrong answers, "
                                 f"e.g. {problems[:3]}")
        for _ in range(rounds):
            for c in levels:
                for endpoint in ("silent", "token"):
                    users = bench.anyone(requests) if endpoint == "silent" else \
                        bench.distinct(requests)
                    measured = phase(bench, process, c, endpoint, users)
                    kept = results.get((endpoint, c))
                    if kept is None or measured[1] or (
                            not kept[1] and measured[0].latency(0.5) < kept[0].latency(0.5)):
                        results[(endpoint, c)] = measured  # a round with wrong answers stays
    return results


# --- the plans ------------------------------------------------------------------------------

def capture_plans(bench, app):
    """Send one request of each kind in this process; return each flow's plans.

    ``{flow: (statements sent, [(distinct statement, its plan's lines)])}``; only
    ``SELECT``, ``UPDATE`` and ``DELETE`` statements are counted.
    """
    from app.extensions import db
    from app.idp import accounts, tokens
    from app.idp.models import User

    j = bench.anyone(1)[0]
    silent, token = bench.silent(0, j), bench.token(0, j)
    client = app.test_client(use_cookies=False)  # send the Cookie header as given
    for request in (silent, token):  # the test client names the host from base_url
        request.headers.pop("Host")
    with app.app_context():
        engine = db.engine
    captured = {}
    # Each request in its own app context, as under gunicorn: nothing (``g``, the session's
    # identity map) carries over from one to the next and hides a query.
    with plans.capture(engine) as statements:
        response = client.get(silent.path, headers=silent.headers, base_url=bench.origins["idp"])
    answer = generator.Answer(silent, response.status_code, response.data, 0, 0)
    if problem := bench.check_silent(answer):
        raise SystemExit(f"the plans' silent sign-in failed: {problem}")
    captured["silent sign-in (check_session, id_token)"] = statements
    with plans.capture(engine) as statements:
        response = client.post(token.path, data=token.body, headers=token.headers,
                               base_url=bench.origins["idp"])
    answer = generator.Answer(token, response.status_code, response.data, 0, 0)
    if problem := bench.check_token(answer):
        raise SystemExit(f"the plans' refresh failed: {problem}")
    captured["token (refresh_token grant)"] = statements
    # A password change's lookups by user and by session (accounts.set_password, less the
    # hash): not on the measured paths, but on sign-in, sign-out and password reset.
    with app.test_request_context(base_url=bench.origins["idp"]), \
            plans.capture(engine) as statements:
        user = db.session.get(User, bench.population.user_id(j))
        accounts.end_all_sessions(user)
        tokens.revoke_all_of(user)
    bench.spoiled.add(j)
    captured["password change (end_all_sessions, revoke_all_of)"] = statements
    explained = {}
    with engine.connect() as connection:
        for flow, statements in captured.items():
            explained[flow] = (len(statements), [])
            for sql, parameters in plans.unique(statements):
                lines = plans.explain(connection, bench.kind, sql, parameters)
                forced = None
                if bench.kind == "postgres" and any(
                        grows for _, grows in plans.full_scans(bench.kind, lines)):
                    forced = plans.explain_without_seq_scans(connection, sql, parameters)
                explained[flow][1].append((sql, lines, forced))
        connection.rollback()
    return explained


def print_plans(kind, size, explained, previous):
    """Print each flow's plans (in full the first time, then only what changed); return scans.

    A scan is returned unless PostgreSQL, made to avoid sequential scans, uses an index
    instead: then the table was read whole only because it is small at this size.
    """
    scans = []
    print(f"\nQuery plans at {size:,} users ({kind}; "
          f"{'EXPLAIN QUERY PLAN' if kind == 'sqlite' else 'EXPLAIN'}):")
    for flow, (sent, statements) in explained.items():
        print(f"  {flow}: {sent} statements sent, {len(statements)} distinct")
        for sql, lines, forced in statements:
            found = plans.full_scans(kind, lines)
            # A scan the planner chose although an index would serve (a small table).
            indexed = forced is not None and not any(
                grows for _, grows in plans.full_scans(kind, forced))
            if not indexed:
                scans += [(flow, table, grows, sql) for table, grows in found]
            if previous.get((flow, sql)) == lines:
                continue
            mark = "".join(
                f"  (Seq Scan of {table}: small now, the planner's choice; an index serves it)"
                if grows and indexed else f"  <-- FULL SCAN of {table}" if grows else
                f"  (scan of {table}: does not grow with users)" for table, grows in found)
            print(f"    {plans.one_line(sql)}{mark}")
            for line in lines:
                print(f"        {line}")
            if indexed:
                print("      with enable_seqscan = off:")
                for line in forced:
                    print(f"        {line}")
            previous[(flow, sql)] = lines
    return scans


# --- the report ---------------------------------------------------------------------------

def machine():
    """Return a line naming the machine and the Python."""
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} CPUs (nproc), {model}; Python {platform.python_version()}"


def report(kind, sizes, results, levels):
    """Print the table of every size and the ratio of the largest size to the smallest."""
    print("\n| users | endpoint | c | requests | median ms | p95 ms | req/s | CPU ms/req "
          "| errors | load avg |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        for endpoint in ("silent", "token"):
            for c in levels:
                result, problems, before = results[size][(endpoint, c)]
                print(f"| {size:,} | {endpoint} | {c} | {len(result.answers)} "
                      f"| {result.latency(0.5):.1f} | {result.latency(0.95):.1f} "
                      f"| {result.rate:,.0f} | {result.server_cpu_ms:.2f} | {len(problems)} "
                      f"| {before} |")
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    print(f"\n{kind}: {large:,} users ÷ {small:,} users (bound {BOUND}×):")
    for endpoint in ("silent", "token"):
        for c in levels:
            a, b = results[small][(endpoint, c)][0], results[large][(endpoint, c)][0]
            median = b.latency(0.5) / a.latency(0.5)
            p95 = b.latency(0.95) / a.latency(0.95)
            cpu = b.server_cpu_ms / a.server_cpu_ms if a.server_cpu_ms else float("nan")
            verdict = "within" if median <= BOUND else "OVER"
            print(f"  {endpoint}, c={c}: median {median:.2f}×, p95 {p95:.2f}×, server CPU per "
                  f"request {cpu:.2f}× ({verdict} the bound on the median)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="populations, comma-separated, grown in increasing order")
    parser.add_argument("--database", choices=tuple(idp.DATABASES), default="sqlite")
    parser.add_argument("--requests", type=int, default=300,
                        help="requests per endpoint, concurrency and size")
    parser.add_argument("--levels", default="1,8", help="concurrencies, comma-separated")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measurements of each cell; the one with the lowest median is kept")
    parser.add_argument("--warmup", type=int, default=40,
                        help="requests per endpoint before each size's measurements")
    parser.add_argument("--workers", type=int,
                        help="override the README command's gunicorn --workers")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    levels = [int(c) for c in args.levels.split(",")]
    for signum in (signal.SIGTERM, signal.SIGHUP):  # end like Ctrl-C: clean up
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))

    options = gunicorn_command.production_options(workers=args.workers)
    workdir = Path(tempfile.mkdtemp(prefix="lxl-growth-"))
    results, all_scans, fills = {}, [], {}
    print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {machine()}; "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"LxL ID: gunicorn {' '.join(options)} wsgi:app ({args.database}); "
          f"{args.requests} requests per endpoint, concurrency and size, the least busy of "
          f"{args.rounds} rounds")
    try:
        with idp.DATABASES[args.database](workdir) as url:
            port = idp.free_port()
            idp.prepare(port, url)
            from app import create_app
            from app.idp import accounts

            app = create_app()
            with app.app_context():
                password_hash = accounts.hash_password(secrets.token_urlsafe(16))  # once
                lifetime = int(app.config["LXL_SESSION_LIFETIME"].total_seconds())
            population = fill.start(url, secrets.token_hex(8), lifetime)
            bench = Bench(args.database, url, port, population)
            previous = {}
            for size in sizes:
                grown_from = population.size
                t0 = time.perf_counter()
                spent = fill.grow(url, population, size, password_hash, args.database)
                fills[size] = time.perf_counter() - t0
                print(f"\ngrew {grown_from:,} -> {size:,} users in {fills[size]:.1f} s "
                      f"({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())}); "
                      f"database {database_size(args.database, url, workdir)}")
                results[size] = measure(bench, options, workdir, levels, args.requests,
                                        args.warmup, args.rounds)
                explained = capture_plans(bench, app)
                all_scans += [(size, *scan) for scan in
                              print_plans(args.database, size, explained, previous)]
                for (endpoint, c), (_, problems, _) in results[size].items():
                    for problem in problems[:3]:
                        print(f"  WRONG {endpoint} c={c}: {problem}")
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
    except BaseException:
        log = workdir / "gunicorn.log"
        if log.exists():
            print("--- gunicorn log, last lines:", *log.read_text().splitlines()[-15:],
                  sep="\n", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report(args.database, sizes, results, levels)
    scanned = {}  # (flow, table) -> sizes at which a plan read the whole table
    for size, flow, table, grows, _ in all_scans:
        if grows:
            scanned.setdefault((flow, table), []).append(size)
    print("\nFull scans of tables that grow with users: " + ("; ".join(
        f"{table} in {flow} at {', '.join(f'{size:,}' for size in found)} users"
        for (flow, table), found in sorted(scanned.items())) or "none"))
    # A planner may rightly read a small table whole; at the largest size none may be.
    growing = [key for key, found in scanned.items() if sizes[-1] in found]
    print(f"At {sizes[-1]:,} users: " + (f"{len(growing)} plan(s) read a whole table."
                                          if growing else "every lookup is an index search."))
    wrong = sum(len(problems) for by_size in results.values()
                for _, problems, _ in by_size.values())
    print(f"Every answer checked: {wrong} wrong.")
    return 1 if wrong or growing else 0


def database_size(kind, url, workdir):
    """Return the database's size on disk, as text."""
    if kind == "sqlite":
        total = sum(path.stat().st_size for path in workdir.glob("bench.db*"))
        return f"{total / 2**20:,.0f} MiB"
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            size = connection.exec_driver_sql("SELECT pg_database_size(current_database())")
            return f"{size.scalar() / 2**20:,.0f} MiB"
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
