"""Tools for a developer on one machine, served only while both origins are loopback."""

import ipaddress

from flask import abort, jsonify, request

from .. import bp, mail
from ..oidc.response_modes import NO_STORE


@bp.route("/dev/outbox.json")
def outbox():
    """List the mail kept in the local outbox, newest last (CONTRACT.md "Local mail")."""
    # Loopback origins, and asked from this machine: the outbox holds working sign-up links.
    if not mail.outbox_enabled() or not ipaddress.ip_address(request.remote_addr).is_loopback:
        abort(404)
    response = jsonify(mail.outbox())
    response.headers.update(NO_STORE)
    return response
