"""OpenID Connect Session Management 1.0 §4.2: ``session_state``.

It binds this browser's login state (``browser_state.py``) to one client and one origin with
a salt, so a site's page can later ask the OP's iframe whether anything changed.
"""

import hashlib
import secrets

from .. import browser_state


def compute(client_id, origin, state, salt=None):
    """Return ``session_state`` = SHA-256(client_id, origin, browser state, salt) "." salt (§4.2)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{client_id} {origin} {state} {salt}".encode()).hexdigest()
    return f"{digest}.{salt}"


def for_request(client_id, origin):
    """Return the ``session_state`` of this browser for ``client_id`` at ``origin``."""
    return compute(client_id, origin, browser_state.current())
