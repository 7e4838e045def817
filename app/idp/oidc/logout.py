"""OpenID Connect RP-Initiated Logout 1.0, on Authlib's ``EndSessionEndpoint``.

Authlib resolves the client and checks it against the hint's audience. Added here: the hint
verified as everywhere else (hints.py: signature and issuer, §2), an error page instead of
silence for a ``post_logout_redirect_uri`` that is not registered (§3, §4), and the rule for
when the End-User must confirm (§2, §6).
"""

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oidc import rpinitiated
from flask import session

from .. import accounts
from . import claims, hints, parameters


class EndSessionEndpoint(rpinitiated.EndSessionEndpoint):
    """The ``end_session_endpoint`` (§2): ends this browser's IdP session."""

    def validate_request(self, request):
        """Validate as Authlib does, then refuse what it would silently ignore (§2, §3).

        The parameters are checked first (``parameters``): the messages below echo them.
        """
        request.payload = BasicOAuth2Payload(parameters.checked(
            request.payload.datalist, parameters.LOGOUT_PARAMETERS))
        data = request.payload.data
        if (client_id := data.get("client_id")) and self.server.query_client(client_id) is None:
            raise InvalidRequestError(f"Unknown 'client_id' {client_id!r}: no site is "
                                      "registered under it.")
        end_session_request = super().validate_request(request)
        if end_session_request.id_token_claims is not None:
            _check_hint_audience(end_session_request)
        _check_post_logout_redirect_uri(data.get("post_logout_redirect_uri"),
                                        end_session_request.client)
        return end_session_request

    def _validate_id_token_hint(self, id_token_hint):
        """Verify that we issued the hint (§2): signature and issuer, not ``exp``."""
        return hints.verify(id_token_hint)

    def end_session(self, end_session_request):
        """End every IdP session of this browser, and the tokens bound to them; the log
        names the client, which the hint's audience may be all that tells."""
        client = end_session_request.client
        accounts.sign_out(client_id=client.client_id if client is not None else None)


def _check_hint_audience(end_session_request):
    """The hint must have been issued to one registered client, the one logging out (§2)."""
    client = end_session_request.client
    if client is None or client.client_id not in hints.audiences(
            end_session_request.id_token_claims):
        raise InvalidRequestError("Invalid 'id_token_hint': it was not issued to a registered "
                                  "client, or not to the one named by 'client_id'.")


def _check_post_logout_redirect_uri(uri, client):
    """Refuse a URI not registered, exactly, for the client (§3); never redirect to it."""
    if not uri:
        return
    if client is None:
        raise InvalidRequestError(f"Unknown 'post_logout_redirect_uri' {uri!r}: send "
                                  "'id_token_hint' or 'client_id' to name its client.")
    if uri not in client.post_logout_redirect_uris:
        raise InvalidRequestError(f"Unknown 'post_logout_redirect_uri' {uri!r}: it is not "
                                  f"registered, exactly, for client {client.client_id!r}.")


def needs_confirmation(end_session_request):
    """True unless the hint names the user signed in here, or nobody is (§2, §6).

    Without a valid hint anyone's page could sign the user out, so the user must confirm.
    A cross-site POST carries no ``SameSite=Lax`` cookie: if only the silent cookie shows
    a session, the user confirms on our own page, which then carries both.
    """
    hint = end_session_request.id_token_claims
    if hint is None:
        return True
    here, _ = accounts.sessions_for_key(session.get("browser_key"))
    if not here:
        return bool(accounts.sessions_for_key(accounts.silent_browser_key())[0])
    client_id = end_session_request.client.client_id
    return all(claims.subject(row.user, client_id) != hint.get("sub") for row in here)
