"""The demo accounts and client of CONTRACT.md."""

from flask import current_app

from ..config import DEMO_CLIENT_ID, NGO_CALLBACK_PATH, NGO_CREDENTIAL_PATH
from ..extensions import db
from . import accounts, clients
from .models import Client, User

DEMO_PASSWORD = "correct-horse-battery-staple"
DEMO_USERS = (("ada@example.org", "Ada Lovelace"), ("grace@example.org", "Grace Hopper"))


def seed():
    """Create the demo users and the ``ngo-demo`` client if missing (idempotent).

    ``ngo-demo`` always names the NGO origin this app runs on (CONTRACT.md, "Demo data"):
    after the port or ``LXL_NGO_ORIGIN`` changed, its URIs are moved to the new origin.
    """
    for email, name in DEMO_USERS:
        if User.by_email(email) is None:
            accounts.create_user(email, name, DEMO_PASSWORD)
    ngo = current_app.config["LXL_NGO_ORIGIN"]
    # Checked as a registration is (clients.py): these values reach headers and redirects.
    # The credential path is the SDK's login_uri in ux_mode 'redirect', where the IdP's
    # form_post delivers the ID token to it as a redirect URI.
    uris = {"redirect_uris": [clients.check_uri(ngo + path)
                              for path in (NGO_CALLBACK_PATH, NGO_CREDENTIAL_PATH)],
            "web_origins": [clients.check_origin(ngo)],
            "post_logout_redirect_uris": [clients.check_uri(f"{ngo}/",
                                                            "Post-logout redirect URI")]}
    client = db.session.scalar(db.select(Client).filter_by(client_id=DEMO_CLIENT_ID))
    if client is None:
        clients.register("Sample NGO", client_id=DEMO_CLIENT_ID, **uris)
    elif any(client.client_metadata.get(name) != value for name, value in uris.items()):
        client.set_client_metadata({**client.client_metadata, **uris})
        db.session.commit()
