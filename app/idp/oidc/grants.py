"""The grants the IdP offers, as Authlib grant subclasses and extensions.

- authorization code + PKCE, S256 only, enforced at the authorization endpoint
  (RFC 6749 §4.1, RFC 7636 §4.3, RFC 9700 §2.1.1), ID token from the token endpoint
  (OIDC Core §3.1);
- ``response_type=id_token`` (OIDC Core §3.2), the SDK's credential: nonce required and
  never in a query string;
- every response mode of ``response_modes`` for both authorization grants.
"""

from dataclasses import dataclass

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode
from authlib.oidc.core.grants import OpenIDImplicitGrant
from flask import current_app, g
from sqlalchemy import and_, bindparam, or_

from ... import database, logs
from ...extensions import db
from .. import accounts, keys, tokens
from ..models import (
    AuthorizationCode,
    BrowserSession,
    CodeRules,
    TokenFamily,
    User,
    epoch,
    new_secret,
)
from . import claims, max_age, metadata, response_modes, session_state, silent
from .response_modes import FRAGMENT, QUERY, RESPONSE_MODES, WEB_MESSAGE

REPLAYED_NONCE = ("This 'nonce' was already used in an authorization request of this client "
                  "(a replay?): send a new one with every request.")


@dataclass(frozen=True)
class CodeSnapshot(CodeRules, AuthorizationCodeMixin):
    """An authorization code as the token endpoint reads it, with its user and browser
    session: a row, never changed (``tokens.mark_code_used`` redeems it). Read as a row and
    not as ORM objects: loading three of those cost a token request about a fifth of its
    time (issue 12)."""

    id: int
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    auth_time: int
    max_age_requested: bool
    code_challenge: str | None
    code_challenge_method: str | None
    created_at: int
    family: str
    user: accounts.UserSnapshot
    browser_session: accounts.SessionSnapshot | None

    COLUMNS = (AuthorizationCode.id, AuthorizationCode.client_id, AuthorizationCode.redirect_uri,
               AuthorizationCode.scope, AuthorizationCode.nonce, AuthorizationCode.auth_time,
               AuthorizationCode.max_age_requested, AuthorizationCode.code_challenge,
               AuthorizationCode.code_challenge_method, AuthorizationCode.created_at,
               AuthorizationCode.family)

    @classmethod
    def of(cls, row):
        """Return the snapshot of a row of ``_CODE``."""
        width = len(cls.COLUMNS)
        (code_id, client_id, redirect_uri, scope, nonce, auth_time, max_age_requested,
         challenge, method, created_at, family) = row[:width]
        # Then SessionSnapshot.COLUMNS: the session's own (NULL without one), its user's.
        session_width = width + len(accounts.SessionSnapshot.OWN_COLUMNS)
        user = accounts.UserSnapshot.of(row[session_width:])
        session = None if row[width] is None else \
            accounts.SessionSnapshot(*row[width:session_width], user)
        return cls(code_id, client_id, redirect_uri, scope, nonce, auth_time,
                   bool(max_age_requested), challenge, method, created_at, family,
                   user=user, browser_session=session)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce


# The statements every authorization or token request runs, built once (issue 12).
_NONCE_USED = silent.NONCE_USED.limit(1)
# The code with its user and its browser session (a code issued without one has none). A
# code bound to a session that is over buys nothing: its tokens would outlive the sign-out.
_CODE = db.select(*CodeSnapshot.COLUMNS, *accounts.SessionSnapshot.COLUMNS).select_from(
    AuthorizationCode).join(User, User.id == AuthorizationCode.user_id).outerjoin(
    BrowserSession, BrowserSession.id == AuthorizationCode.browser_session_id).where(
    AuthorizationCode.code == bindparam("code"),
    AuthorizationCode.client_id == bindparam("client_id"),
    or_(AuthorizationCode.browser_session_id.is_(None),
        and_(BrowserSession.ended_at.is_(None), BrowserSession.expires_at > bindparam("now"))))
