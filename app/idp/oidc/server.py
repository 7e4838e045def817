"""The authorization server: Authlib's, wired to our models, grants and response modes."""

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.sqla_oauth2 import (
    create_bearer_token_validator,
    create_query_client_func,
    create_revocation_endpoint,
)
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import current_app
from flask import request as flask_request

from ...extensions import db
from ..models import Client, Token
from .. import tokens
from . import metadata, response_modes, transport
from .logout import EndSessionEndpoint
from .refresh import RefreshTokenGrant
from .grants import (
    AuthorizationCodeGrant,
    IdTokenGrant,
    OpenIDCodeExtension,
    S256CodeChallenge,
    browser_session_of,
    token_family_of,
)

class LxlAuthorizationServer(AuthorizationServer):
    """Authlib's server, delivering redirectable errors by the request's response mode."""

    def create_oauth2_request(self, request):
        """Wrap Flask's request, or pass through one built from parameters (the status frame)."""
        if isinstance(request, OAuth2Request):
            return request
        return transport.FlaskOAuth2Request(flask_request)

    def silent_response_params(self, params):
        """Answer a ``prompt=none`` request given as a dict; return the response parameters.

        The same grants, hooks and checks as ``/oidc/authorize`` — only the delivery differs:
        the caller (the status frame) posts these itself instead of a separate response page.
        """
        payload = dict(params, prompt="none", response_mode=response_modes.WEB_MESSAGE)
        oauth_request = transport.OAuth2Request("GET", flask_request.base_url)
        oauth_request.payload = BasicOAuth2Payload(payload)
        try:
            grant = self.get_consent_grant(request=oauth_request)
            # web_message has no default redirect URI: the validated one is the requested one.
            return grant.response_params(payload["redirect_uri"], oauth_request.user)
        except OAuth2Error as error:
            # Posted only to the frame's own registered origin, even when the request's
            # redirect_uri was not acceptable (a page of ours would have posted nothing).
            error.state = payload.get("state")
            return error_params(error)

    def handle_error_response(self, request, error):
        """Send an error to the client the way a success would go (RFC 6749 §4.1.2.1)."""
        if error.redirect_uri is None:
            return super().handle_error_response(request, error)
        requested = request.payload.data.get("response_mode")
        default = response_modes.FRAGMENT if error.redirect_fragment else response_modes.QUERY
        mode = requested if requested in response_modes.RESPONSE_MODES else default
        return self.handle_response(*response_modes.render(error.redirect_uri,
                                                           error_params(error), mode))


def error_params(error):
    """Return an error's response parameters, with the failure reason when there is one."""
    params = error.get_body()
    if reason := getattr(error, "reason", None):
        params.append(("reason", reason))
    return params


class _RevocationEndpoint(create_revocation_endpoint(db.session, Token)):
    # RFC 7009 §2.1: public clients revoke their tokens too, identified by client_id.
    CLIENT_AUTH_METHODS = metadata.CLIENT_AUTH_METHODS


def _save_token(token, request):
    session = browser_session_of(request)
    db.session.add(Token(client_id=request.client.client_id, user_id=request.user.id,
                         browser_session_id=session.id if session else None,
                         family=token_family_of(request),
                         offline=tokens.is_offline(request.client, token.get("scope")),
                         **token))
    db.session.commit()


require_token = ResourceProtector()
require_token.register_token_validator(create_bearer_token_validator(db.session, Token)())


def init_app(app):
    """Create the app's authorization server: token lifetimes, grants and endpoints."""
    lifetime = int(app.config["LXL_ACCESS_TOKEN_LIFETIME"].total_seconds())
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN",
                          dict.fromkeys(metadata.GRANT_TYPES, lifetime))
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", metadata.SCOPES)
    server = LxlAuthorizationServer(app, query_client=create_query_client_func(db.session, Client),
                                    save_token=_save_token)
    server.register_grant(AuthorizationCodeGrant,
                          [S256CodeChallenge(required=True), OpenIDCodeExtension()])
    server.register_grant(IdTokenGrant)
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(_RevocationEndpoint)
    server.register_endpoint(EndSessionEndpoint)
    app.extensions["lxl.authorization_server"] = server
    transport.init_app(app)


def authorization_server():
    """Return the current app's authorization server."""
    return current_app.extensions["lxl.authorization_server"]

