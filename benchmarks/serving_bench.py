"""Serving throughput and latency: the local TF Serving stand-in on loopback (REST and gRPC) vs in-process.

A CoarseSegModel (U-Net width 16, depth 2, L = 2, the pipeline's configuration) is
exported with coarseseg_tf.export and served by ``coarseseg serve --grpc-port`` in a
subprocess. Client threads (1, 4, 16) each send one image per request until
``--requests`` requests have been answered: over REST with ServingClient.segment (row
format, base64 PNG in, TF Serving JSON out, mask PNG decoded), over gRPC with
GrpcServingClient.segment (raw PNG bytes in a TensorProto, mask PNG out). MNIST-size
(28×28 real digits) and 256×256 (the same digits upscaled) images. The in-process
baseline calls the same SavedModel's ``serving_default`` one image at a time in this
process and decodes the mask PNG, as the clients do. Reported: requests per second,
p50/p99 latency, and each protocol's throughput and p50 relative to in-process.
Writes benchmarks/results/serving.md and .json.

    python benchmarks/serving_bench.py [--requests 2000] [--concurrency 1 4 16] [--sizes 28 256]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from results_io import write_results  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from coarseseg_tf import CoarseSegModel  # noqa: E402
from coarseseg_tf.data.examples import encode_png, to_uint8_image  # noqa: E402
from coarseseg_tf.data.datasets.mnist import load_mnist  # noqa: E402
from coarseseg_tf.export import export_saved_model, load_serving_model, segment_image_bytes  # noqa: E402
from coarseseg_tf.export.contract import DEFAULT_MODEL_NAME as MODEL_NAME, SERVING_SIGNATURE  # noqa: E402
from coarseseg_tf.serving import GrpcServingClient, ServingClient, ServingError  # noqa: E402

IN_PROCESS_NOTE = ("The in-process baseline calls the signature from one thread, one image at a time; "
                   "with several clients the server runs calls concurrently on both cores, which is how "
                   "a ratio above 1 can occur.")


def _images(size: int, count: int = 16) -> list[bytes]:
    digits = load_mnist(limit=count).images
    out = []
    for digit in digits:
        image = Image.fromarray(to_uint8_image(digit)[..., 0])
        if size != image.size[0]:
            image = image.resize((size, size), Image.BILINEAR)
        out.append(encode_png(np.asarray(image)))
    return out


def _summary(latencies, wall):
    latencies = np.asarray(latencies) * 1000
    return {"requests": int(len(latencies)), "seconds": round(wall, 2),
            "throughput_rps": round(len(latencies) / wall, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "p99_ms": round(float(np.percentile(latencies, 99)), 2)}


def in_process(serving_fn, encoded, requests):
    """Sequential calls of the signature, one image each."""
    for data in encoded[:5]:  # warm-up: first calls trace and allocate
        segment_image_bytes(serving_fn, [data])
    latencies, start = [], time.perf_counter()
    for i in range(requests):
        t = time.perf_counter()
        segment_image_bytes(serving_fn, [encoded[i % len(encoded)]])
        latencies.append(time.perf_counter() - t)
    return _summary(latencies, time.perf_counter() - start)


def checked_request(client, encoded, expected, i, errors):
    """Request ``i``: one image segmented by ``client``; its latency (s), or None when it failed.

    A failed request and a mask that differs from ``expected`` (the in-process masks) are
    appended to ``errors``.
    """
    t = time.perf_counter()
    try:
        mask = client.segment([encoded[i % len(encoded)]])[0]
    except ServingError as error:
        errors.append(str(error))
        return None
    elapsed = time.perf_counter() - t
    if not np.array_equal(mask, expected[i % len(encoded)]):
        errors.append(f"request {i}: mask differs from in-process")
    return elapsed


def over_server(make_client, encoded, requests, concurrency, expected):
    """``requests`` single-image requests from ``concurrency`` threads, one client each; checks every mask.

    ``make_client()`` makes a REST or gRPC client of the served model.
    """
    counter, lock, latencies, errors = [0], threading.Lock(), [], []

    def worker():
        client = make_client()
        while True:
            with lock:
                i = counter[0]
                if i >= requests:
                    return
                counter[0] += 1
            elapsed = checked_request(client, encoded, expected, i, errors)
            if elapsed is not None:
                with lock:
                    latencies.append(elapsed)

    warm_up = make_client()
    for data in encoded[:5]:
        warm_up.segment([data])
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, first: {errors[0]}")
    return _summary(latencies, wall)


def start_server(base_path, port, grpc_port=None):
    """``coarseseg serve`` in a subprocess, once it answers on ``port`` (and gRPC on ``grpc_port`` if given)."""
    grpc = ["--grpc-port", str(grpc_port)] if grpc_port is not None else []
    process = subprocess.Popen(
        [sys.executable, "-m", "coarseseg_tf.cli", "serve", "--model-base-path", base_path,
         "--model-name", MODEL_NAME, "--port", str(port), *grpc, "--max-image-pixels", str(1024 * 1024)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = ServingClient(f"http://127.0.0.1:{port}", MODEL_NAME, retries=0, timeout=5)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            client.status()
            return process
        except ServingError:
            if process.poll() is not None:
                raise RuntimeError("the server exited while starting")
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("the server did not come up within 180 s")


def export_bench_model(prefix: str):
    """The benchmarks' model (seed 0) exported as version 1 under a temporary base path.

    Returns (temporary directory to remove, base path, its ``serving_default`` loaded in-process).
    """
    import keras
    keras.utils.set_random_seed(0)
    model = CoarseSegModel(num_classes=2, input_channels=1, width=16, depth=2)
    model.build()
    workdir = tempfile.mkdtemp(prefix=prefix)
    base = os.path.join(workdir, MODEL_NAME)
    export_saved_model(model, os.path.join(base, "1"))
    return workdir, base, load_serving_model(base).signatures[SERVING_SIGNATURE]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per row of the table")
    parser.add_argument("--requests-256", type=int, help="requests per 256x256 row (default: --requests)")
    parser.add_argument("--in-process-requests", type=int, default=500, help="calls for the in-process baseline")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 256])
    parser.add_argument("--port", type=int, default=18601)
    parser.add_argument("--grpc-port", type=int, default=18600)
    parser.add_argument("--protocols", nargs="+", choices=("REST", "gRPC"), default=["REST", "gRPC"])
    args = parser.parse_args()

    workdir, base, serving_fn = export_bench_model("serving_bench_")

    rows = []
    server = start_server(base, args.port, args.grpc_port)
    clients = {"REST": lambda: ServingClient(f"http://127.0.0.1:{args.port}", MODEL_NAME, timeout=120, retries=0),
               "gRPC": lambda: GrpcServingClient(f"127.0.0.1:{args.grpc_port}", MODEL_NAME, timeout=120, retries=0)}
    load_before = os.getloadavg()
    try:
        for size in args.sizes:
            encoded = _images(size)
            expected = segment_image_bytes(serving_fn, encoded)
            requests = args.requests_256 if size == 256 and args.requests_256 else args.requests
            base_row = in_process(serving_fn, encoded, min(args.in_process_requests, requests))
            print(f"{size}x{size} in-process: {base_row}", flush=True)
            rows.append({"size": size, "mode": "in-process", "concurrency": 1, **base_row})
            for protocol in args.protocols:
                for concurrency in args.concurrency:
                    row = over_server(clients[protocol], encoded, requests, concurrency, expected)
                    row["throughput_vs_in_process"] = round(row["throughput_rps"] / base_row["throughput_rps"], 3)
                    row["p50_vs_in_process"] = round(row["p50_ms"] / base_row["p50_ms"], 2)
                    print(f"{size}x{size} {protocol} x{concurrency}: {row}", flush=True)
                    rows.append({"size": size, "mode": protocol, "concurrency": concurrency, **row})
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    load_after = os.getloadavg()
    lines = ["# Serving: local TF Serving stand-in over loopback (REST, gRPC) vs in-process SavedModel", "",
             f"Model: CoarseSegModel width 16, depth 2, L = 2, 1 channel; one image per request. "
             f"Server: `coarseseg serve --grpc-port` in a subprocess; clients: "
             f"ServingClient (REST, row format) or GrpcServingClient threads in another process, "
             f"every mask checked against the in-process result. Machine: {os.cpu_count()} CPU cores "
             f"({platform.machine()}) shared by server, clients and other work (load average "
             f"{load_before[0]:.1f} before the run, {load_after[0]:.1f} after, 1-minute); numbers are "
             "indicative only.", "",
             "| image | mode | clients | requests | req/s | p50 ms | p99 ms | req/s ÷ in-process | p50 ÷ in-process |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = (f"{r['throughput_vs_in_process']:.2f} | {r['p50_vs_in_process']:.2f}"
                 if r["mode"] != "in-process" else "1 | 1")
        lines.append(f"| {r['size']}×{r['size']} | {r['mode']} | {r['concurrency']} | {r['requests']} | "
                     f"{r['throughput_rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {ratio} |")
    lines += ["", "`serving_default` returns `mask_png_bytes` and `image_size` only (the mask array "
              "is in `serving_arrays`), so a REST answer is a base64 PNG, not 65,536 JSON numbers at "
              "256×256. urllib opens a new connection per request (with TCP_NODELAY: without it, "
              "Nagle's algorithm held each body over 2 KiB until the server's delayed ACK, up to 40 ms); "
              "a gRPC client keeps one channel. On a loaded machine p50 is the steadier comparison: the "
              "p99 tails, and so the req/s of a 200-request row, move with the other work. "
              + IN_PROCESS_NOTE]
    if args.requests_256 and args.requests_256 != args.requests:
        lines += ["", f"256×256 rows use {args.requests_256} requests instead of {args.requests} "
                      "to keep the whole run short on this machine."]
    lines.append("")
    path = write_results("serving", "\n".join(lines), {"rows": rows, "args": vars(args)})
    print(f"wrote {path}.md")


if __name__ == "__main__":
    main()
