"""The IdP's frames for silent sign-in, and the endpoints only those frames call.

- ``/oidc/iframe/check_session``: LxL's status frame (docs/silent-sign-in.md), which can also
  carry the whole silent authorization, so one frame does the product page's whole sequence;
- ``/oidc/iframe/session``: the standard ``check_session_iframe`` (OIDC Session Management 1.0);
- ``/oidc/iframe/status`` and ``/oidc/iframe/action``: same-origin calls of the status frame;
- ``/oidc/client-check``: why a frame was refused, for the SDK.
"""

from flask import jsonify, render_template, request

from ...extensions import csrf, db
from ...sites import content_security_policy
from .. import bp
from ..models import Client
from ..oidc import reasons, session_state, silent
from ..oidc.server import authorization_server

AUTHORIZATION_PARAMS = ("response_type", "scope", "nonce", "state", "redirect_uri",
                        "login_hint", "id_token_hint", "max_age")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _client(client_id):
    if not client_id:
        return None
    return db.session.scalar(db.select(Client).filter_by(client_id=client_id))


def frame_problem(client_id, origin):
    """Return ``(reason, description)`` if this client may not frame us from ``origin``."""
    client = _client(client_id)
    if client is None:
        return reasons.UNKNOWN_CLIENT, f"Unknown 'client_id' {client_id!r}."
    if origin not in client.web_origins:
        return reasons.ORIGIN_NOT_ALLOWED, (
            f"'origin' {origin!r} is not a registered web origin of client {client_id!r}: "
            f"register it with `flask lxl clients add … --origin {origin}`.")
    return None


def _refused(problem):
    reason, description = problem
    response = render_template("error.html", title="This frame is not allowed here",
                               message=description, error=reason)
    # Framed by nobody, and it posts nothing: an unregistered origin learns nothing.
    return response, 400, {"Content-Security-Policy": content_security_policy("'none'")}


def session_status(client, origin, scope="openid"):
    """Return the status frame's ``lxl:session`` fields for ``client`` at ``origin``."""
    outcome = silent.evaluate(client, scope)
    return _status(outcome.reason if outcome.error else None, client.client_id, origin)


def _status(refusal, client_id, origin):
    """``logged_in`` without a refusal reason; ``unknown`` when cookies were withheld."""
    fields = {"session_state": session_state.for_request(client_id, origin)}
    if refusal is None:
        return {"status": "logged_in", **fields}
    status = "unknown" if refusal == reasons.THIRD_PARTY_COOKIES_BLOCKED else "logged_out"
    return {"status": status, "reason": refusal, **fields}


def _frame_headers(origin):
    headers = {"Content-Security-Policy": content_security_policy(origin),
               "Vary": "Cookie, Sec-Fetch-Storage-Access", **NO_STORE}
    if silent.storage_access() == "inactive":
        # Storage Access Headers: the site holds a grant for us; ask Chromium to repeat
        # this request with it active (and our cookie), instead of a second frame.
        headers["Activate-Storage-Access"] = f'retry; allowed-origin="{origin}"'
    return headers


def answer(client_id, origin):
    """Return the status, and the silent authorization response if one was asked and due.

    With an authorization request, the grant's verdict on it (the one /oidc/authorize would
    give) is the status too; only a malformed request leaves the status to ``silent``.
    """
    requested = {k: request.args[k] for k in AUTHORIZATION_PARAMS if k in request.args}
    if not requested:
        return session_status(_client(client_id), origin), None
    response = dict(authorization_server().silent_response_params(
        {"client_id": client_id, **requested}))
    if "error" not in response:
        return _status(None, client_id, origin), response
    if refusal := response.get("reason"):
        return _status(refusal, client_id, origin), None
    status = session_status(_client(client_id), origin, requested.get("scope", "openid"))
    return status, response if status["status"] == "logged_in" else None


@bp.route("/oidc/iframe/check_session")
def check_session():
    """The status frame, and with authorization parameters the silent sign-in itself."""
    client_id, origin = request.args.get("client_id"), request.args.get("origin")
    if problem := frame_problem(client_id, origin):
        return _refused(problem)
    status, authorization = answer(client_id, origin)
    page = render_template(
        "idp/check_session.html", origin=origin, client_id=client_id, status=status,
        authorization=authorization,
        # No Sec-Fetch-Storage-Access header (other browsers) and no cookie: let the
        # frame ask document.hasStorageAccess() before it says "logged_out".
        verify_storage_access=silent.storage_access() is None and status["status"] != "logged_in",
        itp_support=request.args.get("itp_support") in ("1", "true"))
    return page, 200, _frame_headers(origin)


@bp.route("/oidc/iframe/status")
def frame_status():
    """The status frame's fresh answer (same-origin fetch): re-checks, and the status and
    credential after ``document.requestStorageAccess()`` in browsers without Storage Access
    Headers, where the frame's first request could not carry our cookie."""
    client_id, origin = request.args.get("client_id"), request.args.get("origin")
    if problem := frame_problem(client_id, origin):
        return jsonify(error=problem[0], error_description=problem[1]), 400
    status, authorization = answer(client_id, origin)
    return jsonify(status=status, authorization=authorization), 200, NO_STORE


@bp.route("/oidc/iframe/action", methods=["POST"])
@csrf.exempt  # replaced by the same-origin checks below: only our frame's script can call
def frame_action():
    """Opt out of auto sign-in, or revoke consent, for the status frame's page.

    The one state change reachable with the ``SameSite=None`` cookie: the status frame's
    script calls it after checking that the message came from a registered origin of the
    client; a cross-site page cannot, since it needs a same-origin request with a JSON
    body (no simple form can send it).
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin" or \
            not request.is_json or request.headers.get("Origin") != request.host_url.rstrip("/"):
        return jsonify(error="forbidden"), 403
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    client_id, origin, action = body.get("client_id"), body.get("origin"), body.get("action")
    if not all(isinstance(value, (str, type(None))) for value in (client_id, origin, action)):
        return jsonify(error="invalid_request", error_description=(
            "'client_id', 'origin' and 'action' must be strings.")), 400
    if problem := frame_problem(client_id, origin):
        return jsonify(error=problem[0], error_description=problem[1]), 400
    if action == "disable_auto_select":
        return jsonify(ok=silent.opt_out(client_id))
    if action == "revoke":
        return jsonify(ok=silent.revoke_consent(client_id, str(body.get("hint", ""))))
    return jsonify(error="invalid_request",
                   error_description="Unknown 'action': use disable_auto_select or revoke."), 400


@bp.route("/oidc/client-check")
def client_check():
    """Say why a frame would be refused: ``unknown_client`` or ``origin_not_allowed``."""
    problem = frame_problem(request.args.get("client_id"), request.args.get("origin"))
    body = {"ok": True} if problem is None else {"error": problem[0],
                                                "error_description": problem[1]}
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/oidc/iframe/session")
def session_iframe():
    """The standard check_session_iframe (OIDC Session Management 1.0 §3.3)."""
    clients = db.session.scalars(db.select(Client)).all()
    origins = {c.client_id: c.web_origins for c in clients if c.web_origins}
    framers = " ".join(sorted({o for os in origins.values() for o in os})) or "'none'"
    page = render_template("idp/session_iframe.html", origins=origins,
                           blocked=silent.cookies_withheld())
    return page, 200, {"Content-Security-Policy": content_security_policy(framers),
                       "Vary": "Cookie, Sec-Fetch-Storage-Access", **NO_STORE}
