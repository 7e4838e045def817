"""Production mode on one machine: ``bin/production start | stop | status`` (README, "Production").

``start`` brings up, each part a process of its own that outlives the command, with its pid
file and its log in the state directory (``LXL_PRODUCTION_DIR``, default ``var/production``):

- **PostgreSQL**, unless ``LXL_DATABASE_URL`` names one: a cluster of this stack's own
  (Debian's ``postgresql`` binaries) on a free loopback port, so that it can be stopped and
  restarted without touching the machine's own service on 5432. Trust authentication on
  127.0.0.1 only: it serves loopback origins only (start refuses any other).
- **Redis**, unless ``LXL_REDIS_URL`` names one: a ``redis-server`` of its own on a free
  loopback port, with its append-only file written every second, so that restarting Redis
  loses no session (a crash of the machine itself may lose the last second).
- the **migrations**, and on loopback origins the **demo data** (``seed-demo``, idempotent);
- **two gunicorn instances**, each with README.md's production command
  (deploy/gunicorn_command.py) on a loopback port;
- **HAProxy** on the origin's port (``PORT``, default 5000): round robin over both
  instances; a health check of ``/healthz`` every second; a request whose connection is
  refused is sent to the other instance; an instance being stopped is first put in
  maintenance, so no new request reaches it while it finishes the ones it has. It sets
  ``X-Forwarded-For``, ``-Proto`` and ``-Host``, which the instances trust for one hop
  (``LXL_PROXY_HOPS``, app/proxy.py).

The instances run with ``LXL_ENV=production`` (app/config.py says what it refuses). Their
``LXL_SECRET_KEY`` is the environment's; if it is unset and both origins are loopback
names, one is generated once into ``secret_key`` (mode 0600) in the state directory, which
every instance and every restart reads: that is a one-machine stack, and its sessions
survive restarts. For any other origin it must be given: instances on several machines
must share it, and only the operator can give them the same one.

``start`` first checks what it can without starting anything (origins, secret key, free
ports), and if a part then fails it stops again what it had started. It records which
services it runs itself (``services.json``): ``stop`` stops what ``start`` started, the
proxy first, and ``status`` says what runs, whatever their own environment. All three may
be repeated. The state directory is its owner's only (Redis's append-only file holds
session ids). The fault tests drive the same parts through ``Stack``.
"""

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from app.config import MAKE_SECRET, PRODUCTION, secret_in_file
from app.loopback import is_loopback_origin
from deploy.gunicorn_command import APP, ROOT, production_options, requests_at_once

BIN = Path(sys.executable).parent  # the venv's gunicorn and flask
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_STATE_DIR = ROOT / "var" / "production"
PORTS_FILE = "ports.json"
# Which of PostgreSQL and Redis the last start ran itself (the others were given as URLs).
SERVICES_FILE = "services.json"
INSTANCES = 2
# How long a part may take to answer after it was started, and to exit after it was told
# to stop; gunicorn's graceful stop waits up to 30 s for requests in progress.
START_SECONDS = 60
STOP_SECONDS = 40
PORTS_FIX = (f"stop what listens there, or delete {PORTS_FILE} in the state directory while "
             "production mode is stopped, so that start picks free ports.")
# A Unix socket's path must fit in sockaddr_un (108 bytes with the final NUL).
UNIX_PATH_MAX = 107


class StackError(RuntimeError):
    """A part of the stack cannot start: the message says what to set or fix."""


