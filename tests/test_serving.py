"""``python wsgi.py``'s server: a bound on its threads."""

import http.client
import threading

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
