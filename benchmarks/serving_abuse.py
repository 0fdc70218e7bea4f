"""Serving under slow clients: valid requests while 1,000 half-sent requests hold connections, and after they drop.

``coarseseg serve`` (defaults: 4 threads, 2,000 connections, 30 s read timeout) runs in a
subprocess on the model of ``serving_bench.py``. One client thread sends ``--requests``
single-image 28×28 requests (ServingClient, every mask checked) in three phases:

1. idle: nothing else connected;
2. held: ``--slow-clients`` connections have each sent the headers of a predict request
   with ``Content-Length: 1000`` and 10 bytes of body, and stay open, silent;
3. dropped: right after those connections are closed at once.

The phases run in ``--rounds`` interleaved rounds, so that other work on the machine
weighs on each alike. Reported per phase: success rate, p50/p99 latency against idle
(goal: 100 % success and p99 within 2× idle), the load average. Everything stays on 127.0.0.1 and
stops by itself: the slow clients are closed before the read timeout would close them.
Writes benchmarks/results/serving_abuse.md and .json.

    python benchmarks/serving_abuse.py [--requests 300] [--slow-clients 1000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from serving_bench import (MODEL_NAME, _images, _summary, checked_request, export_bench_model,  # noqa: E402
                           start_server)
from results_io import write_results  # noqa: E402

from coarseseg_tf.export import segment_image_bytes  # noqa: E402
from coarseseg_tf.serving import ServingClient  # noqa: E402

HALF_SENT = (f"POST /v1/models/{MODEL_NAME}:predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n0123456789").encode()
GOAL_P99_RATIO = 2.0


def valid_requests(url, encoded, expected, requests, latencies, failures):
    """``requests`` sequential single-image requests; appends to ``latencies`` (s) and ``failures``."""
    client = ServingClient(url, MODEL_NAME, timeout=30, retries=0)
    for i in range(requests):
        elapsed = checked_request(client, encoded, expected, i, failures)
        if elapsed is not None:
            latencies.append(elapsed)


def open_slow_clients(port, count):
    """``count`` connections that sent 10 of 1,000 body bytes and stay silent."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(HALF_SENT)
        sockets.append(sock)
    return sockets


def still_open(sockets) -> int:
    """How many of ``sockets`` the server has not closed (a closed one reads as end of stream)."""
    alive = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            alive += sock.recv(1) != b""
        except BlockingIOError:  # nothing to read: still open
            alive += 1
        except OSError:
            pass
    return alive


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="valid requests per phase")
    parser.add_argument("--slow-clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of idle, held, dropped")
    parser.add_argument("--port", type=int, default=18602)
    args = parser.parse_args()

    workdir, base, serving_fn = export_bench_model("serving_abuse_")
    encoded = _images(28)
    expected = segment_image_bytes(serving_fn, encoded)

    phases = ("idle", "held", "dropped")
    latencies, failures, seconds = ({phase: [] for phase in phases} for _ in range(3))
    loads, opened, open_after = [], [], []
    server = start_server(base, args.port)
    url = f"http://127.0.0.1:{args.port}"

    def phase(name):
        start = time.perf_counter()
        valid_requests(url, encoded, expected, args.requests, latencies[name], failures[name])
        seconds[name].append(time.perf_counter() - start)
        loads.append(os.getloadavg()[0])

    try:
        valid_requests(url, encoded, expected, 20, [], [])  # warm-up: traces the signature
        # rounds interleave the phases, so that other work on the machine weighs on each alike
        for _ in range(args.rounds):
            phase("idle")
            started = time.perf_counter()
            slow = open_slow_clients(args.port, args.slow_clients)
            opened.append(time.perf_counter() - started)
            time.sleep(2.0)  # let the server accept and read the last of them
            phase("held")
            open_after.append(still_open(slow))
            for sock in slow:
                sock.close()
            phase("dropped")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    rows = {}
    for name in phases:
        attempted = args.requests * args.rounds
        row = _summary(latencies[name], sum(seconds[name])) if latencies[name] else {"p50_ms": None, "p99_ms": None}
        row.update(attempted=attempted, failed=len(failures[name]),
                   success_rate=round((attempted - len(failures[name])) / attempted, 4))
        rows[name] = row
    for name, row in rows.items():
        row["p50_vs_idle"] = round(row["p50_ms"] / rows["idle"]["p50_ms"], 2)
        row["p99_vs_idle"] = round(row["p99_ms"] / rows["idle"]["p99_ms"], 2)
        row["meets_goal"] = row["success_rate"] == 1.0 and row["p99_vs_idle"] <= GOAL_P99_RATIO
        print(f"{name}: {row}" + (f" first failure: {failures[name][0]}" if failures[name] else ""), flush=True)

    lines = ["# Serving under slow clients: half-sent requests held open, then dropped", "",
             f"`coarseseg serve` with its defaults (waitress: 4 threads, 2,000 connections, 30 s read "
             f"timeout) in a subprocess; CoarseSegModel width 16, depth 2; one client sends "
             f"{args.requests} single-image 28×28 requests per phase, one after another (a new "
             "connection each, as urllib does), every mask checked. \"held\": "
             f"{args.slow_clients} connections have each sent a predict request's headers with "
             "`Content-Length: 1000` and 10 bytes of body and stay silent; \"dropped\": right after "
             f"they are all closed. {args.rounds} rounds of idle, held, dropped; each row pools its "
             f"phase's {args.requests * args.rounds} requests. Goal: 100 % success and p99 within "
             f"{GOAL_P99_RATIO:g}× the idle p99. Machine: {os.cpu_count()} CPU cores "
             f"({platform.machine()}) shared by server, clients and other work: 1-minute load average "
             f"{min(loads):.1f} to {max(loads):.1f} during the run; numbers are indicative only.", "",
             "| phase | requests | success | req/s | p50 ms | p99 ms | p50 ÷ idle | p99 ÷ idle | goal met |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['attempted']} | {100 * row['success_rate']:.1f} % | "
                     f"{row['throughput_rps']:.1f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                     f"{row['p50_vs_idle']:.2f} | {row['p99_vs_idle']:.2f} | {'yes' if row['meets_goal'] else 'no'} |")
    lines += ["", f"Opening the {args.slow_clients} slow connections took {max(opened):.2f} s at most; "
              f"{min(open_after)} to {max(open_after)} of them were still open (not timed out) when a held "
              "phase ended. With that many connections open, every turn of waitress's event loop walks "
              "all of them (it rebuilds its poll set each turn): by construction, not profiled, that is where the held "
              "phase's added latency comes from; idle connections hold no thread.", ""]
    path = write_results("serving_abuse", "\n".join(lines),
                         {"rows": rows, "failures": {k: v[:5] for k, v in failures.items()}, "args": vars(args),
                          "cpu_count": os.cpu_count(), "load_average_1min": [round(x, 2) for x in loads],
                          "seconds_to_open": [round(x, 3) for x in opened], "still_open_after_held": open_after})
    print(f"wrote {path}.md")


if __name__ == "__main__":
    main()