def free_port():
    """Return a TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _running(pid):
    """True if process ``pid`` exists and has not exited (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _running_as(pid, program, *marks):
    """True if ``pid`` runs and is ``program`` with each of ``marks`` on its command line.

    A pid file outlives its process, and the kernel gives its number to another one: only a
    process whose command line names this part (its program, and its configuration, data
    directory or port) is this part, and only that one is ever signalled.
    """
    if pid is None or not _running(pid):
        return False
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace").split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The program is the first word, or the second when an interpreter runs it (gunicorn).
    if program not in {Path(word).name for word in words[:2]}:
        return False
    command_line = f" {' '.join(words)} "
    return all(f" {mark} " in command_line for mark in marks)


def _port_in_use(port):
    """True if something listens on loopback ``port`` (or on every address, which includes it)."""
    with socket.socket() as probe:
        # As the servers themselves bind: a connection closing on that port does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


def _check_port_free(port, what, fix):
    if _port_in_use(port):
        raise StackError(f"port {port} is in use ({what}): {fix}")


def _listens(pid, port):
    """True if process ``pid`` holds a socket listening on TCP ``port``: the answer is its own."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                # local_address is HEX_ADDRESS:HEX_PORT; state 0A is LISTEN; field 9 the inode.
                if fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                    listening.add(f"socket:[{fields[9]}]")
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False
    for descriptor in descriptors:
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            if os.readlink(descriptor) in listening:
                return True
    return False


def _read_pid(path):
    try:
        return int(Path(path).read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise StackError(f"{what} did not happen within {seconds} seconds.")
        time.sleep(0.1)


def _terminate(pid, name, signum=signal.SIGTERM):
    """Send ``signum`` to ``pid`` and wait until it exits; kill it after ``STOP_SECONDS``."""
    try:
        os.kill(pid, signum)
        _wait_until(lambda: not _running(pid), STOP_SECONDS, f"{name} (pid {pid}) exiting")
    except ProcessLookupError:
        pass
    except StackError:
        # Each part leads its own process group (a gunicorn master and its workers).
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        _wait_until(lambda: not _running(pid), 5, f"{name} (pid {pid}) being killed")


def _log_tail(path, lines=20):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _spawn(command, log, env=None):
    """Start ``command`` in a session of its own (it outlives this process), output to ``log``."""
    with open(log, "ab") as output:
        return subprocess.Popen([str(part) for part in command], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _check_output(command, what, **kwargs):
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                          **kwargs)
    if done.returncode:
        raise StackError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def _debian_binary(name, package, *candidates):
    """Return the path of Debian package ``package``'s ``name``, or say how to install it."""
    for candidate in (shutil.which(name), *candidates):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise StackError(f"{name} is missing: install Debian's {package} (bin/production does).")


class Postgres:
    """The stack's own PostgreSQL cluster: ``directory``, loopback ``port``, database ``lxl``.

    ``durable=False`` is for throw-away data (the benchmarks): nothing waits for the disk
    (``fsync=off``, ``synchronous_commit=off``), so a crash of the machine may corrupt it.
    """

    def __init__(self, directory, port, durable=True):
        self.directory, self.port, self.durable = Path(directory), port, durable
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.url = f"postgresql+psycopg://lxl@{LOOPBACK}:{port}/lxl"

    @property
    def running(self):
        # pg_ctl start runs ``postgres -D DATA …``; pg_ctl status would only check that the
        # pid in postmaster.pid exists.
        return _running_as(_read_pid(self.data / "postmaster.pid"), "postgres",
                           f"-D {self.data}")

    def start(self):
        """Create the cluster and its database the first time; start it; wait until it answers."""
        if self.running:
            return
        self.check_port()
        if not (self.data / "PG_VERSION").exists():
            self._initialize()
        # No Unix socket (its path could be too long in a deep state directory): TCP only.
        options = (f"-p {self.port} -c listen_addresses={LOOPBACK} "
                   "-c unix_socket_directories= -c max_connections=300")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off"
        _check_output([*self._as_postgres(), postgres_binary("pg_ctl"), "-D", self.data,
                       "-l", self.log, "-o", options, "-w", "-t", START_SECONDS, "start"],
                      "Starting PostgreSQL")
        created = self.directory / "database-created"
        if not created.exists():
            _check_output([*self._as_postgres(), postgres_binary("createdb"), "-h", LOOPBACK,
                           "-p", self.port, "-U", "lxl", "lxl"], "Creating the database lxl")
            created.touch()

    def stop(self):
        """Stop the cluster ("fast": open transactions are rolled back); nothing if stopped."""
        if self.running:
            _check_output([*self._as_postgres(), postgres_binary("pg_ctl"), "-D", self.data,
                           "-m", "fast", "-w", "-t", STOP_SECONDS, "stop"], "Stopping PostgreSQL")

    def check_port(self):
        """Raise unless this cluster runs, or its port is free for it."""
        if not self.running:
            _check_port_free(self.port, "PostgreSQL's port in ports.json", PORTS_FIX)

    def restart(self):
        """Stop the cluster, then start it again."""
        self.stop()
        self.start()

    def _initialize(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            _reachable_by_postgres(self.directory)
            shutil.chown(self.directory, "postgres")
            self.directory.chmod(0o700)
        _check_output([*self._as_postgres(), postgres_binary("initdb"), "-D", self.data,
                       "-U", "lxl", "-A", "trust", "-E", "UTF8",
                       *([] if self.durable else ["--no-sync"])],
                      "Creating the PostgreSQL cluster")

    @staticmethod
    def _as_postgres():
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []



def postgres_binary(name):
    """Return the path of PostgreSQL's ``name`` (initdb, pg_ctl…): Debian's newest version."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    if not versions or not (versions[-1] / name).exists():
        raise StackError(f"PostgreSQL's {name} is missing from /usr/lib/postgresql/*/bin: install "
                         "Debian's postgresql (bin/production does), or set LXL_DATABASE_URL "
                         "to a PostgreSQL database.")
    return versions[-1] / name


def _reachable_by_postgres(directory):
    """Raise unless the ``postgres`` user may pass through every parent of ``directory``."""
    if (parent := _closed_to_postgres(directory)) is not None:
        raise StackError(
            f"PostgreSQL runs as the postgres user, which may not enter {parent} (mode "
            f"{parent.stat().st_mode & 0o777:o}): choose a state directory (LXL_PRODUCTION_DIR) "
            f"whose parents it can pass through, or `chmod o+x {parent}`.")


def _closed_to_postgres(directory):
    """Return the first parent of ``directory`` the postgres user may not pass, or None.

    Parents that do not exist yet are the stack's to make, passable (``_protect_state_dir``).
    """
    for parent in reversed(Path(directory).resolve().parents):
        if parent.exists() and not parent.stat().st_mode & 0o001 \
                and parent.owner() != "postgres":
            return parent
    return None


def cluster_directory(state_dir):
    """Where the stack's own PostgreSQL keeps its cluster: ``<state_dir>/postgres``.

    Run as root, PostgreSQL runs as the postgres user, which must pass through every parent
    directory. A clone in root's home (/root, mode 0700: a fresh machine's usual place) is
    closed to it, so the cluster then lives in the postgres user's home instead, under a
    name of this state directory's (``/var/lib/postgresql/lxl-id-<hash>`` on Debian): the
    same one at every start, kept by ``stop`` like the rest of the data.
    """
    own = Path(state_dir) / "postgres"
    # The state directory itself does not count: start opens it to the postgres user (0711),
    # so the answer is the same before and after a start.
    if os.geteuid() != 0 or _closed_to_postgres(state_dir) is None:
        return own
    try:
        home = pwd.getpwnam("postgres").pw_dir
    except KeyError:  # PostgreSQL is not installed yet (bin/production installs it first)
        return own
    name = hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:16]
    return Path(home) / f"lxl-id-{name}"


class Redis:
    """The stack's own redis-server: ``directory``, loopback ``port``, append-only file."""

    def __init__(self, directory, port):
        self.directory, self.port = Path(directory), port
        self.config = self.directory / "redis.conf"
        self.pidfile = self.directory / "redis.pid"
        self.log = self.directory / "redis.log"
        self.url = f"redis://{LOOPBACK}:{port}/0"

    @property
    def running(self):
        return self.pid is not None

    @property
    def pid(self):
        pid = _read_pid(self.pidfile)
        # redis-server names itself "redis-server ADDRESS:PORT" once started.
        return pid if _running_as(pid, "redis-server", f"{LOOPBACK}:{self.port}") else None

    def start(self):
        """Start redis-server on its data (it reads back its append-only file); wait for PING."""
        if self.running:
            return
        self.check_port()
        # Its append-only file holds the session ids: for this user only.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        self.config.write_text("\n".join([
            f"bind {LOOPBACK}", f"port {self.port}", "protected-mode yes",
            "daemonize yes", f'pidfile "{self.pidfile}"', f'logfile "{self.log}"',
            f'dir "{self.directory}"',
            # Every write in the append-only file, on disk within a second; no snapshots.
            "appendonly yes", "appendfsync everysec", 'save ""', ""]))
        _check_output([_debian_binary("redis-server", "redis-server", "/usr/bin/redis-server"),
                       self.config], "Starting redis-server")
        _wait_until(self._answers, START_SECONDS, f"redis-server answering on port {self.port}")

    def stop(self):
        """Stop redis-server; it writes its append-only file to disk first."""
        pid = self.pid
        if pid is not None:
            _terminate(pid, "redis-server")

    def check_port(self):
        """Raise unless redis-server runs, or its port is free for it."""
        if not self.running:
            _check_port_free(self.port, "Redis's port in ports.json", PORTS_FIX)

    def restart(self):
        """Stop redis-server, then start it again."""
        self.stop()
        self.start()

    def _answers(self):
        import redis

        try:
            return (redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=1).ping()
                    and _listens(self.pid, self.port))
        except redis.RedisError:
            return False


