"""``flask --app wsgi lxl …``: the commands of CONTRACT.md."""

import json
import sys

import click
from flask.cli import AppGroup
from flask_migrate import upgrade

from . import accounts, clients, demo, keys, purge

lxl = AppGroup("lxl", help="Manage LxL ID: database, demo data, users, clients, keys.")
users = AppGroup("users", help="Manage accounts.")
clients_cli = AppGroup("clients", help="Manage relying parties.")
keys_cli = AppGroup("keys", help="Manage ID-token signing keys.")


@lxl.command("init-db")
def init_db():
    """Create or upgrade the tables (idempotent) and the first signing key."""
    upgrade()
    keys.current_key()
    click.echo("Database ready.")


@lxl.command("seed-demo")
def seed_demo():
    """Create the demo users and the ngo-demo client (idempotent)."""
    demo.seed()
    click.echo("Demo data ready: ada@example.org, grace@example.org, client ngo-demo.")


@lxl.command("purge")
def purge_expired():
    """Delete expired sessions, codes and dead tokens (safe to repeat; run it hourly)."""
    try:
        click.echo(json.dumps(purge.purge_expired()))
    except purge.AnotherPurgeRuns as running:
        click.echo(str(running))  # not an error: that purge does the work


@users.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The person's display name.")
def add_user(email, name):
    """Add a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else \
        click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("The password needs at least 10 characters.")
    try:
        user = accounts.create_user(email, name, password)
    except accounts.EmailTaken:
        raise click.UsageError(f"An account with {email} exists already.") from None
    click.echo(json.dumps({"email": user.email, "name": user.name}))


@clients_cli.command("add")
@click.argument("name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True,
              help="An exact redirect URI (repeatable).")
@click.option("--origin", "origins", multiple=True, required=True,
              help="A web origin allowed to embed the session iframes (repeatable).")
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True,
              help="An exact URI RP-initiated logout may return to (repeatable).")
@click.option("--confidential", is_flag=True, help="Issue a client secret (server-side RP).")
def add_client(name, redirect_uris, origins, logout_uris, confidential):
    """Register a client and print its client_id (and client_secret) as JSON."""
    try:
        client, secret = clients.register(name, list(redirect_uris), list(origins),
                                          list(logout_uris), confidential)
    except clients.InvalidRegistration as error:
        raise click.UsageError(str(error)) from None
    out = {"client_id": client.client_id}
    if secret:
        out["client_secret"] = secret
    click.echo(json.dumps(out))


@clients_cli.command("list")
def list_clients():
    """Print the registered clients as JSON."""
    click.echo(json.dumps([c.to_public_dict() for c in clients.all_clients()], indent=2))


@keys_cli.command("rotate")
def rotate_keys():
    """Make a new signing key current; old keys stay published until they expire."""
    click.echo(json.dumps({"kid": keys.rotate()}))


lxl.add_command(users)
lxl.add_command(clients_cli, "clients")
lxl.add_command(keys_cli, "keys")


def init_app(app):
    """Register the ``lxl`` command group."""
    app.cli.add_command(lxl)
