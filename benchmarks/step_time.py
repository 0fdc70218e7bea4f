"""Training step time of the methods relative to a plain U-Net of the same size.

Each method's compiled train step (Keras' ``train_function``, one batch per call) is
timed in blocks of ``--steps`` calls, and the blocks are interleaved (plain, default,
cm, …, plain, …) so that load from elsewhere on a shared machine hits all of them
alike; the ratio of the median block times is reported. Timing steps, not
``model.fit`` epochs, leaves out the per-epoch callbacks and iterator set-up, which
made earlier epoch timings jump between a few fixed values.

The default (``fit()``'s method) trains on labels its refiner makes once per image
before training; that one-off cost is reported separately, per image, and its step is
timed on those labels. MNIST size (28×28), 400 images, batch 16, U-Net width 16, depth
2. The 1-minute load average before and after is printed and saved: a ratio measured
while other work ran is not an idle measurement. Writes benchmarks/results/step_time.md.

    python benchmarks/step_time.py [--rounds 7] [--steps 25]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))
from results_io import write_results  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from coarseseg_tf import CoarseSegModel  # noqa: E402
from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist  # noqa: E402
from coarseseg_tf.labels import IGNORE_LABEL  # noqa: E402
from coarseseg_tf.models.objectives import DEFAULT_METHOD, get_objective  # noqa: E402
from coarseseg_tf.refine import refine_drawings  # noqa: E402

PLAIN = "supervised"
METHODS = (PLAIN, DEFAULT_METHOD, "cm", "cm_positive_only")


def training_data(method: str, train, refined) -> tf.data.Dataset:
    """The batches ``method`` trains on: the refined labels for a method with a refiner."""
    positive, negative = train.positive, train.negative
    if get_objective(method).refiner:
        positive, negative = refined, np.full_like(refined, IGNORE_LABEL)
    return tf.data.Dataset.from_tensor_slices(
        {"image": train.images, "positive": positive.astype("int32"), "negative": negative.astype("int32"),
         "mask": train.masks.astype("int32")}).batch(16, drop_remainder=True).cache().repeat()


def time_block(model, iterator, steps: int) -> float:
    """Seconds per step over ``steps`` calls of the compiled train step."""
    start = time.perf_counter()
    for _ in range(steps):
        logs = model.train_function(iterator)
    float(next(iter(logs.values())))  # wait for the last step's result
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved blocks per method")
    parser.add_argument("--steps", type=int, default=25, help="train steps per block")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    train, _ = make_coarse_mnist(400, 100, seed=0)
    refiner = get_objective(DEFAULT_METHOD).refiner
    started = time.perf_counter()
    refined = refine_drawings(train.images, train.positive, train.negative, refiner, 2)
    refine_ms = 1000 * (time.perf_counter() - started) / len(train.images)
    models, iterators = {}, {}
    for method in METHODS:
        model = CoarseSegModel(method=method)
        model.build()
        model.compile(optimizer="adam")
        model.make_train_function()
        iterators[method] = iter(training_data(method, train, refined))
        time_block(model, iterators[method], 3)  # trace and warm up
        models[method] = model
    times = {m: [] for m in METHODS}
    for _ in range(args.rounds):
        for method, model in models.items():
            times[method].append(time_block(model, iterators[method], args.steps))
    load_after = os.getloadavg()[0]
    plain = float(np.median(times[PLAIN]))
    rows = {m: {"ms_per_step": 1000 * float(np.median(t)), "images_per_second": 16 / float(np.median(t)),
                "vs_plain_unet": float(np.median(t)) / plain,
                "spread": [1000 * float(min(t)), 1000 * float(max(t))]} for m, t in times.items()}
    record = {"methods": rows, "refine_ms_per_image": refine_ms, "refiner": refiner,
              "load_average_1min": {"before": load_before, "after": load_after}, "cpu_count": os.cpu_count()}
    lines = ["# Training step time vs a plain U-Net", "",
             f"MNIST 28×28, batch 16, U-Net width 16 depth 2, CPU ({os.cpu_count()} cores): median of "
             f"{args.rounds} interleaved blocks of {args.steps} compiled train steps per method. "
             f"1-minute load average {load_before:.2f} before, {load_after:.2f} after "
             f"(this benchmark alone keeps about one core busy: ≲ 1.3 after means nothing else ran). "
             f"Generated by `benchmarks/step_time.py`.", "",
             "| method | ms/step (min–max block) | images/s | × plain U-Net |", "|---|---|---|---|"]
    for m, r in rows.items():
        name = "plain U-Net (supervised)" if m == PLAIN else f"{m} (default)" if m == DEFAULT_METHOD else m
        lines.append(f"| {name} | {r['ms_per_step']:.1f} ({r['spread'][0]:.1f}–{r['spread'][1]:.1f}) | "
                     f"{r['images_per_second']:.0f} | {r['vs_plain_unet']:.2f} |")
    lines += ["", f"The default's labels (`{refiner}` refiner) are made once per image before training: "
              f"{refine_ms:.1f} ms per image here, not part of the step."]
    text = "\n".join(lines) + "\n"
    print(text)
    write_results("step_time", text, record)


if __name__ == "__main__":
    main()