class Instance:
    """One gunicorn instance of the app, number ``number``, on a loopback port."""

    def __init__(self, stack, number, port):
        self.stack, self.number, self.port = stack, number, port
        self.name = f"instance{number}"
        self.pidfile = stack.state_dir / f"{self.name}.pid"
        self.log = stack.state_dir / f"{self.name}.log"
        self._process = None

    @property
    def env(self):
        """The environment this instance runs with: the stack's (every instance alike)."""
        return self.stack.env

    @property
    def pid(self):
        # gunicorn keeps its command line (setproctitle, which would rename it, is not
        # installed): the master is the one that writes this pid file.
        pid = _read_pid(self.pidfile)
        return pid if _running_as(pid, "gunicorn", f"--pid {self.pidfile}") else None

    @property
    def running(self):
        return self.pid is not None

    def start(self):
        """Start this instance and wait until it answers; put it back behind the proxy."""
        self.spawn()
        self.wait_ready()

    def spawn(self):
        """Start gunicorn with README.md's production options, unless it runs already."""
        if self.running:
            return
        self.check_port()
        try:
            options = production_options()
        except ValueError as error:
            raise StackError(str(error)) from error
        self.pidfile.unlink(missing_ok=True)
        self._process = _spawn(
            [BIN / "gunicorn", *options, "--bind", f"{LOOPBACK}:{self.port}",
             "--pid", self.pidfile,
             # Not one shared ~/.gunicorn/gunicorn.ctl for both instances: nothing uses it.
             "--no-control-socket", APP], self.log, self.env)

    def wait_ready(self):
        """Wait until this instance answers ``/healthz``; then let the proxy send it requests."""
        _wait_until(self._answers, START_SECONDS, f"{self.name} answering on port {self.port}")
        if self.stack.proxy.running:
            self.stack.proxy.set_server_state(self, "ready")

    def stop(self):
        """Take this instance out of the proxy, then stop it once its requests are answered."""
        pid = self.pid
        if pid is None:
            return
        if self.stack.proxy.running:
            self.stack.proxy.set_server_state(self, "maint")
        _terminate(pid, f"gunicorn {self.name}")  # SIGTERM: gunicorn's graceful stop
        if self._process is not None:
            self._process.wait()  # this process started it: collect its exit status
            self._process = None

    def check_port(self):
        """Raise unless this instance runs, or its port is free for it."""
        if not self.running:
            _check_port_free(self.port, f"{self.name}'s port in ports.json", PORTS_FIX)

    def restart(self):
        """Stop this instance, then start it again (the other one serves meanwhile)."""
        self.stop()
        self.start()

    def _answers(self):
        if self._process is not None and self._process.poll() is not None:
            raise StackError(f"{self.name} exited ({self._process.returncode}); the end of "
                             f"{self.log}:\n{_log_tail(self.log)}")
        # Something else on the port would answer too: the listening socket must be gunicorn's.
        return _http_answers(self.port, self.stack.idp_host) and _listens(self.pid, self.port)


