"""The IdP's frames for silent sign-in, and the endpoints only those frames call.

- ``/oidc/iframe/check_session``: LxL's status frame (docs/silent-sign-in.md), which can also
  carry the whole silent authorization, so one frame does the product page's whole sequence;
- ``/oidc/iframe/session``: the standard ``check_session_iframe`` (OIDC Session Management 1.0);
- ``/oidc/iframe/button``: the SDK's sign-in button, a click in the IdP's own document;
- ``/oidc/iframe/card``: the SDK's One-Tap card (``prompt()``), and its same-origin calls
  ``/oidc/iframe/card/continue`` and ``/oidc/iframe/card/dismiss``;
- ``/oidc/iframe/status`` and ``/oidc/iframe/action``: same-origin calls of the status frame;
- ``/oidc/client-check``: why a frame was refused, for the SDK and the standard frame.

What they answer is decided in ``oidc/status_frame.py`` (the button's options in
``oidc/button_frame.py``, the card in ``oidc/card_frame.py``); here it is only rendered.
"""

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from flask import abort, jsonify, make_response, render_template, request

from ... import logs
from ...extensions import csrf
from ...sites import content_security_policy
from .. import bp, rate_limits
from ..oidc import button_frame, card_frame, silent, status_frame
from ..oidc.response_modes import NO_STORE
from ..oidc.status_frame import AUTHORIZATION_PARAMS, FrameRefused

# The frames' answers depend on the IdP's cookies and on whether the browser sent them.
VARY = ("Vary", "Cookie, Sec-Fetch-Storage-Access")
# Frames whose refusal is a page (the others are fetched, and answer JSON).
FRAME_PAGES = ("idp.check_session", "idp.sign_in_button", "idp.one_tap_card")


@bp.errorhandler(FrameRefused)
def frame_refused(error):
    """Render a ``FrameRefused``: a page for the frame, JSON for the endpoints that fetch."""
    logs.event("frame_refused", reason=error.reason)
    if request.endpoint in FRAME_PAGES:
        page = render_template("error.html", title="This frame is not allowed here",
                               message=error.description, error=error.reason)
        # Framed by nobody, and it posts nothing: an unregistered origin learns nothing.
        return page, 400, {"Content-Security-Policy": content_security_policy("'none'")}
    response = jsonify(error=error.reason, error_description=error.description)
    if request.endpoint == "idp.client_check":
        # "Refused" is client-check's answer, readable by any page (no credentials).
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response
    return response, 400


def _answer_from_query():
    """Return the status frame's answer to this request's query."""
    origin = request.args.get("origin")
    client = status_frame.registered_client(request.args.get("client_id"), origin)
    return status_frame.answer(client, origin, request.args)


@bp.route("/oidc/iframe/check_session")
def check_session():
    """The status frame, and with authorization parameters the silent sign-in itself."""
    origin = request.args.get("origin")
    answer = _answer_from_query()
    page = render_template(
        "idp/check_session.html", origin=origin, client_id=request.args["client_id"],
        status=answer.session(), authorization=answer.authorization,
        verify_storage_access=answer.ask_browser_for_storage_access,
        itp_support=request.args.get("itp_support") in ("1", "true"))
    headers = [("Content-Security-Policy", content_security_policy(origin)), VARY,
               *silent.storage_access_retry(origin).items()]
    return page, 200, headers


@bp.route("/oidc/iframe/button")
def sign_in_button():
    """The SDK's ``renderButton``: one button whose click happens in the IdP's document.

    Nothing about this browser is looked at here: the page is the same for everyone until the
    click, whose storage-access finish asks ``/oidc/iframe/status``.
    """
    client, origin = button_frame.framed_by(request.args)
    # Its style is inline: the button must show without waiting for a stylesheet. Like every
    # IdP page it is no-store (idp/__init__.py), and it carries the frames' one Vary.
    headers = [("Content-Security-Policy", content_security_policy(origin, inline_style=True)),
               VARY]
    try:
        button = button_frame.read(request.args)
    except FrameRefused as refused:
        # The origin is registered: it may see why its button was refused, so the SDK can
        # name the parameter to the site's developer (an unregistered one learns nothing).
        page = render_template("idp/button_frame.html", origin=origin, refused=refused,
                               heights=button_frame.HEIGHTS_PX)
        return page, 400, headers
    page = render_template("idp/button_frame.html", origin=origin, client_id=client.client_id,
                           button=button, heights=button_frame.HEIGHTS_PX,
                           authorization=button_frame.authorization_params(request.args))
    return page, 200, headers


@bp.errorhandler(card_frame.InvalidCard)
def invalid_card(error):
    """Refuse a card call whose token is not this browser's card for this site (403)."""
    return jsonify(error=card_frame.INVALID_CARD, error_description=str(error)), 403, NO_STORE


@bp.route("/oidc/iframe/card")
def one_tap_card():
    """The SDK's ``prompt()``: the One-Tap card, or why it is not displayed."""
    client, origin = button_frame.framed_by(request.args)
    # Inline style, as the button's: the card must show without waiting for a stylesheet.
    # Storage Access Headers: a site holding a grant gets the card on the retried request.
    headers = [("Content-Security-Policy", content_security_policy(origin, inline_style=True)),
               VARY, *silent.storage_access_retry(origin).items()]
    try:
        options = card_frame.read(request.args)
    except FrameRefused as refused:
        # The origin is registered: it may see why, so the SDK can name the parameter.
        return render_template("idp/card_frame.html", origin=origin, refused=refused), 400, \
            headers
    card = card_frame.decide(client, origin, options)
    logs.event("card", user=card.user, displayed=card.displayed, reason=card.not_displayed_reason)
    page = render_template(
        "idp/card_frame.html", origin=origin, client_id=client.client_id, card=card,
        site=card_frame.site_name(client, origin), authorization=options.authorization,
        cookies_blocked=card_frame.COOKIES_BLOCKED.message(),
        width=card_frame.CARD_WIDTH_PX, height=card_frame.CARD_HEIGHT_PX)
    return page, 200, headers


