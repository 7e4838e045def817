"""LxL's status frame (docs/silent-sign-in.md): who may use it, and its one answer.

``/oidc/iframe/check_session`` and the endpoints only it calls (``/oidc/iframe/status``,
``/oidc/iframe/action``) and ``/oidc/client-check`` ask this module; the views only render.
Per request the client is looked up once (``registered_client``) and the browser's session
is evaluated once (``silent.evaluate``, by the grant when the frame carries an authorization
request, else here); ``answer`` returns one value. A client or origin that may not use the
frame is a ``FrameRefused``, rendered by one handler.
"""

from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError

from . import reasons, response_modes, session_state, silent
from .server import authorization_request, authorization_server, checked_state, error_params

AUTHORIZATION_PARAMS = ("response_type", "scope", "nonce", "state", "redirect_uri",
                        "login_hint", "id_token_hint", "max_age")
LOGGED_IN, LOGGED_OUT, UNKNOWN = "logged_in", "logged_out", "unknown"


class FrameRefused(Exception):
    """The frame is refused: ``reason`` is from reasons.py when this client may not use it
    from this origin, or ``invalid_request`` when a frame's own parameter is malformed."""

    def __init__(self, reason, description):
        super().__init__(description)
        self.reason = reason
        self.description = description


def registered_client(client_id, origin):
    """Return the client if ``origin`` is one of its registered web origins, else refuse."""
    if not client_id:
        raise FrameRefused(reasons.UNKNOWN_CLIENT,
                           "Missing 'client_id': send the client_id your site registered.")
    client = authorization_server().query_client(client_id)
    if client is None:
        raise FrameRefused(reasons.UNKNOWN_CLIENT, f"Unknown 'client_id' {client_id!r}.")
    if origin not in client.web_origins:
        raise FrameRefused(reasons.ORIGIN_NOT_ALLOWED, (
            f"'origin' {origin!r} is not a registered web origin of client {client_id!r}: "
            f"register it with `flask lxl clients add … --origin {origin}`."))
    return client


@dataclass(frozen=True)
class Answer:
    """The frame's answer: the ``lxl:session`` status, and the authorization response due."""

    status: str
    reason: str | None
    session_state: str
    authorization: dict | None = None

    def session(self):
        """Return the fields of the ``lxl:session`` message (CONTRACT.md)."""
        fields = {"status": self.status, "session_state": self.session_state}
        return fields if self.reason is None else {**fields, "reason": self.reason}

    @property
    def ask_browser_for_storage_access(self):
        """True if only the browser can tell "no session" from "cookie withheld".

        Browsers without Storage Access Headers send no ``Sec-Fetch-Storage-Access``:
        the frame asks ``document.hasStorageAccess()`` before it says ``logged_out``.
        """
        return self.status != LOGGED_IN and silent.storage_access() is None


def answer(client, origin, params, ignore_opt_out=False):
    """Return the answer for this browser; ``params`` may carry a silent authorization request.

    With a well-formed request, the grant's verdict on it (the one ``/oidc/authorize`` would
    give) is the status too; the response is handed over only with ``logged_in``.
    ``ignore_opt_out``: the One-Tap card's Continue only (``silent.evaluate``).
    """
    # A repeated parameter stays a list, so that it is refused as /oidc/authorize refuses it.
    requested = {k: values[0] if len(values) == 1 else values
                 for k in AUTHORIZATION_PARAMS if (values := params.getlist(k))}
    authorization, outcome = (_authorize(client, origin, requested, ignore_opt_out)
                              if requested else (None, None))
    if outcome is None:  # no request, or one malformed before the grant could decide
        outcome = silent.evaluate(client, params.get("scope", "openid"),
                                  ignore_opt_out=ignore_opt_out)
    if outcome.error is None:
        status = LOGGED_IN
    else:
        authorization = None
        status = UNKNOWN if outcome.reason == reasons.THIRD_PARTY_COOKIES_BLOCKED else LOGGED_OUT
    if requested:
        silent.log_attempt(outcome.session and outcome.session.user, outcome.reason,
                           authorization and authorization.get("error"))
    return Answer(status, outcome.reason if outcome.error else None,
                  session_state.for_request(client.client_id, origin), authorization)


def _authorize(client, origin, requested, ignore_opt_out=False):
    """Answer a ``prompt=none`` request; return its response parameters and the verdict.

    The same grants, hooks and checks as ``/oidc/authorize`` — only the delivery differs:
    the frame posts the response itself, to ``origin``, instead of a separate response page;
    so the request's ``redirect_uri`` must be that very origin (CONTRACT's web_message rule:
    a message goes to its redirect URI's origin). The verdict is ``None`` when the request
    was refused before the session was looked at.
    """
    payload = {**requested, "client_id": client.client_id, "prompt": "none",
               "response_mode": response_modes.WEB_MESSAGE}
    oauth_request = authorization_request(payload)
    oauth_request.ignore_opt_out = ignore_opt_out  # read by grants.PromptNoneMixin
    server = authorization_server()
    try:
        if requested.get("redirect_uri") != origin:
            raise InvalidRequestError(
                "'redirect_uri' must be the frame's 'origin': the status frame posts the "
                "response to the page that embeds it, and to no other origin.")
        grant = server.get_consent_grant(request=oauth_request)
        # web_message has no default redirect URI: the validated one is the requested one.
        response = dict(grant.response_params(grant.request.payload.redirect_uri,
                                              oauth_request.user))
    except OAuth2Error as error:
        # Posted only to the frame's own registered origin, even when the request's
        # redirect_uri was not acceptable (a page of ours would have posted nothing).
        error.state = checked_state(payload)
        response = dict(error_params(error))
    return response, getattr(oauth_request, "silent_outcome", None)
