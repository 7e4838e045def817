"""LxL ID: one Flask app serving the identity provider and a sample NGO site."""

from pathlib import Path

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from . import config, database, health, logs, loopback, proxy, sessions, sites
from .extensions import csrf, db, migrate
from .request import Request

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class LxlFlask(Flask):
    """Flask, logging an outage as one warning instead of a traceback per request."""

    def log_exception(self, exc_info):
        """Log an exception Flask answers with its 500 handler, unless it is an outage.

        An outage (app/health.py) is answered 503 by that handler and logged there as one
        warning without a traceback: a traceback per request would bury everything else.
        """
        if health.unavailable_service(exc_info[1]) is None:
            super().log_exception(exc_info)


def create_app(test_config=None):
    """Create the app: both sites, their sessions, the OIDC server and the CLI."""
    app = LxlFlask(__name__, instance_relative_config=True, static_folder=None)
    app.request_class = Request
    config.load_config(app, test_config)
    logs.init_app(app)
    loopback.init_app(app)
    proxy.init_app(app)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    sessions.init_app(app, db)
    sites.init_app(app)
    health.init_app(app)
    app.register_error_handler(CSRFError, _csrf_error)

    from .idp import bp as idp_bp, caches, cli, cors, mail, rate_limits
    from .idp.oidc import server
    from .ngo import bp as ngo_bp, oidc_client

    caches.init_app(app)
    mail.init_app(app)
    server.init_app(app)
    cors.init_app(app)
    rate_limits.init_app(app)
    oidc_client.init_app(app)
    app.register_blueprint(idp_bp, host=sites.origin_host(app.config["LXL_IDP_ORIGIN"]))
    app.register_blueprint(ngo_bp, host=sites.origin_host(app.config["LXL_NGO_ORIGIN"]))
    cli.init_app(app)
    return app


def _csrf_error(error):
    return render_template("error.html", title="Please try again",
                           message=f"{error.description} Go back, reload the page and "
                                   "submit the form again."), 400