def _http_answers(port, host):
    """True if an HTTP server on loopback ``port`` answers ``GET /healthz`` at all."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


class Proxy:
    """HAProxy in front of the instances, on the stack's port (the module docstring says how)."""

    def __init__(self, stack):
        self.stack = stack
        self.config = stack.state_dir / "haproxy.cfg"
        self.pidfile = stack.state_dir / "proxy.pid"
        self.log = stack.state_dir / "proxy.log"
        self.admin_socket = stack.state_dir / "proxy.sock"
        self._process = None

    @property
    def pid(self):
        pid = _read_pid(self.pidfile)
        return pid if _running_as(pid, "haproxy", f"-f {self.config}") else None

    @property
    def running(self):
        return self.pid is not None

    def start(self):
        """Write the configuration, check it, start HAProxy and wait until it answers."""
        if self.running:
            return
        self.check_port()
        if len(str(self.admin_socket)) > UNIX_PATH_MAX:
            raise StackError(f"The state directory's path is too long for HAProxy's admin socket "
                             f"{self.admin_socket}: choose a shorter LXL_PRODUCTION_DIR.")
        haproxy = _debian_binary("haproxy", "haproxy", "/usr/sbin/haproxy")
        self.config.write_text(self._configuration())
        _check_output([haproxy, "-c", "-q", "-f", self.config], "Checking haproxy.cfg")
        process = self._process = _spawn([haproxy, "-f", self.config], self.log)
        self.pidfile.write_text(f"{process.pid}\n")

        def answers():
            if process.poll() is not None:
                raise StackError(f"HAProxy exited ({process.returncode}); the end of "
                                 f"{self.log}:\n{_log_tail(self.log)}")
            return (_http_answers(self.stack.proxy_port, self.stack.idp_host)
                    and _listens(process.pid, self.stack.proxy_port))
        _wait_until(answers, START_SECONDS, f"HAProxy answering on port {self.stack.proxy_port}")

    def check_port(self):
        """Raise unless HAProxy runs, or the origins' port is free for it."""
        if not self.running:
            _check_port_free(self.stack.proxy_port, "bin/run?",
                             "stop it or set PORT=… to another port.")

    def stop(self):
        """Stop HAProxy: it stops listening and finishes the requests in progress (10 s at most)."""
        pid = self.pid
        if pid is not None:
            _terminate(pid, "HAProxy", signal.SIGUSR1)  # soft stop; see hard-stop-after
        if self._process is not None:
            self._process.wait()  # this process started it: collect its exit status
            self._process = None

    def set_server_state(self, instance, state):
        """Set ``instance``'s state in HAProxy: ``ready``, ``drain`` or ``maint``."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.settimeout(5)
            admin.connect(str(self.admin_socket))
            admin.sendall(f"set server instances/{instance.name} state {state}\n".encode())
            reply = admin.makefile().read().strip()
        if reply:
            raise StackError(f"HAProxy refused to set {instance.name} {state}: {reply}")

    def _configuration(self):
        stack = self.stack
        scheme = urlsplit(stack.idp_origin).scheme
        # No more requests at once than an instance has processes (times threads): the rest
        # wait in HAProxy's queue (timeout queue), not in the instance's backlog, where a
        # burst of a thousand also held up the health checks until HAProxy took both
        # instances for dead.
        at_once = requests_at_once(production_options())
        servers = "\n".join(f"    server {instance.name} {LOOPBACK}:{instance.port} maxconn {at_once}"
                            for instance in stack.instances)
        return f"""\