@bp.route("/oidc/iframe/card/continue", methods=["POST"])
@csrf.exempt  # replaced by _frame_call's same-origin checks and the card's token
def card_continue():
    """The card's Continue: ``{authorization}`` signs in; ``{popup: true}``: the page asks."""
    client_id, origin, token, *values = _frame_call(
        "client_id", "origin", "token", *AUTHORIZATION_PARAMS,
        required=("client_id", "origin", "token"))
    client = status_frame.registered_client(client_id, origin)
    card_frame.check_token(token, client.client_id, origin)
    requested = {name: value for name, value in zip(AUTHORIZATION_PARAMS, values)
                 if value is not None}
    authorization = card_frame.continue_card(client, origin, requested)
    if authorization is None:
        return jsonify(popup=True), 200, NO_STORE
    return jsonify(authorization=authorization), 200, NO_STORE


@bp.route("/oidc/iframe/card/dismiss", methods=["POST"])
@csrf.exempt  # replaced by _frame_call's same-origin checks and the card's token
def card_dismiss():
    """The card's close (× or Escape): start or lengthen its cooldown for this user."""
    client_id, origin, token = _frame_call("client_id", "origin", "token",
                                           required=("client_id", "origin", "token"))
    client = status_frame.registered_client(client_id, origin)
    card_frame.check_token(token, client.client_id, origin)
    logs.event("card_dismissed")
    return jsonify(ok=card_frame.dismiss(client)), 200, NO_STORE


@bp.route("/oidc/iframe/status")
def frame_status():
    """The status frame's fresh answer (same-origin fetch): re-checks, and the status and
    credential after ``document.requestStorageAccess()`` in browsers without Storage Access
    Headers, where the frame's first request could not carry our cookie."""
    answer = _answer_from_query()
    return jsonify(status=answer.session(), authorization=answer.authorization), 200, NO_STORE


def _frame_call(*names, required=()):
    """Return the string fields ``names`` of a call from our frames' scripts (absent: ``None``).

    The endpoints only our frames call change state with the ``SameSite=None`` cookie, so
    they take no CSRF token (``csrf.exempt``) and this check instead: a same-origin request
    (``Sec-Fetch-Site``, where the browser sends it, and ``Origin``) with a JSON body, which
    neither a cross-site page nor a simple form can send — else 403. A body that is not an
    object, a field that is not a string, or a ``required`` one missing is a 400 naming it.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin" or \
            not request.is_json or request.headers.get("Origin") != request.host_url.rstrip("/"):
        abort(make_response(jsonify(error="forbidden"), 403))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        quoted = [f"'{name}'" for name in required]
        # "'a', 'b' and 'c'", "'a'", or nothing at all when no field is required.
        listed = " and ".join(filter(None, (", ".join(quoted[:-1]), *quoted[-1:])))
        _invalid_request(f"Send a JSON object with {listed}." if listed else
                         "Send a JSON object.")
    values = tuple(body.get(name) for name in names)
    for name, value in zip(names, values):
        if value is not None and not isinstance(value, str):
            _invalid_request(f"'{name}' must be a string.")
        if value is None and name in required:
            _invalid_request(f"Missing '{name}'.")
    return values


def _invalid_request(description):
    """Answer this call with 400 ``invalid_request`` and ``description``, now."""
    error = InvalidRequestError(description)
    abort(make_response(jsonify(error=error.error, error_description=error.description), 400))


@bp.route("/oidc/iframe/action", methods=["POST"])
@csrf.exempt  # replaced by _frame_call's same-origin checks: only our frame's script can call
def frame_action():
    """Opt out of auto sign-in, or revoke consent, for the status frame's page.

    The status frame's script calls it after checking that the message came from a
    registered origin of the client.
    """
    client_id, origin, action, hint = _frame_call("client_id", "origin", "action", "hint",
                                                  required=("client_id", "origin", "action"))
    client = status_frame.registered_client(client_id, origin)
    if action == "disable_auto_select":
        return jsonify(ok=silent.opt_out(client.client_id))
    if action == "revoke":
        return jsonify(ok=silent.revoke_consent(client.client_id, hint or ""))
    return jsonify(error="invalid_request",
                   error_description="Unknown 'action': use disable_auto_select or revoke."), 400


@bp.route("/oidc/client-check")
@rate_limits.limit_client_checks
def client_check():
    """Say why a frame would be refused: ``unknown_client`` or ``origin_not_allowed``."""
    status_frame.registered_client(request.args.get("client_id"), request.args.get("origin"))
    response = jsonify(ok=True)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/oidc/iframe/session")
def session_iframe():
    """The standard check_session_iframe (OIDC Session Management 1.0 §3.3).

    Its URL comes from discovery, without a client_id, so it cannot name its framers: any
    page may frame it (it has nothing to click), and its script answers a message only after
    ``/oidc/client-check`` confirmed that the message's origin is registered for the
    client_id the message names. The page and its headers are the same for every client.
    """
    page = render_template("idp/session_iframe.html", blocked=silent.cookies_withheld())
    return page, 200, [("Content-Security-Policy", content_security_policy("*")), VARY]