# Plain INSERTs, without the unit of work: nothing in the request reads the rows back.
_INSERT_FAMILY = db.insert(TokenFamily.__table__)
_INSERT_CODE = db.insert(AuthorizationCode.__table__)


def browser_session_of(request):
    """Return the IdP browser session an OAuth request acts for, if any."""
    code = getattr(request, "authorization_code", None)
    if code is not None:
        return code.browser_session
    if (token := getattr(request, "refresh_token", None)) is not None:
        return token.browser_session
    return getattr(request, "browser_session", None)


def token_family_of(request):
    """Return the family new tokens of this request join (a code's, or a refresh token's)."""
    code = getattr(request, "authorization_code", None)
    if code is not None:
        return code.family
    return request.refresh_token.family


class ValidatedOnceMixin:
    """Validate an authorization request once, however often Authlib asks.

    Authlib validates it in ``get_consent_grant`` and again in
    ``create_authorization_response``; every view here responds to the very grant
    ``get_consent_grant`` returned, for the same request, so the second time could only
    repeat the first: the same checks and hooks, on the same parameters, and a second
    nonce lookup. A grant serves one request (Authlib makes one per request).
    """

    def validate_authorization_request(self):
        if not hasattr(self, "_validated_redirect_uri"):
            self._validated_redirect_uri = super().validate_authorization_request()
        return self._validated_redirect_uri


class ResponseModeMixin:
    """Deliver authorization responses and errors in any supported response mode."""

    DEFAULT_RESPONSE_MODE = QUERY

    @property
    def response_mode(self):
        """Return the response mode the client asked for, or the grant's default."""
        return self.request.payload.data.get("response_mode") or self.DEFAULT_RESPONSE_MODE

    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        """Check ``redirect_uri`` exactly; web_message also admits a registered web origin.

        CONTRACT.md's web_message rule: the URI must equal one registered redirect URI or
        web origin, with no default — the message goes to that URI's origin.
        """
        if request.payload.data.get("response_mode") != WEB_MESSAGE:
            return grants.AuthorizationEndpointMixin.validate_authorization_redirect_uri(
                request, client)
        uri = request.payload.redirect_uri
        if uri and (client.check_redirect_uri(uri) or uri in client.web_origins):
            return uri
        raise InvalidRequestError(
            f"'redirect_uri' {uri or '(missing)'} is neither a registered redirect URI nor a "
            "registered web origin of this client, as response_mode=web_message requires.")

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        mode = self.request.payload.data.get("response_mode")
        if mode is not None and mode not in RESPONSE_MODES:
            raise InvalidRequestError(
                f"Unsupported 'response_mode' {mode!r}; use one of {', '.join(RESPONSE_MODES)}.",
                redirect_uri=redirect_uri,
                redirect_fragment=self.DEFAULT_RESPONSE_MODE == FRAGMENT)
        return redirect_uri

    def create_authorization_response(self, redirect_uri, grant_user):
        """Deliver the response parameters by the requested response mode."""
        params = self.response_params(redirect_uri, grant_user)
        return response_modes.render(redirect_uri, params, self.response_mode)

    def response_params(self, redirect_uri, grant_user):
        """Issue the grant to ``grant_user`` (RFC 6749 §4.1.2, OIDC Core §3.2.2.5).

        Adds ``session_state`` (OIDC Session Management §3) for the redirect URI's origin.
        """
        if not grant_user:
            raise AccessDeniedError(redirect_uri=redirect_uri,
                                    redirect_fragment=self.DEFAULT_RESPONSE_MODE == FRAGMENT)
        self.request.user = grant_user
        params = self.authorization_params()
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        client_id = self.request.client.client_id
        params.append(("session_state", session_state.for_request(
            client_id, response_modes.origin_of(redirect_uri))))
        return params