# Written by deploy/local.py at each start; edits are lost.
global
    log stdout format raw local0 info
    stats socket {self.admin_socket} mode 600 level admin
    # A soft stop (bin/production stop) lets requests in progress finish, for this long.
    hard-stop-after 10s

defaults
    mode http
    log global
    option httplog
    # Only what went wrong is logged (app logs are the instances' own).
    option dontlog-normal
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout queue 30s
    # A request is sent again only when its connection failed before it was sent (the
    # instance is restarting), and then to the other instance: a request an instance may
    # have acted on is never sent twice (a code or a refresh token must not be replayed).
    retry-on conn-failure
    retries 3
    option redispatch 1
    # A new connection to an instance per request: an idle kept-alive connection that
    # gunicorn closes just as a request is sent on it would fail that request.
    option http-server-close
    # The whole request, body included, before an instance is given it: each gunicorn
    # process answers one request at a time, and must not wait for a slow upload.
    option http-buffer-request

frontend origin
    bind {LOOPBACK}:{stack.proxy_port}
    # The visitor's address, appended; the instances trust one hop (LXL_PROXY_HOPS).
    option forwardfor
    # The scheme of the origins this proxy serves: for https origins a TLS terminator in
    # front sends only https here.
    http-request set-header X-Forwarded-Proto {scheme}
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    # Every request gets the proxy's own id, which the instances log (and answer with): one
    # id for the proxy's line and the app's. A visitor's own X-Request-Id goes.
    unique-id-format %[uuid()]
    http-request del-header X-Request-Id
    http-request set-header X-Request-Id %[unique-id]
    default_backend instances

