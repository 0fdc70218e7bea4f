"""Figures in the spirit of the paper's Figure 2.

One row per image: the image, its positive and negative drawings, the drawings the
model estimates (argmax of A_o·p and A_c·p), the two estimated confusion-matrix maps
coloured by the joint probability of (drawn, true) — TP green, FN blue, FP red,
TN black — the prediction and the true mask.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from coarseseg_tf.images import as_image_batch  # noqa: E402

CM_COLOURS = {"TP": (0.1, 0.8, 0.2), "FN": (0.2, 0.4, 1.0), "FP": (1.0, 0.2, 0.2), "TN": (0.0, 0.0, 0.0)}


def confusion_colours(cm: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binary CMs (H, W, 2, 2) and p (H, W, 2) -> RGB (H, W, 3) of the joint TP/FN/FP/TN mass."""
    joint = cm * p[..., None, :]  # joint[i, j] = p(drawn i, true j)
    weights = {"TP": joint[..., 1, 1], "FN": joint[..., 0, 1], "FP": joint[..., 1, 0], "TN": joint[..., 0, 0]}
    rgb = sum(w[..., None] * np.array(CM_COLOURS[k]) for k, w in weights.items())
    return np.clip(rgb, 0.0, 1.0)


def drawing_overlay(image, drawn, colour):
    """Grey image (H, W) with the drawn pixels (H, W) bool tinted by ``colour``."""
    rgb = np.repeat(np.clip(image, 0, 1)[..., None], 3, axis=-1) * 0.6
    rgb[drawn] = 0.35 * rgb[drawn] + 0.65 * np.array(colour)
    return rgb


def _label_image(labels, num_classes):
    shown = np.ma.masked_equal(labels.astype(np.int32), 255)
    return dict(X=shown, cmap="viridis", vmin=0, vmax=max(num_classes - 1, 1), interpolation="nearest")


def figure_rows(model, images, positive=None, negative=None, masks=None):
    """Everything a figure row shows, as numpy arrays keyed by column title."""
    import keras
    images = as_image_batch(images)
    p = keras.ops.convert_to_numpy(model(images))
    cms = model.confusion_matrices(images)
    q_pos = np.einsum("...ij,...j->...i", cms["positive"], p)
    q_neg = np.einsum("...ij,...j->...i", cms["negative"], p)
    empty = np.full(images.shape[:3], 255, np.uint8)
    columns = {
        "image": images[..., 0] if images.shape[-1] == 1 else images[..., :3],
        "positive drawing": positive if positive is not None else empty,
        "negative drawing": negative if negative is not None else empty,
        "estimated positive": q_pos.argmax(-1),
        "estimated negative": q_neg.argmax(-1),
        "prediction": p.argmax(-1),
        "true mask": masks if masks is not None else empty,
    }
    if p.shape[-1] == 2:
        columns["CM positive"] = np.stack([confusion_colours(c, pp) for c, pp in zip(cms["positive"], p)])
        columns["CM negative"] = np.stack([confusion_colours(c, pp) for c, pp in zip(cms["negative"], p)])
    return columns


def save_figure(model, path, images, positive=None, negative=None, masks=None, max_rows=6):
    """Writes the figure as a PNG at ``path`` and returns the path."""
    n = min(max_rows, len(images))
    columns = figure_rows(model, images[:n], None if positive is None else positive[:n],
                          None if negative is None else negative[:n], None if masks is None else masks[:n])
    order = ["image", "positive drawing", "negative drawing", "estimated positive",
             "estimated negative", "CM positive", "CM negative", "prediction", "true mask"]
    order = [c for c in order if c in columns]
    num_classes = model.num_classes
    fig, axes = plt.subplots(n, len(order), figsize=(1.6 * len(order), 1.6 * n + 0.6), squeeze=False)
    for col, title in enumerate(order):
        for row in range(n):
            ax = axes[row, col]
            data = columns[title][row]
            if title == "image":
                ax.imshow(data, cmap="gray")
            elif title in ("positive drawing", "negative drawing") and num_classes == 2:
                # binary maps: show where each drawing marks "object" / "not object"
                # (label 1 in both) over the image, rather than raw label values
                grey = columns["image"][row] if columns["image"].ndim == 3 else columns["image"][row].mean(-1)
                colour = (0.1, 0.9, 0.2) if title.startswith("positive") else (1.0, 0.25, 0.2)
                ax.imshow(drawing_overlay(grey, data == 1, colour), interpolation="nearest")
            elif title.startswith("CM "):
                ax.imshow(data, interpolation="nearest")
            else:
                ax.imshow(**_label_image(data, num_classes))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, col].set_title(title, fontsize=8)
    fig.text(0.5, 0.005, "drawings: positive (on the object) green, negative (not the object) red; "
             "CM maps: joint p(drawn, true) as TP green, FN blue, FP red, TN black",
             ha="center", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
