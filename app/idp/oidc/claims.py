"""Who the user is, as each client may see it (OpenID Connect Core §5 and §8).

Identifiers are pairwise (§8.1): ``sub`` and ``sid`` differ per client, so two NGO sites
cannot correlate one person or one browser session through LxL ID.
"""

import hashlib
from base64 import urlsafe_b64encode

from authlib.oidc.core import UserInfo


def _pairwise(seed, client_id):
    digest = hashlib.sha256(f"{seed}:{client_id}".encode()).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def subject(user, client_id):
    """Return the user's pairwise ``sub`` for ``client_id`` (OIDC Core §8.1)."""
    return _pairwise(user.subject_seed, client_id)


def session_id(browser_session, client_id):
    """Return the per-client ``sid`` of a browser session (OIDC Front-Channel Logout §2)."""
    return _pairwise(browser_session.sid_seed, client_id)


def scoped_claims(user, scope):
    """Return the claims ``scope`` grants about ``user``, without ``sub`` (OIDC Core §5.4)."""
    scopes = set(scope.split())
    info = UserInfo()
    if "profile" in scopes:
        info["name"] = user.name
    if "email" in scopes:
        info["email"] = user.email
        info["email_verified"] = user.email_verified
    return info


def user_info(user, scope, client_id):
    """Return the UserInfo response for a token of ``client_id`` (OIDC Core §5.3.2)."""
    return UserInfo(sub=subject(user, client_id), **scoped_claims(user, scope))
