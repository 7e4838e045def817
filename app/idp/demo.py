"""The demo accounts and client of CONTRACT.md."""

from flask import current_app

from ..config import DEMO_CLIENT_ID, NGO_CALLBACK_PATH
from ..extensions import db
from . import accounts, clients
from .models import Client, User

DEMO_PASSWORD = "correct-horse-battery-staple"
DEMO_USERS = (("ada@example.org", "Ada Lovelace"), ("grace@example.org", "Grace Hopper"))


def seed():
    """Create the demo users and the ``ngo-demo`` client if missing (idempotent)."""
    for email, name in DEMO_USERS:
        if User.by_email(email) is None:
            accounts.create_user(email, name, DEMO_PASSWORD)
    ngo = current_app.config["LXL_NGO_ORIGIN"]
    if db.session.scalar(db.select(Client).filter_by(client_id=DEMO_CLIENT_ID)) is None:
        clients.register("Sample NGO", redirect_uris=[ngo + NGO_CALLBACK_PATH],
                         web_origins=[ngo], post_logout_redirect_uris=[f"{ngo}/"],
                         client_id=DEMO_CLIENT_ID)
