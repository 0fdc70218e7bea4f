"""One MNIST digit and one two-digit scene drawn in every drawing style, for the eye.

    python benchmarks/drawing_styles_figure.py

Rows: the digit's positive and negative drawings (binary, class 1 = the digit), then
the scene's (classes 0 = background, digit + 1 for each digit: L = 11). Columns: the
image over the true mask, then one style each (:data:`STYLES`), every drawing over the
image as drawn by :func:`draw` with the example's key. A positive pixel shows the
colour of its class; a negative pixel the colour of the class it says it is *not*.

Writes benchmarks/results/drawing_styles_figure.png.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from coarseseg_tf.data.datasets.mnist import load_mnist  # noqa: E402
from coarseseg_tf.data.synthesis.draw import draw  # noqa: E402
from coarseseg_tf.data.synthesis.styles import STYLES  # noqa: E402
from coarseseg_tf.labels import IGNORE_LABEL  # noqa: E402

OUTPUT = os.path.join(os.path.dirname(__file__), "results", "drawing_styles_figure.png")
SCENE_CLASSES = 11  # background and the ten digits, each digit d as class d + 1
COLOURS = plt.get_cmap("tab20")(np.arange(SCENE_CLASSES))[:, :3]


def two_digit_scene(digits, first: int, second: int):
    """A (28, 46) image and mask of two digits side by side, touching where their
    28-px tiles overlap; the mask holds digit + 1, the second digit on top."""
    image = np.zeros((28, 46), np.float32)
    mask = np.zeros((28, 46), np.uint8)
    for i, left in ((first, 0), (second, 18)):
        tile = digits.masks[i] == 1
        image[:, left:left + 28] = np.maximum(image[:, left:left + 28], digits.images[i])
        mask[:, left:left + 28][tile] = digits.digits[i] + 1
    return image, mask


def overlay(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(H, W) image in [0, 1] and (H, W) label map -> (H, W, 3): drawn pixels in their
    class colour over a dimmed image, undrawn (255) pixels the image."""
    rgb = np.repeat(0.35 * image[..., None], 3, axis=-1)
    drawn = labels != IGNORE_LABEL
    rgb[drawn] = COLOURS[labels[drawn]]
    return rgb


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    digits = load_mnist()
    first_other = int(np.flatnonzero(digits.digits != digits.digits[1])[0])
    examples = [("digit", digits.images[0], digits.masks[0], 2),
                ("scene", *two_digit_scene(digits, 1, first_other), SCENE_CLASSES)]
    names = list(STYLES)
    fig, axes = plt.subplots(2 * len(examples), len(names) + 1,
                             figsize=(1.6 * (len(names) + 1), 1.5 * 2 * len(examples) + 0.9))
    for e, (key, image, mask, num_classes) in enumerate(examples):
        for r, kind in enumerate(("positive", "negative")):
            row = axes[2 * e + r]
            row[0].imshow(overlay(image, mask) if r else image, cmap="gray", vmin=0, vmax=1)
            row[0].set_title(f"{key}: true mask" if r else f"{key}: image", fontsize=8)
            for ax, name in zip(row[1:], names):
                drawings = draw(mask, key, name, num_classes)
                ax.imshow(overlay(image, getattr(drawings, kind)))
                ax.set_title(f"{name}\n{kind}" if r == 0 else kind, fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    scene_classes = sorted(int(c) for c in np.unique(examples[1][2]))
    key = [Patch(color=COLOURS[c], label=f"class {c}" + (" (background)" if c == 0 else f" (digit {c - 1})"))
           for c in scene_classes]
    fig.legend(handles=key, loc="lower center", ncol=len(key), fontsize=8, frameon=False,
               title="colour of a positive pixel: its class; of a negative pixel: the class it is not "
                     "(digit row: class 1 = the digit)", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    fig.savefig(OUTPUT, dpi=110)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
