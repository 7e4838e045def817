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
from pathlib import Path
from unittest import mock

import pytest

from tests.production import web

HERE = Path(__file__).parent
# The environment names that would point the stack at services it does not own, or at
# origins other than its own loopback ones.
NOT_OWNED = ("LXL_DATABASE_URL", "LXL_REDIS_URL", "LXL_IDP_ORIGIN", "LXL_NGO_ORIGIN")
STARTUP_TIME = pytest.StashKey[float]()
KEPT_STATE_DIR = pytest.StashKey[Path]()


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


def stack_on(state_dir, **settings):
    """A ``Stack`` on ``state_dir`` that runs its own services, its instances with
    ``settings`` added to their environment."""
    from deploy.local import Stack

    owned = {name: value for name, value in os.environ.items() if name not in NOT_OWNED}
    with mock.patch.dict(os.environ, {**owned, **settings}, clear=True):  # read once, here
        return Stack(state_dir)


@pytest.fixture(scope="session")
def stack(request):
    """The local production stack, started once; stopped at the end whatever happened."""
    # Not pytest's tmp_path, whose parents are private to root: the cluster runs as the
    # postgres user, which must pass through them (the stack opens its own directory to it).
    state_dir = Path(tempfile.mkdtemp(prefix="lxl-production-"))
    try:
        production = stack_on(state_dir)
    except BaseException:
        shutil.rmtree(state_dir, ignore_errors=True)
        raise
    try:
        request.config.stash[STARTUP_TIME] = production.start()
        yield production
    finally:
        production.stop()
        if request.session.testsfailed:  # its logs tell what the servers saw
            request.config.stash[KEPT_STATE_DIR] = state_dir
        else:
            shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def same_stack_with(stack):
    """Return a factory: the same stack (state directory, parts, ports) as another ``Stack``
    object whose instances start with extra settings, as an operator's would after a change
    of environment."""
    return lambda **settings: stack_on(stack.state_dir, **settings)


@pytest.fixture(autouse=True)
def healthy(stack):
    """Each production test starts and leaves the stack healthy: the proxy and both instances."""
    web.wait_until_healthy(stack)
    yield
    web.wait_until_healthy(stack)


def pytest_terminal_summary(terminalreporter, config):
    """Print how long the production stack took to start (the README's start-up time)."""
    if STARTUP_TIME in config.stash:
        terminalreporter.write_line(
            f"production stack started in {config.stash[STARTUP_TIME]:.1f} s "
            "(PostgreSQL, Redis, migrations, two gunicorn instances, the proxy)")
    if KEPT_STATE_DIR in config.stash:
        terminalreporter.write_line(
            f"production stack's state directory, with its logs, kept in "
            f"{config.stash[KEPT_STATE_DIR]}")
