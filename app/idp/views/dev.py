"""Tools for a developer on one machine, served only while both origins are loopback."""

from flask import abort, jsonify

from .. import bp, mail
from ..oidc.response_modes import NO_STORE


@bp.route("/dev/outbox.json")
def outbox():
    """List the mail kept in the local outbox, newest last (CONTRACT.md "Local mail")."""
    if not mail.outbox_enabled():
        abort(404)
    response = jsonify(mail.outbox())
    response.headers.update(NO_STORE)
    return response
