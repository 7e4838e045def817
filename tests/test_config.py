"""Both local origins follow the port the app is started on (CONTRACT.md)."""

import pytest

from app import config


@pytest.mark.parametrize("env, argv, port", [
    ({"PORT": "6001"}, ["flask", "run", "--port", "7000"], 6001),
    ({}, ["flask", "--app", "wsgi", "run", "--port", "7000"], 7000),
    ({}, ["flask", "--app", "wsgi", "run", "-p", "7001"], 7001),
    ({}, ["flask", "--app", "wsgi", "run", "--port=7002"], 7002),
    ({"FLASK_RUN_PORT": "7003"}, ["flask", "run"], 7003),
    ({}, ["wsgi.py"], 5000),
])
def test_started_port(monkeypatch, env, argv, port):
    for name in ("PORT", "FLASK_RUN_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.argv", argv)
    assert config.started_port() == port
