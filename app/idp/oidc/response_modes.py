"""How an authorization response reaches the client: the response modes.

- ``query`` and ``fragment``: OAuth 2.0 Multiple Response Type Encoding Practices §2.1;
- ``form_post``: OAuth 2.0 Form Post Response Mode §2;
- ``web_message``: draft-sakimura-oauth-wmrm (OAuth 2.0 Web Message Response Mode), as
  CONTRACT.md shapes it: ``{type: "authorization_response", response: {...}}`` posted to
  ``window.opener`` or else ``window.parent``, only to the redirect URI's exact origin.

Every function returns Authlib's ``(status, body, headers)`` triple.
"""

from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from flask import render_template

from ...sites import content_security_policy

QUERY, FRAGMENT, FORM_POST, WEB_MESSAGE = "query", "fragment", "form_post", "web_message"
RESPONSE_MODES = (QUERY, FRAGMENT, FORM_POST, WEB_MESSAGE)
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def origin_of(uri):
    """Return ``scheme://host[:port]`` of an absolute URI."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def render(redirect_uri, params, response_mode):
    """Deliver ``params`` (a list of pairs) to ``redirect_uri`` by ``response_mode``."""
    if response_mode in (QUERY, FRAGMENT):
        location = add_params_to_uri(redirect_uri, params, fragment=response_mode == FRAGMENT)
        return 302, "", [("Location", location)] + NO_STORE
    if response_mode == FORM_POST:
        body = render_template("idp/form_post.html", action=redirect_uri, params=params)
        return 200, body, _html_headers("'none'")
    origin = origin_of(redirect_uri)
    body = render_template("idp/web_message.html", origin=origin, response=dict(params))
    # Only the registered origin may frame this page; no COOP, so window.opener survives.
    return 200, body, _html_headers(origin)


def _html_headers(frame_ancestors):
    return [("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", content_security_policy(frame_ancestors))] + NO_STORE
