"""``flask lxl …`` commands (CONTRACT.md: Command line)."""

import json

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
