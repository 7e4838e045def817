"""The load generator of bench/compare: one thread and one keep-alive connection per virtual client.

Both servers get exactly this client. Each virtual client is a thread holding one
``http.client.HTTPConnection`` (HTTP/1.1 keep-alive, ``TCP_NODELAY``) to 127.0.0.1, opened
before the clock starts. A phase runs for a fixed time, or until a shared queue of prepared
items is empty (the codes the token phase redeems). A thread builds each request just before
sending it (its own ``state``, ``nonce`` and PKCE pair), sends it, reads the whole answer and
keeps it with the request: nothing is checked while the clock runs; the caller checks every
answer once the phase is over.

A request's latency runs from just before it is written to the last byte of its answer. The
phase's rate is the number of answers divided by the time from the start to the last answer.
"""

import contextlib
import http.client
import os
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
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
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
                connection.request(request.method, request.path, request.body, request.headers)
                response = connection.getresponse()
                body = response.read()
                answer = Answer(request, response.status, body, began, time.perf_counter())
                if response.will_close:
                    connection.close()  # reopened by the next request
            except (OSError, http.client.HTTPException) as error:
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
