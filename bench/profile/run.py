"""Where one request's time goes: CPU ms and SQL statements per request, in-process (issue 12).

No server and no network: the IdP is created in this process (``create_app``, the production
configuration of bench/idp.py: SQLite in a temporary directory, server-side sessions) and
driven with Flask's test client, one request at a time, so the figures do not depend on how
busy the machine's other cores are. For each of the three requests bench/compare sends —

- ``silent``: the one-frame silent sign-in as the SDK sends it (``/oidc/iframe/check_session``
  with ``response_type=id_token``), in a cross-site frame, with only the ``SameSite=None``
  cookies;
- ``authorize``: ``/oidc/authorize?prompt=none&response_mode=web_message&response_type=code``
  with PKCE S256, in the same frame;
- ``token``: ``POST /oidc/token`` redeeming one code of the authorize phase (no cookies);

it prints the median and mean CPU time per request (this process's, ``time.process_time``,
Flask's test client included), the median wall time, and the SQL statements per request by kind (counted with SQLAlchemy's
``before_cursor_execute`` event, ``BEGIN``/``COMMIT`` as the driver sends them not included;
commits are counted with the ``commit`` event). Every answer is checked as bench/compare
checks it (state, code, ID token against the JWKS, nonce, sub). Other work on the machine
only ever adds time, so all three are measured ``--rounds`` times and each kind's round
with the lowest median is printed.

``--profile KIND`` runs that request kind under cProfile and prints the functions with the most
cumulative and own time; ``--statements KIND`` prints the SQL of one request of that kind.

Run from the repository root: ``.venv/bin/python bench/profile/run.py [-n 300]``.
"""

import argparse
import cProfile
import json
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import idp  # noqa: E402
from bench.compare.sides import LXL_WEB_MESSAGE, Browser, pkce_pair  # noqa: E402

KINDS = ("silent", "authorize", "token")


