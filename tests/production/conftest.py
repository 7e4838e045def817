"""Fixtures of the production fault tests: one local production stack for the whole run.

The stack (deploy/local.py, what ``bin/production start`` runs) is two gunicorn instances
behind one proxy, on a PostgreSQL cluster and a redis-server of its own in a temporary state
directory, on free loopback ports. The tests stop and restart its parts, so it never uses the
machine's shared PostgreSQL or Redis, whatever the environment names.

These tests run only when asked: ``pytest -m production`` (``.ci/run`` does, after the
README's test command). Without ``production`` in the ``-m`` expression they are deselected,
so ``bin/test`` and ``bin/test -m "not browser"`` never start a stack.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.production import client

HERE = Path(__file__).parent
# The environment names that would point the stack at services it does not own.
NOT_OWNED = ("LXL_DATABASE_URL", "LXL_REDIS_URL", "LXL_PRODUCTION_DIR", "PORT")
STARTUP_TIME = pytest.StashKey[float]()


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by -m
def pytest_collection_modifyitems(config, items):
    """Mark every test of this directory ``production``; leave them out unless -m names it."""
    mine = [item for item in items if item.path.is_relative_to(HERE)]
    for item in mine:
        item.add_marker(pytest.mark.production)
    if mine and "production" not in (config.option.markexpr or ""):
        left_out = set(mine)
        items[:] = [item for item in items if item not in left_out]
        config.hook.pytest_deselected(items=mine)


@pytest.fixture(scope="session")
def stack(request):
    """The local production stack, started once; stopped at the end whatever happened."""
    from deploy.local import Stack

    # Not pytest's tmp_path: its parents are private to root, and the cluster runs as the
    # postgres user, which must reach its data directory.
    state_dir = Path(tempfile.mkdtemp(prefix="lxl-production-"))
    env = {name: value for name, value in os.environ.items() if name not in NOT_OWNED}
    production = Stack(state_dir, env=env)
    try:
        began = time.perf_counter()
        production.start()
        request.config.stash[STARTUP_TIME] = time.perf_counter() - began
        yield production
    finally:
        production.stop()
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def healthy(stack):
    """Each production test starts and leaves the stack healthy: the proxy and both instances."""
    client.wait_until_healthy(stack)
    yield
    client.wait_until_healthy(stack)


def pytest_terminal_summary(terminalreporter, config):
    """Print how long the production stack took to start (the README's start-up time)."""
    if STARTUP_TIME in config.stash:
        terminalreporter.write_line(
            f"production stack started in {config.stash[STARTUP_TIME]:.1f} s "
            "(PostgreSQL, Redis, migrations, two gunicorn instances, the proxy)")
