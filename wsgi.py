"""WSGI entry point: ``flask --app wsgi run``, ``gunicorn wsgi:app`` or ``python wsgi.py``."""

import os

from app import create_app
from app.serving import BoundedThreadsServer

app = create_app()

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    threads = int(os.environ.get("LXL_SERVER_THREADS", "64"))
    # Threaded: the NGO backend calls the IdP in this same process during sign-in.
    server = BoundedThreadsServer("127.0.0.1", port, app, threads)
    print(f" * Serving on http://127.0.0.1:{port} ({threads} connections at once)", flush=True)
    server.serve_forever()