class Statements:
    """Count the SQL statements (by first word) and commits an engine runs."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.counts, self.commits, self.log = Counter(), 0, None
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.counts[statement.split(None, 1)[0].upper()] += 1
        if self.log is not None:
            self.log.append(statement)

    def _commit(self, conn):
        self.commits += 1

    def reset(self):
        self.counts, self.commits = Counter(), 0


class Bench:
    """The app, its signed-in browsers, and one request of each kind."""

    def __init__(self, workdir, users):
        port = 5000
        idp.prepare(port, f"sqlite:///{workdir / 'bench.db'}")
        seeded = idp.seed(users, prefix="profile", sign_in=True)
        from app import create_app
        from app.extensions import db
        from joserfc.jwk import KeySet

        # Each request writes its log lines, as in production, to a file and not the terminal.
        self.app = create_app({"LXL_LOG_FILE": str(workdir / "app.log")})
        self.origin = self.app.config["LXL_NGO_ORIGIN"]
        self.issuer = self.app.config["LXL_IDP_ORIGIN"]
        self.http = self.app.test_client(use_cookies=False)
        self.browsers = []
        for user in seeded:
            browser = Browser(user["sub"])
            browser.take(user["set_cookie"])
            self.browsers.append(browser)
        with self.app.app_context():
            self.statements = Statements(db.engine)
        self.keys = KeySet.import_key_set(self.get("/oidc/jwks", {}).json)
        self.codes = []

    def get(self, path, headers):
        return self.http.get(path, base_url=self.issuer, headers=headers)

    def frame(self, browser, path):
        return {**idp.FRAME_HEADERS, "Cookie": browser.cookie_header(path, cross_site_frame=True)}

    def check_id_token(self, token, nonce, browser):
        problem = idp.id_token_problem(token, self.keys, {
            "iss": self.issuer, "aud": idp.CLIENT_ID, "sub": browser.sub, "nonce": nonce})
        if problem:
            raise SystemExit(problem)

    # One request of each kind: (send, check) so that only ``send`` is timed.
    def silent(self, i):
        browser = self.browsers[i % len(self.browsers)]
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        path = ("/oidc/iframe/check_session?"
                + urlencode(idp.silent_query(self.origin, nonce, state)))

        def check(response):
            page = response.text
            status = json.loads(idp.STATUS.search(page).group(1))
            answer = json.loads(idp.AUTHORIZATION.search(page).group(1))
            if status.get("status") != "logged_in" or answer.get("state") != state:
                raise SystemExit(f"silent: {status} {answer}")
            self.check_id_token(answer["id_token"], nonce, browser)

        return (lambda: self.get(path, self.frame(browser, path))), check

    def authorize(self, i):
        browser = self.browsers[i % len(self.browsers)]
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        query = {"client_id": idp.CLIENT_ID, "response_type": "code",
                 "response_mode": "web_message", "prompt": "none", "redirect_uri": self.origin,
                 "scope": idp.SCOPE, "state": state, "nonce": nonce,
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        path = f"/oidc/authorize?{urlencode(query)}"

        def check(response):
            answer = json.loads(LXL_WEB_MESSAGE.search(response.text).group(1))
            if response.status_code != 200 or answer.get("state") != state or \
                    "code" not in answer:
                raise SystemExit(f"authorize: HTTP {response.status_code} {answer}")
            self.codes.append((answer["code"], verifier, nonce, browser))

        return (lambda: self.get(path, self.frame(browser, path))), check

    def token(self, i):
        code, verifier, nonce, browser = self.codes[i]
        body = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.origin, "client_id": idp.CLIENT_ID,
                "code_verifier": verifier}
        headers = {"Origin": self.origin, "Sec-Fetch-Mode": "cors",
                   "Sec-Fetch-Site": "cross-site"}

        def check(response):
            tokens = response.json
            if response.status_code != 200 or "id_token" not in tokens:
                raise SystemExit(f"token: HTTP {response.status_code} {tokens}")
            self.check_id_token(tokens["id_token"], nonce, browser)

        return (lambda: self.http.post("/oidc/token", base_url=self.issuer, data=body,
                                       headers=headers)), check

    def measure(self, kind, count, warmup=20):
        """Send ``count`` requests of ``kind`` (after ``warmup``); return the figures."""
        make = getattr(self, kind)
        offset = len(self.codes) - count - warmup if kind == "token" else 0
        cpu, wall = [], []
        for i in range(warmup + count):
            if i == warmup:
                self.statements.reset()
            send, check = make(offset + i if kind == "token" else i)
            started_cpu, started = time.process_time(), time.perf_counter()
            response = send()
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
            check(response)
        cpu, wall = cpu[warmup:], wall[warmup:]
        per = {k: v / count for k, v in self.statements.counts.items()}
        return {"cpu_median": statistics.median(cpu) * 1e3, "cpu_mean": statistics.mean(cpu) * 1e3,
                "wall_median": statistics.median(wall) * 1e3, "statements": per,
                "commits": self.statements.commits / count}


def _format_statements(per):
    order = ("SELECT", "INSERT", "UPDATE", "DELETE")
    kinds = sorted(per, key=lambda k: (order.index(k) if k in order else 9, k))
    return ", ".join(f"{round(per[k], 2):g} {k}" for k in kinds) or "none"


def main():
    # The seeding and the measured app are two apps in one process, as in the test suite.
    warnings.filterwarnings("ignore", "This declarative base already contains a class")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests of each kind (default 300)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of all three; each kind's least busy one is printed "
                             "(default 3)")
    parser.add_argument("--users", type=int, default=32, help="signed-in browsers (default 32)")
    parser.add_argument("--profile", choices=KINDS, help="run this kind under cProfile")
    parser.add_argument("--statements", choices=KINDS, help="print the SQL of one such request")
    parser.add_argument("--top", type=int, default=30, help="functions the profile lists")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lxl-profile-") as workdir:
        bench = Bench(Path(workdir), options.users)
        n = options.n
        results = {}
        for _ in range(options.rounds):
            # The token phase redeems the codes its authorize phase got, so authorize first.
            for kind in ("authorize", "token", "silent"):
                measured = bench.measure(kind, n)
                if kind not in results or measured["cpu_median"] < results[kind]["cpu_median"]:
                    results[kind] = measured
        for kind in ("authorize", "token", "silent"):
            if options.profile == kind:
                if kind == "token":
                    bench.measure("authorize", n, warmup=20)
                profiler = cProfile.Profile()
                profiler.enable()
                bench.measure(kind, n)
                profiler.disable()
                stats = pstats.Stats(profiler).strip_dirs()
                stats.sort_stats("cumulative").print_stats(options.top)
                stats.sort_stats("tottime").print_stats(options.top)
            if options.statements == kind:
                if kind == "token":  # one more code to redeem, its SQL not printed
                    bench.measure("authorize", 1, warmup=0)
                bench.statements.log = []
                send, check = getattr(bench, kind)(len(bench.codes) - 1 if kind == "token"
                                                   else 0)
                check(send())
                print(f"--- the SQL of one {kind} request ---")
                print("\n".join(bench.statements.log))
                bench.statements.log = None
        print(f"{n} requests of each kind, the least busy of {options.rounds} rounds; "
              f"{options.users} signed-in browsers, SQLite, Python {sys.version.split()[0]}")
        print(f"{'request':<10} {'CPU ms median':>13} {'CPU ms mean':>12} {'wall ms median':>15}"
              f"  SQL statements per request")
        for kind in KINDS:
            r = results[kind]
            print(f"{kind:<10} {r['cpu_median']:>13.2f} {r['cpu_mean']:>12.2f} "
                  f"{r['wall_median']:>15.2f}  {_format_statements(r['statements'])}, "
                  f"{r['commits']:g} commit")


if __name__ == "__main__":
    main()
