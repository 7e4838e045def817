"""LxL ID side by side with node-oidc-provider 9: throughput and latency, one command (issue 12).

What it does (loopback only; every process in its own process group, stopped whatever
happens; the temporary directory removed at the end):

1. installs node-oidc-provider (``OIDC_PROVIDER``, pinned) with ``npm install --prefix`` into a
   temporary directory and starts it there: one Node process configured by
   ``reference-op.mjs``; signs one browser per virtual client (as many as the highest
   concurrency) in through its own login and consent pages, over HTTP, keeping each
   browser's cookies;
2. starts LxL ID under gunicorn with the README's production command (its Production
   section; only the address differs) on SQLite in the temporary directory, after creating
   as many users through the app's own code (bench/idp.py), each consented and signed in by
   ``accounts.sign_in``, keeping the cookies the app set;
3. measures the load generator (generator.py) against a trivial endpoint on the same cores
   (a Node "hello" server) and prints that ceiling, and a bare Flask "hello" under the same
   gunicorn command (the framework alone);
4. for each concurrency of ``--levels`` and each server: the ``prompt=none`` code request
   with PKCE (web_message) for ``--seconds``; then the token request redeeming every code
   that phase got (so each code is fresh, and each is proven to exist); then the one-frame
   silent sign-in for ``--seconds``. Every answer is checked after its phase (sides.py);
5. prints requests/s, median and p95 latency, the server's CPU time per request and the
   errors of each cell, and LxL ID ÷ node-oidc-provider ratios where both servers stayed at
   most ``RATIO_LIMIT`` of the ceiling ("ceiling-bound" elsewhere). Exit status 1 if any
   answer was wrong.

Run from the repository root: ``.venv/bin/python bench/compare/run.py``. See bench/README.md.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import idp  # noqa: E402
from bench.compare import generator  # noqa: E402
from bench.compare.sides import Browser, LxlSide, ReferenceSide  # noqa: E402
from deploy import gunicorn_command  # noqa: E402

OIDC_PROVIDER = "oidc-provider@9.13.3"
LAUNCHER = Path(__file__).with_name("reference-op.mjs")
# The reference's client is a web client with id_token, which node-oidc-provider allows only
# on https and not on localhost: the NGO page's origin there is a reserved .test name (the
# load generator, not a browser, talks to it; only the frame's postMessage target uses it).
REFERENCE_NGO = "https://ngo.test"
RATIO_LIMIT = 0.6
ENDPOINTS = {  # the phases, as the table names them (bench/README.md says what each sends)
    "authorize": "authorize (code + PKCE, web_message)",
    "token": "token (authorization_code + PKCE)",
    "silent": "one-frame silent sign-in (`id_token`)",
}


# --- the servers ---------------------------------------------------------------------------

@contextlib.contextmanager
def started(command, cwd, log, env=None):
    """Run ``command`` in its own process group until the block ends; then stop the group."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log,
                               start_new_session=True)
    try:
        yield process
    finally:
        idp.stop_group(process)


def install_reference(directory):
    """``npm install`` node-oidc-provider into ``directory``; return its packages' versions."""
    done = subprocess.run(["npm", "install", "--prefix", directory, "--no-audit", "--no-fund",
                           "--loglevel=error", OIDC_PROVIDER], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"npm install {OIDC_PROVIDER} failed:\n{done.stdout}{done.stderr}")
    shutil.copy(LAUNCHER, directory / LAUNCHER.name)
    return {name: json.loads((directory / "node_modules" / name / "package.json").read_text())
            ["version"] for name in ("oidc-provider", "koa", "jose")}


def start_lxl(stack, workdir, count, options):
    """Start LxL ID (SQLite, ``count`` signed-in browsers) under gunicorn; return its side."""
    port = idp.free_port()
    env = idp.prepare(port, f"sqlite:///{workdir / 'lxl.db'}")
    users = idp.seed(count, prefix="compare", sign_in=True)
    log = stack.enter_context(open(workdir / "lxl.log", "w"))
    process = stack.enter_context(idp.gunicorn(env, port, options, log))
    host = f"id.localhost:{port}"
    idp.wait_until_serving(port, host, process)
    browsers = []
    for user in users:
        browser = Browser(user["sub"])
        browser.take(user["set_cookie"])
        browsers.append(browser)
    origins = idp.origins(port)
    side = LxlSide(port, host, origins["idp"], origins["ngo"], origins["ngo"], browsers)
    side.process_group = process.pid
    return side


