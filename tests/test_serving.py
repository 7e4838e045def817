"""``python wsgi.py``'s server: a bound on its threads; and what it and ``flask run``'s server
write about requests."""

import http.client
import logging
import socket
import threading

import pytest
from werkzeug.serving import make_server

from app.serving import BoundedThreadsServer


def test_no_more_connections_are_served_at_once_than_the_bound():
    bound, requests = 2, 3
    together = threading.Barrier(requests)

    def app(environ, start_response):
        try:
            together.wait(timeout=1)  # passes only if every request is being served at once
            body = b"met"
        except threading.BrokenBarrierError:
            body = b"alone"
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    server = BoundedThreadsServer("127.0.0.1", 0, app, threads=bound)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    start, answers = threading.Barrier(requests), []

    def get():
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        start.wait()
        connection.request("GET", "/")
        answers.append(connection.getresponse().read())
        connection.close()

    clients = [threading.Thread(target=get) for _ in range(requests)]
    try:
        for client in clients:
            client.start()
        for client in clients:
            client.join()
    finally:
        server.shutdown()
        serving.join()
        server.server_close()
    assert answers == [b"alone"] * requests


SECRET = "secret-code-value"


def request_lines(port):
    """A well-formed request and a malformed one, each with a code in its query string."""
    for line in (f"GET /?code={SECRET} HTTP/1.1", f"GET /?code={SECRET} HTTP/1.1 HTTP/1.1"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(f"{line}\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            while connection.recv(4096):
                pass


@pytest.mark.parametrize("server", ["python wsgi.py", "flask run"])
def test_no_query_string_reaches_the_servers_own_lines(app, caplog, capfd, server):
    caplog.set_level(logging.DEBUG)
    served = (BoundedThreadsServer("127.0.0.1", 0, app, threads=2) if server == "python wsgi.py"
              else make_server("127.0.0.1", 0, app, threaded=True))  # as flask run serves
    serving = threading.Thread(target=served.serve_forever)
    serving.start()
    try:
        request_lines(served.server_port)
    finally:
        served.shutdown()
        serving.join()
        served.server_close()
    assert [record for record in caplog.records if record.name == "lxl"]  # the app's lines
    written = caplog.text + "".join(capfd.readouterr())
    assert SECRET not in written
