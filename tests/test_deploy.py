"""bin/production's pieces that need no running service: the gunicorn command, the secret."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.config import secret_in_file
from deploy import gunicorn_command, local


def test_the_production_options_are_the_readmes_command():
    assert gunicorn_command.production_options() == [
        "--workers", "4", "--worker-class", "sync"]


def test_a_benchmark_may_try_other_sizes_of_the_same_command():
    assert gunicorn_command.production_options(workers=2, threads=8) == [
        "--workers", "2", "--worker-class", "sync", "--threads", "8"]


def test_a_readme_without_the_command_is_refused_with_what_to_write(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# LxL ID\n\n## Production\n\nRun it somehow.\n\n## Next\n\n"
                      "gunicorn --workers 2 wsgi:app\n")
    with pytest.raises(ValueError, match="Production section shows no `gunicorn"):
        gunicorn_command.production_options(readme)


@pytest.mark.parametrize("bind", [["-b", "127.0.0.1:8000"], ["--bind", "127.0.0.1:8000"],
                                  ["--bind=127.0.0.1:8000"]])
def test_every_spelling_of_the_readmes_bind_is_left_to_the_caller(tmp_path, bind):
    readme = tmp_path / "README.md"
    readme.write_text("# LxL ID\n\n## Production\n\n```sh\ngunicorn --workers 2 "
                      f"{' '.join(bind)} \\\n  --threads 8 wsgi:app\n```\n")
    assert gunicorn_command.production_options(readme) == ["--workers", "2", "--threads", "8"]


def test_a_readme_command_serving_another_app_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("## Production\n\ngunicorn --workers 2 other:app\n")
    with pytest.raises(ValueError, match="must end with wsgi:app"):
        gunicorn_command.production_options(readme)


@pytest.fixture
def environ(monkeypatch):
    for name in ("LXL_SECRET_KEY", "LXL_IDP_ORIGIN", "LXL_NGO_ORIGIN", "LXL_DATABASE_URL",
                 "LXL_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_loopback_stack_makes_its_secret_once_readable_by_its_owner_only(environ, tmp_path):
    first = local.Stack(tmp_path, port=5999)
    key = first.env["LXL_SECRET_KEY"]  # made when first needed
    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert key == secret_file.read_text() != ""
    assert local.Stack(tmp_path).env["LXL_SECRET_KEY"] == first.env["LXL_SECRET_KEY"]


def test_a_stack_on_public_origins_needs_the_secret_given(environ, tmp_path):
    environ.setenv("LXL_IDP_ORIGIN", "https://id.example.test")
    environ.setenv("LXL_NGO_ORIGIN", "https://ngo.example.test")
    with pytest.raises(local.StackError, match="Set LXL_SECRET_KEY"):
        local.Stack(tmp_path).env
    assert not (tmp_path / "secret_key").exists()
    environ.setenv("LXL_SECRET_KEY", "given-" * 8)
    assert local.Stack(tmp_path).env["LXL_SECRET_KEY"] == "given-" * 8


def test_each_part_keeps_its_port_across_stacks_of_one_state_directory(environ, tmp_path,
                                                                        monkeypatch):
    first = local.Stack(tmp_path, port=5999)
    instance_ports = [i.port for i in first.instances]
    _start_with_processes_faked(first, monkeypatch)
    again = local.Stack(tmp_path)
    assert again.proxy_port == 5999 and again.idp_origin == "http://id.localhost:5999"
    assert [i.port for i in again.instances] == instance_ports
    assert again.postgres.port == first.postgres.port and again.redis.port == first.redis.port


def test_given_services_are_used_not_started(environ, tmp_path):
    database, cache = ("postgresql+psycopg://lxl@db.example.test/lxl",
                       "redis://cache.example.test:6379/3")
    environ.setenv("LXL_DATABASE_URL", database)
    environ.setenv("LXL_REDIS_URL", cache)
    stack = local.Stack(tmp_path)
    assert stack.postgres is None and stack.redis is None and stack.services == []
    assert stack.instances[1].env["LXL_DATABASE_URL"] == stack.database_url == database
    assert stack.env["LXL_REDIS_URL"] == stack.redis_url == cache
    assert stack.env["LXL_ENV"] == "production"


@pytest.fixture
def stranger():
    """An unrelated process (``sleep``), whose pid a stale pid file may come to hold."""
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


def test_a_pid_file_naming_another_process_is_not_the_part_and_is_never_signalled(
        environ, tmp_path, stranger, monkeypatch):
    # The cluster in the state directory, whoever runs the test (cluster_directory's test).
    monkeypatch.setattr(local, "cluster_directory", lambda state_dir: state_dir / "postgres")
    stack = local.Stack(tmp_path, port=5999)
    (tmp_path / "postgres" / "data").mkdir(parents=True)
    (tmp_path / "redis").mkdir()
    for pidfile in (stack.postgres.data / "postmaster.pid", stack.redis.pidfile,
                    stack.proxy.pidfile, *(instance.pidfile for instance in stack.instances)):
        pidfile.write_text(f"{stranger}\n")
    assert not any(part.running for part in (*stack.services, *stack.instances, stack.proxy))
    stack.stop()
    assert local._running(stranger)


def test_a_process_whose_command_line_names_the_part_is_the_part(environ, tmp_path):
    stack = local.Stack(tmp_path, port=5999)
    # An interpreter named haproxy with the proxy's configuration on its command line.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "haproxy").symlink_to(sys.executable)
    process = subprocess.Popen([tmp_path / "bin" / "haproxy", "-c", "import time; time.sleep(60)",
                                "-f", stack.proxy.config])
    try:
        stack.proxy.pidfile.write_text(f"{process.pid}\n")
        local._wait_until(lambda: stack.proxy.running, 5, "the process showing its arguments")
        stack.proxy.config = tmp_path / "another.cfg"
        assert not stack.proxy.running
    finally:
        process.kill()
        process.wait()


def test_start_refuses_a_port_in_use_before_starting_anything(environ, tmp_path):
    with socket.socket() as taken:  # bin/run, say, on the origins' port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = local.Stack(tmp_path, port=port)
        with pytest.raises(local.StackError, match=rf"port {port} is in use \(bin/run\?\): "
                                                   "stop it or set PORT="):
            stack.start()
    assert not (tmp_path / "postgres").exists() and not (tmp_path / "redis").exists()


def test_an_answer_on_a_port_is_the_parts_only_if_it_holds_the_listening_socket(tmp_path):
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert local._listens(os.getpid(), port)
        process = subprocess.Popen(["sleep", "60"])
        try:
            assert not local._listens(process.pid, port)
        finally:
            process.kill()
            process.wait()


class _Part:
    """A part of the stack that records what is done to it; ``fails`` makes its start fail."""

    def __init__(self, name, events, fails=False):
        self.name, self.events, self.fails, self.running = name, events, fails, False

    def check_port(self):
        pass

    def start(self):
        self.events.append(f"start {self.name}")
        self.running = True
        if self.fails:
            raise local.StackError(f"{self.name} did not answer")

    spawn = start

    def wait_ready(self):
        pass

    def stop(self):
        if self.running:
            self.events.append(f"stop {self.name}")
            self.running = False


def _start_with_processes_faked(stack, monkeypatch):
    """Run ``stack.start()`` with every process it would start faked; return what it did."""
    events = []
    stack.instances = [_Part("instance1", events), _Part("instance2", events)]
    stack.proxy = _Part("proxy", events)
    monkeypatch.setattr(local.Postgres, "start", lambda self: events.append("start PostgreSQL"))
    monkeypatch.setattr(local.Redis, "start", lambda self: events.append("start Redis"))
    monkeypatch.setattr(stack, "flask", lambda *args, **kwargs: None)
    stack.start()
    return events


def test_a_failed_start_stops_what_it_started_and_says_so(environ, tmp_path, monkeypatch):
    events = []
    stack = local.Stack(tmp_path, port=5999)
    stack.redis = _Part("Redis", events)
    stack.redis.running = True  # running before: not this start's to stop
    stack.postgres = _Part("PostgreSQL", events)
    stack.instances = [_Part("instance1", events), _Part("instance2", events)]
    stack.proxy = _Part("proxy", events, fails=True)
    monkeypatch.setattr(stack, "flask", lambda *args, **kwargs: None)
    with pytest.raises(local.StackError, match="(?s)proxy did not answer.*Stopped what this "
                                               "start had started: PostgreSQL, instance1, "
                                               "instance2, proxy"):
        stack.start()
    assert events == ["start PostgreSQL", "start instance1", "start instance2", "start proxy",
                      "stop proxy", "stop instance2", "stop instance1", "stop PostgreSQL"]
    assert stack.redis.running


def test_stop_and_status_act_on_the_services_start_launched_not_on_todays_environment(
        environ, tmp_path, monkeypatch):
    stack = local.Stack(tmp_path, port=5999)
    events = _start_with_processes_faked(stack, monkeypatch)
    assert events[:2] == ["start PostgreSQL", "start Redis"]

    environ.setenv("LXL_DATABASE_URL", "postgresql+psycopg://lxl@db.example.test/lxl")
    environ.setenv("LXL_REDIS_URL", "redis://cache.example.test:6379/3")
    later = local.Stack(tmp_path)
    status = later.status()
    assert "given by" not in status
    assert f"PostgreSQL           stopped 127.0.0.1:{stack.postgres.port}" in status
    stopped = []
    monkeypatch.setattr(local.Postgres, "stop", lambda self: stopped.append(self.port))
    monkeypatch.setattr(local.Redis, "stop", lambda self: stopped.append(self.port))
    later.stop()
    assert stopped == [stack.redis.port, stack.postgres.port]


def test_start_makes_the_state_directory_its_owners_only(environ, tmp_path, monkeypatch):
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o755)
    environ.setenv("LXL_DATABASE_URL", "postgresql+psycopg://lxl@db.example.test/lxl")
    _start_with_processes_faked(local.Stack(state_dir, port=5999), monkeypatch)
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700


def test_public_origins_are_never_served_from_the_stacks_own_database_and_redis(
        environ, tmp_path):
    environ.setenv("LXL_IDP_ORIGIN", "https://id.example.test")
    environ.setenv("LXL_NGO_ORIGIN", "https://ngo.example.test")
    environ.setenv("LXL_SECRET_KEY", "given-" * 8)
    with pytest.raises(local.StackError, match="Set LXL_DATABASE_URL and LXL_REDIS_URL: "):
        local.Stack(tmp_path / "state", port=5999).start()
    environ.setenv("LXL_DATABASE_URL", "postgresql+psycopg://lxl@db.example.test/lxl")
    with pytest.raises(local.StackError, match="Set LXL_REDIS_URL: "):
        local.Stack(tmp_path / "state", port=5999).start()
    assert not (tmp_path / "state" / "postgres").exists()


def test_a_secret_file_is_created_whole_with_mode_0600_and_kept(tmp_path):
    path = tmp_path / "secret_key"
    key = secret_in_file(path)
    assert len(key) >= 32 and path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_in_file(path) == key
    assert [entry.name for entry in tmp_path.iterdir()] == ["secret_key"]  # no temporary left


def test_an_empty_secret_file_left_by_a_crash_counts_as_absent(tmp_path):
    path = tmp_path / "secret_key"
    path.touch()
    key = secret_in_file(path)
    assert key and path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_of_two_processes_creating_the_secret_at_once_the_first_ones_key_wins(
        tmp_path, monkeypatch):
    path = tmp_path / "secret_key"
    link = os.link

    def another_process_links_first(source, destination):
        path.write_text("the-other-process-key-" * 2)
        link(source, destination)
    monkeypatch.setattr(os, "link", another_process_links_first)
    assert secret_in_file(path) == "the-other-process-key-" * 2


def test_a_stack_writes_nothing_until_it_is_started(environ, tmp_path):
    state_dir = tmp_path / "state"
    stack = local.Stack(state_dir, port=5999)
    assert "stopped" in stack.status() and not stack.running
    stack.stop()
    assert not state_dir.exists()


def test_haproxy_sends_an_instance_no_more_requests_than_it_has_threads():
    assert gunicorn_command.requests_at_once(["--workers", "2", "--threads", "8"]) == 16
    assert gunicorn_command.requests_at_once(["-w", "3", "--threads=4"]) == 12
    assert gunicorn_command.requests_at_once(["--workers=5"]) == 5


@pytest.fixture
def passable_dir():
    """A directory every user may pass through (pytest's own are its owner's only)."""
    path = Path(tempfile.mkdtemp(prefix="lxl-deploy-test-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path)


def test_the_cluster_lives_where_the_postgres_user_can_reach_it(passable_dir, monkeypatch):
    # Run as root from a clone in /root (mode 0700), PostgreSQL (the postgres user) could not
    # reach <state_dir>/postgres: its cluster goes to the postgres user's home instead.
    closed = passable_dir / "root-home"
    closed.mkdir(mode=0o700)
    state_dir = closed / "project" / "var" / "production"
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)
    postgres_home = passable_dir / "postgres-home"  # the postgres user's, installed or not
    monkeypatch.setattr(local.pwd, "getpwnam",
                        lambda name: SimpleNamespace(pw_dir=str(postgres_home)))
    home = local.cluster_directory(state_dir)
    assert home.parent == postgres_home
    assert home == local.cluster_directory(state_dir) != local.cluster_directory(closed / "x")
    state_dir.mkdir(parents=True, mode=0o700)  # the state directory itself does not count:
    assert local.cluster_directory(state_dir) == home  # start opens it (0711)
    state_dir.chmod(0o711)
    assert local.cluster_directory(state_dir) == home
    closed.chmod(0o711)
    assert local.cluster_directory(state_dir) == state_dir / "postgres"


def test_a_machine_without_postgresql_yet_can_make_a_stack(tmp_path, monkeypatch):
    # A fresh machine: no postgres user until bin/production installs PostgreSQL.
    def no_such_user(name):
        raise KeyError(f"getpwnam(): name not found: {name!r}")
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)
    monkeypatch.setattr(local.pwd, "getpwnam", no_such_user)
    closed = tmp_path / "root-home"
    closed.mkdir(mode=0o700)
    assert local.cluster_directory(closed / "state") == closed / "state" / "postgres"
