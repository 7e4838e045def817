"""The load generator of bench/compare: one thread and one HTTP/1.1 connection per virtual client.

Both servers get exactly this client. Each virtual client is a thread holding one HTTP/1.1
connection (``TCP_NODELAY``) to 127.0.0.1, opened before the clock starts and kept alive for
as long as the server keeps it: a server that closes it after an answer (``Connection:
close``, as gunicorn's sync workers do) gets a new one with the next request, its set-up in
that request's latency. A phase runs for a fixed time, or until a shared queue of prepared
items is empty (the codes the token phase redeems). A thread builds each request just before
sending it (its own ``state``, ``nonce`` and PKCE pair), sends it, reads the whole answer and
keeps it with the request: nothing is checked while the clock runs; the caller checks every
answer once the phase is over.

A request's latency runs from just before it is written to the last byte of its answer. The
phase's rate is the number of answers divided by the time from the start to the last answer.

The connection is a few lines over a socket (``Connection``), not ``http.client``: both
servers share these two cores with the generator, and ``http.client`` spent about 0.4 ms of
CPU per request (its header parsing is the email package's), which capped the ceiling below
what node-oidc-provider answers and took CPU from both servers. Everything the checks read
is the status and the body; the answer's framing (``Content-Length`` or chunked,
``Connection: close``) is honoured as RFC 9112 §6 says.
"""

import contextlib
import os
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from bench.idp import percentile

TIMEOUT = 60
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Request:
    """What to send, and what its answer must show (``expect``, for the checker)."""

    method: str
    path: str
    headers: dict
    body: bytes | None = None
    expect: dict = field(default_factory=dict)


@dataclass
class Answer:
    """One request and what came back: status and body, or the error instead."""

    request: Request
    status: int | None
    body: bytes
    began: float
    ended: float
    error: str | None = None

    @property
    def latency_ms(self):
        return (self.ended - self.began) * 1000


@dataclass
class Phase:
    """The answers of one timed phase, and what the servers' processes spent on it."""

    concurrency: int
    answers: list
    wall: float
    server_cpu: float = 0.0  # seconds of CPU, all processes of the server
    client_cpu: float = 0.0  # seconds of CPU of this process (the load generator)

    @property
    def rate(self):
        return len(self.answers) / self.wall if self.wall > 0 else 0.0

    def latency(self, fraction):
        return percentile([a.latency_ms for a in self.answers], fraction) if self.answers else 0.0

    @property
    def server_cpu_ms(self):
        """CPU milliseconds the server spent per request (all its processes)."""
        return self.server_cpu * 1000 / len(self.answers) if self.answers else 0.0


class ProtocolError(Exception):
    """An answer that is not HTTP/1.1 this client can read."""


class Connection:
    """One HTTP/1.1 connection to 127.0.0.1, kept alive if the server allows: a request out,
    its whole answer in."""

    def __init__(self, port):
        self.port, self.socket, self.buffer = port, None, b""

    def connect(self):
        self.socket = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def close(self):
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def exchange(self, method, path, body, headers):
        """Send one request; return ``(status, body)`` of its answer."""
        if self.socket is None:
            self.connect()
        # What http.client would add: a Host (each side names its own) and no compression.
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity", **headers}
        lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value
                                                 in headers.items())]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        head = self._read_until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "chunked" in fields.get("transfer-encoding", "").lower():
            content = self._read_chunked()
        elif "content-length" in fields:
            content = self._read_exactly(int(fields["content-length"]))
        else:
            raise ProtocolError(f"an answer without Content-Length or chunks: {status_line}")
        if fields.get("connection", "").lower() == "close" or version != "HTTP/1.1":
            self.close()  # reopened by the next request
        return int(status), content

    def _receive(self):
        data = self.socket.recv(65536)
        if not data:
            raise ProtocolError("the server closed the connection mid-answer")
        self.buffer += data

    def _read_until(self, marker):
        while (end := self.buffer.find(marker)) < 0:
            self._receive()
        found, self.buffer = self.buffer[:end], self.buffer[end + len(marker):]
        return found

    def _read_exactly(self, size):
        while len(self.buffer) < size:
            self._receive()
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def _read_chunked(self):
        chunks = []
        while size := int(self._read_until(b"\r\n").split(b";")[0], 16):
            chunks.append(self._read_exactly(size))
            self._read_until(b"\r\n")
        while self._read_until(b"\r\n"):  # trailer fields, up to the empty line
            pass
        return b"".join(chunks)


def group_cpu_seconds(process_group):
    """Return the user + system CPU seconds of the live processes of ``process_group``.

    Read from /proc (Linux). Workers that exited during the phase are not counted; none
    should.
    """
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        # After "pid (comm)": state ppid pgrp … utime (14th field of the whole line) stime.
        if int(fields[2]) == process_group:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def run(port, concurrency, build, *, seconds=None, items=None, process_group=None):
    """Run one phase against 127.0.0.1:``port`` with ``concurrency`` virtual clients.

    ``build(client, item)`` returns the ``Request`` the virtual client numbered ``client``
    sends next; ``item`` is the next item of ``items`` (a phase that ends when they are all
    used), or ``None`` in a phase that ends after ``seconds``. ``process_group`` is the
    server's, whose CPU time the phase reports.
    """
    if (seconds is None) == (items is None):
        raise ValueError("give either seconds or items")
    queue = deque(items or ())
    answers = [[] for _ in range(concurrency)]
    start = threading.Barrier(concurrency + 1)
    clock = {}
    failures = []

    def client(number):
        connection = Connection(port)
        try:
            connection.connect()
        except OSError as error:
            failures.append(f"could not connect to 127.0.0.1:{port}: {error}")
            start.abort()
            return
        try:
            start.wait()
            send(number, connection)
        except threading.BrokenBarrierError:
            pass
        except Exception as error:  # noqa: BLE001 — a bug of the bench, not of the server
            failures.append(f"virtual client {number} failed: {type(error).__name__}: {error}")
            raise
        finally:
            connection.close()

    def send(number, connection):
        mine = answers[number]
        deadline = clock["deadline"]
        while True:
            if items is not None:
                try:
                    item = queue.popleft()
                except IndexError:
                    break
            elif time.perf_counter() >= deadline:
                break
            else:
                item = None
            request = build(number, item)
            began = time.perf_counter()
            try:
                status, body = connection.exchange(request.method, request.path, request.body,
                                                   request.headers)
                answer = Answer(request, status, body, began, time.perf_counter())
            except (OSError, ValueError, ProtocolError) as error:
                connection.close()
                answer = Answer(request, None, b"", began, time.perf_counter(),
                                f"{type(error).__name__}: {error}")
            mine.append(answer)

    threads = [threading.Thread(target=client, args=(n,), daemon=True)
               for n in range(concurrency)]
    for thread in threads:
        thread.start()
    cpu_before = group_cpu_seconds(process_group) if process_group else 0.0
    client_before = time.process_time()
    began = time.perf_counter()
    clock["deadline"] = began + (seconds or 0)
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(failures[0])
    flat = [answer for mine in answers for answer in mine]
    last = max((answer.ended for answer in flat), default=began)
    return Phase(concurrency, flat, last - began,
                 server_cpu=(group_cpu_seconds(process_group) - cpu_before
                             if process_group else 0.0),
                 client_cpu=time.process_time() - client_before)
