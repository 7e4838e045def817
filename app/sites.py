"""One app, two sites: route each request to the IdP or the NGO site by its ``Host``.

CONTRACT.md: one process serves ``id.localhost:PORT`` and ``ngo.localhost:PORT`` (in production
the configured origins). Both must be different *sites* to a browser, so each blueprint is
bound to its host with Werkzeug's host matching, and a request for any other host gets a 404
page that names the two hosts served.
"""

import re
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request
from flask.blueprints import BlueprintSetupState

IDP = "idp"
NGO = "ngo"


def origin_host(origin):
    """Return the ``host[:port]`` of an origin such as ``http://id.localhost:5000``."""
    return urlsplit(origin).netloc


def site_origins(app=None):
    """Return ``{site name: origin}`` for the configured sites."""
    config = (app or current_app).config
    return {IDP: config["LXL_IDP_ORIGIN"], NGO: config["LXL_NGO_ORIGIN"]}


def current_site():
    """Return the name of the site this request is for, or ``None`` for a foreign host."""
    for site, origin in site_origins().items():
        if request.host == origin_host(origin):
            return site
    return None


class _HostBoundSetupState(BlueprintSetupState):
    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        options.setdefault("host", self.options["host"])
        super().add_url_rule(rule, endpoint, view_func, **options)


class SiteBlueprint(Blueprint):
    """A blueprint whose every route answers on one host only (``register(host=...)``)."""

    def make_setup_state(self, app, options, first_registration=False):
        return _HostBoundSetupState(self, app, options, first_registration)


# A path on this site as a URL carries it: printable ASCII, no spaces, so nothing else can
# go into a Location header (no CR/LF). "//host" and "/\\host" (browsers read a backslash as
# a slash) lead to someone else's site.
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")


def is_local_path(target):
    """True if ``target`` is a path on this site, safe to redirect to (``next`` parameters)."""
    return isinstance(target, str) and _LOCAL_PATH.fullmatch(target) is not None


def csp_nonce():
    """Return this response's script nonce for ``Content-Security-Policy``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def set_security_headers(response):
    """Give every page a CSP; unless a view chose its framers, nobody may frame it."""
    if "Content-Security-Policy" not in response.headers:
        # The NGO site embeds LxL ID as any relying party would: the SDK's script, its
        # frames and its fetches come from the IdP origin.
        embeds = (current_app.config["LXL_IDP_ORIGIN"],) if current_site() == NGO else ()
        response.headers["Content-Security-Policy"] = content_security_policy("'none'", embeds)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def content_security_policy(frame_ancestors, embeds=(), inline_style=False):
    """Return the CSP for a page that ``frame_ancestors`` may frame.

    ``embeds`` are other origins whose scripts, frames and endpoints the page uses.
    ``inline_style`` lets the page's ``<style nonce>`` apply, for a page that must render
    without fetching a stylesheet first (the sign-in button frame).
    """
    sources = " ".join(("'self'", *embeds))
    styles = f"'self' 'nonce-{csp_nonce()}'" if inline_style else "'self'"
    return (
        "default-src 'self'; "
        f"script-src {sources} 'nonce-{csp_nonce()}'; connect-src {sources}; "
        f"frame-src {sources}; "
        f"style-src {styles}; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )


def not_found(error):
    """Answer 404; for a host that is neither site, name the hosts this server serves."""
    if current_site() is None:
        hosts = [origin_host(o) for o in site_origins().values()]
        return render_template("unknown_host.html", host=request.host, hosts=hosts), 404
    return render_template("error.html", title="Page not found",
                           message="There is no page at this address."), 404


def init_app(app):
    """Install host matching, the security headers and the 404 page."""
    app.url_map.host_matching = True
    app.after_request(set_security_headers)
    app.register_error_handler(404, not_found)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