def start_reference(stack, workdir, count):
    """Start node-oidc-provider and sign ``count`` browsers in; return its side."""
    from app.idp.models import CODE_LIFETIME_SECONDS

    port = idp.free_port()
    host, issuer = f"op.localhost:{port}", f"https://op.localhost:{port}"
    options = {"port": port, "issuer": issuer, "client_id": idp.CLIENT_ID,
               "redirect_uri": f"{REFERENCE_NGO}/", "code_ttl": CODE_LIFETIME_SECONDS}
    log = stack.enter_context(open(workdir / "reference.log", "w"))
    process = stack.enter_context(started(
        ["node", LAUNCHER.name, "op", json.dumps(options)], workdir / "reference", log))
    # TLS ends at a proxy in front of it, which says so (see reference-op.mjs).
    headers = {"X-Forwarded-Proto": "https"}
    idp.wait_until_serving(port, host, process, headers=headers)
    browsers = [Browser() for _ in range(count)]
    side = ReferenceSide(port, host, issuer, REFERENCE_NGO, f"{REFERENCE_NGO}/", browsers,
                         headers)
    for i, browser in enumerate(browsers):
        side.sign_in(browser, f"bench-{i}")
    side.process_group = process.pid
    return side


def start_hellos(stack, workdir, options):
    """Start the two trivial servers; return ``{name: (port, process group)}``."""
    node_port, flask_port = idp.free_port(), idp.free_port()
    node = stack.enter_context(started(
        ["node", LAUNCHER.name, "hello", json.dumps({"port": node_port})], workdir / "reference",
        stack.enter_context(open(workdir / "hello.log", "w"))))
    flask = stack.enter_context(idp.gunicorn(
        os.environ, flask_port, options, stack.enter_context(open(workdir / "flask.log", "w")),
        app="bench.compare.hello:app"))
    idp.wait_until_serving(node_port, "hello", node, path="/")
    idp.wait_until_serving(flask_port, "hello", flask, path="/")
    return {"node": (node_port, node.pid), "flask": (flask_port, flask.pid)}


# --- the measurements ---------------------------------------------------------------------

def hello_problem(answer):
    if answer.error:
        return answer.error
    return None if answer.status == 200 and answer.body == b"hello" else \
        f"HTTP {answer.status}: {answer.body[:100]!r}"


def measure(side, concurrency, seconds):
    """Run the three endpoints' phases on ``side``; return ``{endpoint: (phase, problems)}``."""
    cells = {}
    phase = generator.run(side.port, concurrency, side.authorize, seconds=seconds,
                          process_group=side.process_group)
    codes, problems = [], []
    for answer in phase.answers:
        code, problem = side.check_authorize(answer)
        codes.append(code) if code else problems.append(problem)
    cells["authorize"] = (phase, problems)
    if codes:
        phase = generator.run(side.port, concurrency, side.token, items=codes,
                              process_group=side.process_group)
        cells["token"] = (phase, [p for a in phase.answers if (p := side.check_token(a))])
    else:
        cells["token"] = (generator.Phase(concurrency, [], 0.0), ["no code to redeem"])
    phase = generator.run(side.port, concurrency, side.silent, seconds=seconds,
                          process_group=side.process_group)
    cells["silent"] = (phase, [p for a in phase.answers if (p := side.check_silent(a))])
    return cells


def ceiling(port, process_group, concurrency, seconds, build):
    """Measure the load generator against a trivial server; return ``(phase, problems)``."""
    phase = generator.run(port, concurrency, build, seconds=seconds,
                          process_group=process_group)
    return phase, [p for a in phase.answers if (p := hello_problem(a))]


# --- the report ----------------------------------------------------------------------------

def machine():
    """Return a line naming the machine, the runtimes and how busy the machine was."""
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs (nproc), {model}; Python {platform.python_version()}, "
            f"Node {node}; load average before the run {load}")


def rate_line(name, phases):
    return f"{name}: " + "; ".join(
        f"c={c} {phase.rate:,.0f} req/s (p50 {phase.latency(0.5):.1f} ms, "
        f"{phase.client_cpu * 1e6 / max(1, len(phase.answers)):.0f} µs generator CPU/req)"
        for c, (phase, _) in phases.items())