def is_prompt_none(data):
    """True for a ``prompt=none`` request: ``PromptNoneMixin`` decides it, nonce check included."""
    return data.get("prompt") == "none"


class PromptNoneMixin:
    """``prompt=none``: sign in from the browser's IdP session or fail with the reason why.

    Authlib raises ``login_required`` only when no user is given and never
    ``consent_required``; here one verdict (``silent.evaluate``) decides both, and the
    matching session becomes the request's user.
    """

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        data = self.request.payload.data
        if not is_prompt_none(data):
            return redirect_uri
        try:
            client = self.request.client
            given = silent.Hints.read(data, client.client_id)
            # The One-Tap card's Continue looks past an opt-out (status_frame._authorize).
            ignore_opt_out = getattr(self.request, "ignore_opt_out", False)
            outcome = silent.evaluate(client, self.request.scope, given, ignore_opt_out,
                                      nonce=data.get("nonce"))
            # The status frame reads the verdict from here instead of deciding again.
            self.request.silent_outcome = outcome
            outcome.raise_for_error()
            if outcome.nonce_used:  # the replay check IdTokenIssuer.exists_nonce left to us
                raise InvalidRequestError(REPLAYED_NONCE)
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            error.redirect_fragment = self.DEFAULT_RESPONSE_MODE == FRAGMENT
            raise
        self.request.browser_session = outcome.session
        self.request.user = outcome.session.user
        return redirect_uri


class IdTokenIssuer:
    """What both ID-token issuers share: keys, issuer, audience and claims (OIDC Core §2)."""

    def _signing_key(self):
        if "signing_key" not in g:
            g.signing_key = keys.current_key()
        return g.signing_key

    def resolve_client_private_key(self, client):
        return self._signing_key()

    def get_client_algorithm(self, client):
        return keys.ALGORITHM

    def get_encode_header(self, client):
        return {"alg": keys.ALGORITHM, "kid": self._signing_key().kid, "typ": "JWT"}

    def get_client_claims(self, client):
        lifetime = current_app.config["LXL_ID_TOKEN_LIFETIME"].total_seconds()
        return {"iss": metadata.issuer(), "aud": client.client_id,
                "exp": epoch() + int(lifetime)}

    def get_compatible_claims(self, request):
        """Return the claims every ID token carries: pairwise ``sub`` and ``sid``.

        ``auth_time`` only when ``max_age`` asked for it (OIDC Core §2, §3.1.2.1): the
        same second in every client's token would correlate one person across clients.
        Authlib stamps it on every token; a code's own is ``models.CodeRules.get_auth_time``.
        """
        issued = super().get_compatible_claims(request)
        issued.pop("auth_time", None)
        client_id = request.client.client_id
        issued["sub"] = claims.subject(request.user, client_id)
        if (session := browser_session_of(request)) is not None:
            issued["sid"] = claims.session_id(session, client_id)
            if request.authorization_code is None and max_age.read(request.payload.data).requested:
                issued["auth_time"] = session.auth_time
        return issued

    def generate_user_info(self, user, scope):
        return claims.scoped_claims(user, scope)

    def exists_nonce(self, nonce, request):
        """Refuse a ``nonce`` the client already used in a code (OIDC Core §15.5.2).

        Raises instead of answering True, for a message that names the parameter. A
        ``prompt=none`` request is checked by ``PromptNoneMixin`` instead: the statement that
        finds the browser's session also tells whether the nonce was used, before anything
        is issued (a refused request issues nothing to replay).
        """
        if is_prompt_none(request.payload.data):
            return False
        if database.execute(_NONCE_USED, {"client_id": request.payload.client_id,
                                          "nonce": nonce}).first() is not None:
            raise InvalidRequestError(REPLAYED_NONCE)
        return False


