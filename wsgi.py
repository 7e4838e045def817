"""WSGI entry point: ``flask --app wsgi run``, ``gunicorn wsgi:app`` or ``python wsgi.py``."""

import os

from app import create_app

app = create_app()

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    # Threaded: the NGO backend calls the IdP in this same process during sign-in.
    app.run(host="127.0.0.1", port=port, threaded=True)