backend instances
    balance roundrobin
    # An instance is up while it answers /healthz at all: a 503 there names a database or
    # Redis that every instance shares, and the instance's own 503 page says so better
    # than the proxy's "no server is available".
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {stack.idp_host}
    http-check expect rstatus ^(200|503)$
    # An instance is taken out after three missed checks of 5 s each, not one slow answer.
    timeout check 5s
    default-server check inter 1s fall 3 rise 1
{servers}
"""


class Stack:
    """Production mode on this machine: the parts of the module docstring, in ``state_dir``.

    ``port`` is the origins' port; None reuses the one this state directory last used, or
    else picks a free one. The environment (``os.environ``) is read once, here. Making a
    ``Stack`` writes nothing (``status`` and ``stop`` only read): ``start`` creates the state
    directory, the ports file and the secret key.
    """

    def __init__(self, state_dir, port=None):
        self.state_dir = Path(state_dir).resolve()
        environ = os.environ
        self._given_secret_key = environ.get("LXL_SECRET_KEY")
        self._secret = None
        self._port_numbers = ports = self._ports(port)
        self.proxy_port = ports["proxy"]
        self.idp_origin = environ.get("LXL_IDP_ORIGIN", f"http://id.localhost:{self.proxy_port}")
        self.ngo_origin = environ.get("LXL_NGO_ORIGIN", f"http://ngo.localhost:{self.proxy_port}")
        self.idp_host = urlsplit(self.idp_origin).netloc
        self.loopback = is_loopback_origin(self.idp_origin) and is_loopback_origin(self.ngo_origin)
        # This state directory's own services, whether or not this environment runs them:
        # stop and status act on those the last start launched (SERVICES_FILE).
        self._own_services = {"postgres": Postgres(cluster_directory(self.state_dir),
                                                   ports["postgres"]),
                              "redis": Redis(self.state_dir / "redis", ports["redis"])}
        self.postgres = None if environ.get("LXL_DATABASE_URL") else self._own_services["postgres"]
        self.redis = None if environ.get("LXL_REDIS_URL") else self._own_services["redis"]
        self.database_url = environ.get("LXL_DATABASE_URL") or self.postgres.url
        self.redis_url = environ.get("LXL_REDIS_URL") or self.redis.url
        self._environ = {
            **environ, "LXL_ENV": PRODUCTION, "PORT": str(self.proxy_port),
            "LXL_IDP_ORIGIN": self.idp_origin, "LXL_NGO_ORIGIN": self.ngo_origin,
            "LXL_DATABASE_URL": self.database_url, "LXL_REDIS_URL": self.redis_url,
        }
        self.instances = [Instance(self, number, ports[f"instance{number}"])
                          for number in range(1, INSTANCES + 1)]
        self.proxy = Proxy(self)

    @property
    def env(self):
        """The environment the instances and ``flask`` run with (its secret key made once)."""
        return {**self._environ, "LXL_SECRET_KEY": self._secret_key()}

    @property
    def services(self):
        """The database and Redis this stack runs itself (none that were given to it)."""
        return [service for service in (self.postgres, self.redis) if service is not None]

    @property
    def running(self):
        """True when every part the last start launched runs."""
        return all(part.running for part in (*self._launched_services(), *self.instances,
                                             self.proxy))

    def start(self):
        """Start every part that is not running, in order; return the seconds it took."""
        started = time.monotonic()
        self._refuse_own_services_off_loopback()
        for part in (self.proxy, *self.instances, *self.services):  # before starting any
            part.check_port()
        self._protect_state_dir()
        self._secret_key()
        self._save_ports()
        self._record_services()
        # What this call starts, each part listed before it is started (a part may fail
        # half-way, a cluster that started but could not create its database): if any
        # step fails, these are stopped again, so that no process is left behind unseen.
        launched = []

        def launch(part, start):
            if not part.running:
                launched.append(part)
                start()
        try:
            for service in self.services:
                launch(service, service.start)
            self.flask("lxl", "init-db", check=True)
            if self.loopback:
                self.flask("lxl", "seed-demo", check=True)
            for instance in self.instances:  # both boot at once
                launch(instance, instance.spawn)
            for instance in self.instances:
                instance.wait_ready()
            launch(self.proxy, self.proxy.start)
        except BaseException as error:  # Ctrl-C too
            for part in reversed(launched):  # the proxy first, PostgreSQL last
                part.stop()
            if launched and isinstance(error, StackError):
                names = ", ".join(_name(part) for part in launched)
                raise StackError(f"{error}\n\nStopped what this start had started: {names}.") \
                    from error
            raise
        return time.monotonic() - started

    def stop(self):
        """Stop every part that runs: the proxy, the instances, then Redis and PostgreSQL."""
        self.proxy.stop()
        with ThreadPoolExecutor(len(self.instances)) as stopping:  # each waits for its requests
            list(stopping.map(Instance.stop, self.instances))
        for service in reversed(self._launched_services()):
            service.stop()

    def flask(self, *args, instance=1, check=False):
        """Run ``flask --app wsgi ARGS`` as instance number ``instance`` runs it."""
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                              env=self.instances[instance - 1].env, capture_output=True,
                              text=True)
        if check and done.returncode:
            output = f"{done.stdout}{done.stderr}".strip()
            # The last line says why (the app's refusal to start, say); the rest is context.
            raise StackError(f"flask --app wsgi {' '.join(args)} failed ({done.returncode}): "
                             f"{output.splitlines()[-1] if output else ''}\n\n{output}")
        return done

    def status(self):
        """Return one line per part: what it is, whether it runs, where, and its log."""
        rows = [("proxy (HAProxy)", self.proxy, self.proxy_port, self.proxy.log)]
        rows += [(f"{i.name} (gunicorn)", i, i.port, i.log) for i in self.instances]
        launched = self._launched_services()
        rows += [(name, service, service.port, service.log) if service in launched
                 else (name, None, None, None)
                 for name, service in (("PostgreSQL", self._own_services["postgres"]),
                                       ("Redis", self._own_services["redis"]))]
        return "\n".join(
            f"  {name:<21}{_state(part)} {LOOPBACK}:{port}  log {log}" if part else
            f"  {name:<21}given by LXL_{'DATABASE' if name == 'PostgreSQL' else 'REDIS'}_URL"
            for name, part, port, log in rows)

    def _refuse_own_services_off_loopback(self):
        """Raise if origins other than loopback names would be served from this stack's own
        PostgreSQL (trust authentication) or Redis (no password): those are for one machine."""
        missing = [f"LXL_{'DATABASE' if service is self.postgres else 'REDIS'}_URL"
                   for service in self.services]
        if missing and not self.loopback:
            raise StackError(
                f"Set {' and '.join(missing)}: the origins {self.idp_origin} and "
                f"{self.ngo_origin} are not loopback names, and the PostgreSQL (trust "
                "authentication) and Redis (no password) that bin/production starts itself "
                "serve loopback origins only, on one machine.")

    def _protect_state_dir(self):
        """Make the state directory its owner's only: Redis's append-only file holds sessions."""
        # Run as root, PostgreSQL runs as the postgres user, which must pass through (not
        # list) the state directory to reach its own directory, postgres/ (mode 0700).
        mode = 0o711 if os.geteuid() == 0 and self.postgres is not None else 0o700
        self.state_dir.mkdir(mode=mode, parents=True, exist_ok=True)
        self.state_dir.chmod(mode)  # one made by an earlier version, or by hand

    def _record_services(self):
        """Write which services start runs itself; refuse to leave another start's running."""
        path = self.state_dir / SERVICES_FILE
        for name, service in self._own_services.items():
            if service not in self.services and service in self._launched_services() \
                    and service.running:
                raise StackError(
                    f"This state directory's own {_name(service)} runs (an earlier start "
                    f"launched it), but LXL_{'DATABASE' if name == 'postgres' else 'REDIS'}_URL "
                    "now names another: run bin/production stop first.")
        own = [name for name, service in self._own_services.items() if service in self.services]
        path.write_text(json.dumps({"own": own}) + "\n")

    def _launched_services(self):
        """The services the last start ran itself (its record), else this environment's."""
        path = self.state_dir / SERVICES_FILE
        if not path.exists():
            return self.services
        return [self._own_services[name] for name in json.loads(path.read_text())["own"]]

    def _ports(self, port):
        """The ports of every part: those this state directory used before, else free ones."""
        path = self.state_dir / PORTS_FILE
        saved = json.loads(path.read_text()) if path.exists() else {}
        names = ["proxy", "postgres", "redis", *(f"instance{n}" for n in range(1, INSTANCES + 1))]
        ports = {name: saved.get(name) or free_port() for name in names}
        if port is not None:
            ports["proxy"] = port
        return ports

    def _save_ports(self):
        """Keep each part's port for the next ``Stack`` of this state directory."""
        (self.state_dir / PORTS_FILE).write_text(json.dumps(self._port_numbers, indent=2) + "\n")

    def _secret_key(self):
        """Return ``LXL_SECRET_KEY``, or on loopback origins this state directory's own."""
        if self._given_secret_key:
            return self._given_secret_key
        if self._secret:
            return self._secret
        if not self.loopback:
            raise StackError(
                f"Set LXL_SECRET_KEY: the origins {self.idp_origin} and {self.ngo_origin} are "
                "not loopback names, so instances on other machines must sign sessions with "
                f"the same key as these. Make one with {MAKE_SECRET} and keep it secret.")
        self._protect_state_dir()
        self._secret = secret_in_file(self.state_dir / "secret_key")
        return self._secret


