"""``flask lxl …`` commands (CONTRACT.md: Command line)."""

import json

import pytest

from app.extensions import db
from app.idp.models import User


def test_init_db_is_idempotent(runner):
    assert runner.invoke(args=["lxl", "init-db"]).exit_code == 0
    assert runner.invoke(args=["lxl", "init-db"]).exit_code == 0


def test_seed_demo_is_idempotent(app, runner):
    assert runner.invoke(args=["lxl", "seed-demo"]).exit_code == 0
    with app.app_context():
        assert db.session.query(User).count() == 2


def test_users_add_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["lxl", "users", "add", "Mary@Example.org", "--name", "Mary"],
                           input="a-good-long-password\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["email"] == "mary@example.org"
    duplicate = runner.invoke(args=["lxl", "users", "add", "mary@example.org", "--name", "M"],
                              input="a-good-long-password\n")
    assert duplicate.exit_code != 0 and "exists" in duplicate.output


def test_clients_add_and_list(runner):
    result = runner.invoke(args=[
        "lxl", "clients", "add", "Food Bank", "--redirect-uri", "https://food.example/cb",
        "--origin", "https://food.example", "--post-logout-redirect-uri", "https://food.example/",
        "--confidential"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["client_id"] and created["client_secret"]
    listed = json.loads(runner.invoke(args=["lxl", "clients", "list"]).output)
    food = next(c for c in listed if c["client_id"] == created["client_id"])
    assert food["client_name"] == "Food Bank" and food["web_origins"] == ["https://food.example"]
    assert "client_secret" not in food
    assert {c["client_id"] for c in listed} >= {"ngo-demo"}


def test_clients_add_refuses_an_origin_with_a_path(runner):
    result = runner.invoke(args=["lxl", "clients", "add", "X", "--redirect-uri",
                                 "https://x.example/cb", "--origin", "https://x.example/"])
    assert result.exit_code != 0 and "trailing slash" in result.output


def test_keys_rotate_prints_the_new_kid(runner):
    result = runner.invoke(args=["lxl", "keys", "rotate"])
    assert result.exit_code == 0 and json.loads(result.output)["kid"]


def add_client(runner, redirect_uri="https://x.example/cb", origin="https://x.example"):
    return runner.invoke(args=["lxl", "clients", "add", "X", "--redirect-uri", redirect_uri,
                               "--origin", origin])


@pytest.mark.parametrize("origin", [
    "http://x.example *",               # a second CSP source: anyone may frame
    "http://x.example;script-src *",    # a second CSP directive
    "https://x.example'",
    'https://x.example"',
    "https://x.example\r\nX-Injected: 1",
    "https://x.example\t",
    " https://x.example",
    "https://X.Example",                # browsers write origins lower-case
    "https://x.example:443",            # ... and without the default port
    "http://x.example:80",
    "https://x.example:0",
    "https://x.example:65536",
    "https://x.example:44a",
    "https://x.example:",
    "https://x.example?",
    "https://x.example#",
    "https://user:pw@x.example",
    "https://@x.example",
    "https://x..example",
    "https://-x.example",
    "https://x_y.example",
    "https://999.1.1.1",
    "https://[::g]",
    "https://",
    "ftp://x.example",
    "javascript://x.example",
    "https:x.example",
    "*",
    "null",
    "http://x.example",
])
def test_clients_add_refuses_an_origin_that_is_not_exactly_an_origin(runner, origin):
    result = add_client(runner, origin=origin)
    assert result.exit_code != 0 and "Origin" in result.output, result.output


@pytest.mark.parametrize("redirect_uri", [
    "https://x.example/cb ",
    "https://x.example/c b",
    "https://x.example/cb\r\nSet-Cookie: a=b",
    "https://x.example/cb?a=\"",
    "https://x.example/cb?a='",
    "https://x.example/cb?a=<b>",
    "https://x.example/\\cb",
    "https://x.example/cb#fragment",
    "https://user:pw@x.example/cb",
    "https://X.example/cb",
    "https://x.example:443/cb",
    "https://x.example:99999/cb",
    "http://x.example;y/cb",
    "/cb",
    "x.example/cb",
    "javascript:alert(1)",
    "https:///cb",
    "http://x.example/cb",
])
def test_clients_add_refuses_a_redirect_uri_that_is_not_absolute_http(runner, redirect_uri):
    result = add_client(runner, redirect_uri=redirect_uri)
    assert result.exit_code != 0 and "Redirect URI" in result.output, result.output


@pytest.mark.parametrize("redirect_uri, origin", [
    ("http://localhost:5000/cb?next=/a&b=c;d", "http://localhost:5000"),
    ("https://x.example/a/b-c_d.e~f/%20", "https://x.example"),
    ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
    ("http://[::1]:8080/cb", "http://[::1]:8080"),
    ("https://xn--bcher-kva.example/cb", "https://xn--bcher-kva.example"),
])
def test_clients_add_accepts_well_formed_uris_and_origins(runner, redirect_uri, origin):
    result = add_client(runner, redirect_uri=redirect_uri, origin=origin)
    assert result.exit_code == 0, result.output
