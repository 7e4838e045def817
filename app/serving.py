"""The server ``python wsgi.py`` runs: Werkzeug's threaded server with a bound on its threads.

Werkzeug starts one thread per connection, without limit, and a kept-alive connection keeps
its thread while the browser leaves it idle. Here at most ``threads`` connections are served
at once (later ones wait in the listen backlog) and an idle one gives its thread back after
``IDLE_SECONDS``. The bound is generous on purpose: the NGO backend calls the IdP inside this
same process during sign-in, so a small pool could have every thread waiting for a request
that no thread is left to serve. Memory is bounded where it is spent, around Argon2
(``LXL_PASSWORD_HASH_CONCURRENCY``), not by starving the server of threads. Production runs
``gunicorn wsgi:app`` instead, with its own worker and thread counts.
"""

import threading

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

IDLE_SECONDS = 30


class IdleTimeoutHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing a connection that sends nothing for ``IDLE_SECONDS``."""

    timeout = IDLE_SECONDS

    def log_request(self, code="-", size="-"):
        """Log nothing: app/logs.py logs every request, and without its query string, which
        Werkzeug's line would print (codes, tokens and addresses travel in it)."""

    def log_error(self, format, *args):
        """Log nothing: the standard library reports a malformed request by quoting its
        request line, query string included ("Bad request syntax ('GET /?code=…')")."""

    def log_message(self, format, *args):
        """Log nothing: the same lines as ``log_error``'s, at another level."""


class BoundedThreadsServer(ThreadedWSGIServer):
    """Werkzeug's threaded WSGI server serving at most ``threads`` connections at once."""

    def __init__(self, host, port, app, threads):
        super().__init__(host, port, app, IdleTimeoutHandler)
        self._slots = threading.BoundedSemaphore(threads)

    def process_request(self, request, client_address):
        """Wait for a free thread, then serve the connection in it."""
        self._slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()