def table(levels, lxl, reference, ceilings):
    """Return the Markdown table of every cell, with ratios where both are below the ceiling."""
    head = ("| endpoint | c | LxL req/s | p50 ms | p95 ms | CPU ms/req | errors "
            "| ref req/s | p50 ms | p95 ms | CPU ms/req | errors | req/s ratio | p95 ratio |")
    rows = [head, "|" + "---|" * 2 + "---:|" * 12]
    for endpoint, title in ENDPOINTS.items():
        for c in levels:
            cells = []
            (ours, our_problems), (theirs, their_problems) = lxl[c][endpoint], reference[c][endpoint]
            for phase, problems in ((ours, our_problems), (theirs, their_problems)):
                cells += [f"{phase.rate:,.0f}", f"{phase.latency(0.5):.1f}",
                          f"{phase.latency(0.95):.1f}", f"{phase.server_cpu_ms:.2f}",
                          f"**{len(problems)}**" if problems else "0"]
            limit = RATIO_LIMIT * ceilings[c][0].rate
            if max(ours.rate, theirs.rate) > limit:
                cells += ["ceiling-bound"] * 2
            elif theirs.rate and theirs.latency(0.95):
                cells += [f"{ours.rate / theirs.rate:.2f}×",
                          f"{ours.latency(0.95) / theirs.latency(0.95):.1f}×"]
            else:
                cells += ["–", "–"]
            rows.append(f"| {title} | {c} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def problems_report(name, cells):
    """Return lines naming the distinct problems of each failed cell (at most 5 kinds each)."""
    lines = []
    for (c, endpoint), (phase, problems) in cells.items():
        if problems:
            lines.append(f"{name}, {endpoint}, c={c}: {len(problems)} of {len(phase.answers)} "
                         "answers wrong:")
            for problem, n in Counter(p[:200] for p in problems).most_common(5):
                lines.append(f"  {n} x {problem}")
    return lines


def server_logs(workdir):
    """Return each server's log (what exists of them)."""
    return {path.stem: path.read_text(errors="replace") for path in sorted(workdir.glob("*.log"))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of each timed phase (the token phase redeems the codes "
                             "of its authorize phase, however long that takes)")
    parser.add_argument("--levels", default="1,8,32",
                        help="concurrencies, comma-separated (virtual clients)")
    parser.add_argument("--warmup", type=float, default=1.0,
                        help="seconds of warm-up per endpoint and server, checked, not reported")
    parser.add_argument("--workers", type=int,
                        help="override the README command's gunicorn --workers (to compare)")
    parser.add_argument("--threads", type=int,
                        help="override the README command's gunicorn --threads (to compare)")
    args = parser.parse_args()
    levels = [int(c) for c in args.levels.split(",")]
    browsers = max(levels)  # one signed-in browser per virtual client

    # A TERM (or HUP) ends the run like Ctrl-C: every process group stopped, temp dir removed.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))
    options = gunicorn_command.production_options(workers=args.workers, threads=args.threads)
    workdir = Path(tempfile.mkdtemp(prefix="lxl-compare-"))
    logs = {}
    try:
        with contextlib.ExitStack() as stack:
            print(f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
                  f"{machine()}")
            (workdir / "reference").mkdir()
            t0 = time.perf_counter()
            versions = install_reference(workdir / "reference")
            print(f"installed {', '.join(f'{k} {v}' for k, v in versions.items())} "
                  f"in {time.perf_counter() - t0:.1f} s")
            lxl = start_lxl(stack, workdir, browsers, options)
            reference = start_reference(stack, workdir, browsers)
            hellos = start_hellos(stack, workdir, options)
            print(f"LxL ID: gunicorn {shlex.join(options)} wsgi:app (SQLite); "
                  f"node-oidc-provider: one Node process; {browsers} signed-in browsers each")

            # Ceiling first: the load generator against a server that does nothing.
            build = lxl.authorize  # the same requests the servers get, built the same way
            ceilings = {c: ceiling(*hellos["node"], c, args.seconds, build) for c in levels}
            floors = {c: ceiling(*hellos["flask"], c, args.seconds, build) for c in levels}
            print(rate_line("load generator ceiling (Node hello)", ceilings))
            print(rate_line("gunicorn + bare Flask hello (the framework alone)", floors))

            warm = {}  # imports, templates, pools, JIT: checked too, not reported
            for side in (lxl, reference):
                warm[side.name] = {(browsers, endpoint): cell for endpoint, cell
                                   in measure(side, browsers, args.warmup).items()}
            results = {lxl.name: {}, reference.name: {}}
            for c in levels:
                for side in (lxl, reference):
                    results[side.name][c] = measure(side, c, args.seconds)
                    print(f"  measured {side.name} at c={c}", file=sys.stderr)
            logs = server_logs(workdir)
    except BaseException:
        for name, text in server_logs(workdir).items():
            print(f"--- {name} log, last lines:", *text.splitlines()[-15:], sep="\n",
                  file=sys.stderr)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(table(levels, results[lxl.name], results[reference.name], ceilings))
    print(f"\nRatios are LxL ID ÷ node-oidc-provider, shown where both servers stayed at most "
          f"{RATIO_LIMIT:.0%} of the load generator's ceiling at that concurrency. CPU ms/req: "
          f"the server's processes' CPU time per answer (all gunicorn workers; the one Node "
          f"process).")
    failed = problems_report("ceiling", {(c, "hello"): cell for c, cell in ceilings.items()})
    failed += problems_report("flask hello", {(c, "hello"): cell for c, cell in floors.items()})
    for name, cells in warm.items():
        failed += problems_report(f"{name} warm-up", cells)
    for side in (lxl, reference):
        failed += problems_report(side.name, {(c, endpoint): cell
                                              for c, cells in results[side.name].items()
                                              for endpoint, cell in cells.items()})
    if failed:
        print("\nWRONG ANSWERS", *failed, sep="\n")
        for name, text in logs.items():
            errors = [line for line in text.splitlines() if "Error" in line or "error" in line]
            if errors:
                print(f"{name} log, error lines:", *errors[-10:], sep="\n  ")
        return 1
    print("\nEvery answer checked: 0 errors.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