class OpenIDCodeExtension(IdTokenIssuer, OpenIDCode):
    """Add the ID token to the code grant's token response (OIDC Core §3.1.3.3)."""


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, checked at the authorization endpoint (RFC 7636, RFC 9700 §2.1.1).

    Authlib's ``CodeChallenge`` defaults a missing method to ``plain`` and notices a missing
    challenge only at the token endpoint; a public client must send both, up front.
    """

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if challenge is None and method is None and not grant.request.client.is_public:
            return  # a confidential client authenticates at the token endpoint instead
        if not challenge:
            raise InvalidRequestError(
                "Missing 'code_challenge': public clients must use PKCE (RFC 7636) "
                "with code_challenge_method=S256.")
        if method != "S256":
            raise InvalidRequestError(
                f"Unsupported 'code_challenge_method' {method or '(missing)'}: "
                "only S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(ValidatedOnceMixin, ResponseModeMixin, PromptNoneMixin,
                             grants.AuthorizationCodeGrant):
    """RFC 6749 §4.1 with codes stored in the database and bound to the browser session."""

    TOKEN_ENDPOINT_AUTH_METHODS = metadata.CLIENT_AUTH_METHODS

    def generate_authorization_code(self):
        return tokens.new_token()

    def authorization_params(self):
        code = self.generate_authorization_code()
        self.save_authorization_code(code, self.request)
        return [("code", code)]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        session = browser_session_of(request)
        family = new_secret()  # the TokenFamily id of the tokens this code buys
        database.execute(_INSERT_FAMILY, {"id": family})
        database.execute(_INSERT_CODE, dict(
            code=code, client_id=request.client.client_id, family=family,
            redirect_uri=request.payload.redirect_uri or "", response_type="code",
            scope=request.scope, nonce=data.get("nonce"), user_id=request.user.id,
            auth_time=session.auth_time if session else epoch(),
            browser_session_id=session.id if session else None,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            max_age_requested=max_age.read(data).requested))
        db.session.commit()

    def query_authorization_code(self, code, client):
        row = database.execute(_CODE, {"code": code, "client_id": client.client_id,
                                       "now": epoch()}).first()
        if row is None:
            return None
        snapshot = CodeSnapshot.of(row)
        return None if snapshot.is_expired() else snapshot

    def save_token(self, token):
        """Redeem the code and store its tokens in one short transaction (RFC 6749 §4.1.2).

        Every check has passed and the tokens are made; the code is marked used and the
        tokens stored, committed together, before the ID token is signed. A code redeemed
        again — one request after another or two at once — was copied: the later request is
        refused and what the code bought is revoked, now and later.
        """
        code = self.request.authorization_code
        if not tokens.mark_code_used(code):
            db.session.rollback()
            tokens.revoke_family(code.family)
            logs.event("code_reuse_detected", user=code.user, client_id=code.client_id)
            raise InvalidGrantError("This 'code' was already used; every token issued for it "
                                    "is now revoked. Start a new authorization request.")
        super().save_token(token)  # commits the mark with the tokens

    def delete_authorization_code(self, authorization_code):
        """Keep the code: ``save_token`` marked it used, so a replay is recognised."""

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class IdTokenGrant(ValidatedOnceMixin, ResponseModeMixin, PromptNoneMixin, IdTokenIssuer,
                   OpenIDImplicitGrant):
    """``response_type=id_token`` (OIDC Core §3.2): an ID token and no access token."""

    RESPONSE_TYPES = {"id_token"}
    DEFAULT_RESPONSE_MODE = FRAGMENT

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        if self.request.payload.data.get("response_mode") == QUERY:
            # OAuth 2.0 Multiple Response Types §3.0: never put a token in the query.
            raise InvalidRequestError(
                "'response_mode=query' is not allowed with response_type=id_token: it would "
                "put the ID token in a URL. Use fragment, form_post or web_message.",
                redirect_uri=redirect_uri, redirect_fragment=True)
        return redirect_uri

    def authorization_params(self):
        return self.create_granted_params(self.request.user)