def _name(part):
    return {Postgres: "PostgreSQL", Redis: "Redis", Proxy: "HAProxy"}.get(type(part)) or part.name


def _state(part):
    return "running" if part.running else "stopped"


def main(argv=None):
    """``python -m deploy.local start | stop | status`` (bin/production)."""
    parser = argparse.ArgumentParser(prog="bin/production", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("start", "stop", "status"))
    command = parser.parse_args(argv).command
    state_dir = Path(os.environ.get("LXL_PRODUCTION_DIR") or DEFAULT_STATE_DIR)
    port = os.environ.get("PORT")
    if port is None and not (state_dir / PORTS_FILE).exists():
        port = DEFAULT_PORT
    # Whatever the stack writes (logs, pid files, Redis's data) is for this user only.
    os.umask(0o077)
    try:
        stack = Stack(state_dir, int(port) if port is not None else None)
        if command == "start":
            if stack.running:
                print(f"Production mode runs already ({state_dir}):\n{stack.status()}")
                return 0
            seconds = stack.start()
            print(f"\nProduction mode started in {seconds:.1f} s ({state_dir}):\n"
                  f"  LxL ID (the IdP):   {stack.idp_origin}\n"
                  f"  Sample NGO site:    {stack.ngo_origin}\n{stack.status()}\n"
                  f"Stop it with bin/production stop.")
        elif command == "stop":
            stack.stop()
            print(f"Production mode stopped ({state_dir}).")
        else:
            print(f"Production mode ({state_dir}):\n{stack.status()}")
            return 0 if stack.running else 3  # as `systemctl status` says "not running"
    except StackError as error:
        print(f"bin/production {command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
