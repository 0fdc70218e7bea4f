"""Figures: the paper's Figure 2 for a trained model, and training curves.

:func:`save_figure`: one row per image: the image, its positive and negative drawings,
the drawings the model estimates (argmax of A_o·p and A_c·p), the two estimated
confusion-matrix maps coloured by the joint probability of (drawn, true) — TP green,
FN blue, FP red, TN black — the prediction and the true mask, with the row's IoU.
Classes have one colour each (:func:`coarseseg_tf.labels.class_colours`) in every panel
and in the key. A positive drawing is a fill in the colour of the class drawn; a
negative drawing ("not ȳ") is outlined and hatched in the colour of ȳ, only where drawn.

:func:`save_training_curves`: the loss terms and validation mIoU per epoch of a History.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from coarseseg_tf.labels import IGNORE_LABEL, class_colours, colour_labels  # noqa: E402
from coarseseg_tf.metrics import mean_iou  # noqa: E402

from coarseseg_tf.images import as_image_batch  # noqa: E402

CM_COLOURS = {"TP": (0.1, 0.8, 0.2), "FN": (0.2, 0.4, 1.0), "FP": (1.0, 0.2, 0.2), "TN": (0.0, 0.0, 0.0)}
COLUMNS = ["image", "positive drawing", "negative drawing", "estimated positive",
           "estimated negative", "CM positive", "CM negative", "prediction", "true mask"]
HATCH_SCALE = 6  # drawings are drawn at this many times the image's size
HATCH_PERIOD = 8  # of those pixels between the diagonal strokes of a negative drawing


def confusion_colours(cm: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binary CMs (H, W, 2, 2) and p (H, W, 2) -> RGB (H, W, 3) of the joint TP/FN/FP/TN mass."""
    joint = cm * p[..., None, :]  # joint[i, j] = p(drawn i, true j)
    weights = {"TP": joint[..., 1, 1], "FN": joint[..., 0, 1], "FP": joint[..., 1, 0], "TN": joint[..., 0, 0]}
    rgb = sum(w[..., None] * np.array(CM_COLOURS[k]) for k, w in weights.items())
    return np.clip(rgb, 0.0, 1.0)


def drawing_overlay(grey: np.ndarray, labels: np.ndarray, num_classes: int, negative: bool) -> np.ndarray:
    """A drawing (H, W) over the dimmed image (H, W) as RGB (H, W, 3).

    Positive: pixels drawn as an object class filled with its colour; background (0)
    is left as the image, since in a full map it means "not drawn on". Negative: the
    edge of what was drawn, and thin diagonal hatching inside it, in the colour of the
    class each pixel says it is *not*: a stroke reads as a stroke and a whole-background
    map as a hatched region, not as a solid block.
    """
    # drawn at HATCH_SCALE times the size: hatching at pixel scale on a 28 px digit is a checkerboard
    grey, labels = (np.kron(a, np.ones((HATCH_SCALE, HATCH_SCALE), a.dtype)) for a in (grey, labels))
    rgb = np.repeat(np.clip(grey, 0, 1)[..., None], 3, axis=-1) * 0.5
    drawn = labels != IGNORE_LABEL
    if negative:
        rows, cols = np.indices(labels.shape)
        shown = drawn & (((rows + cols) % HATCH_PERIOD < 2) | ~_interior(drawn))
    else:
        shown = drawn & (labels != 0)
    rgb[shown] = 0.2 * rgb[shown] + 0.8 * colour_labels(labels[shown], num_classes)
    return rgb


def _interior(region: np.ndarray) -> np.ndarray:
    """Pixels of ``region`` (H, W) bool whose four neighbours are in it too (the image
    border counts as outside, so a full map is outlined along the border)."""
    padded = np.pad(region, 1)
    return (region & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:])


def figure_rows(model, images, positive=None, negative=None, masks=None):
    """Everything a figure row shows, as numpy arrays keyed by column title."""
    import keras
    images = as_image_batch(images)
    p = keras.ops.convert_to_numpy(model(images))
    cms = model.confusion_matrices(images)
    q_pos = np.einsum("...ij,...j->...i", cms["positive"], p)
    q_neg = np.einsum("...ij,...j->...i", cms["negative"], p)
    empty = np.full(images.shape[:3], IGNORE_LABEL, np.uint8)
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


def _panel(title: str, data: np.ndarray, grey: np.ndarray, num_classes: int) -> np.ndarray:
    """The RGB (H, W, 3) of one panel; ``grey`` (H, W) is the row's image, under the drawings."""
    if title == "image":
        return np.repeat(data[..., None], 3, axis=-1) if data.ndim == 2 else data
    if title.startswith("CM "):
        return data
    if title.endswith("drawing"):
        return drawing_overlay(grey, data, num_classes, negative=title == "negative drawing")
    return colour_labels(data, num_classes)


def _title(model) -> str:
    c = model.model_config
    return (f"method {c.method} · U-Net width {c.width}, depth {c.depth}, {c.cm_form} CM heads · "
            f"L = {c.num_classes}")


def _key(model, has_cms: bool) -> list:
    """Legend handles: one per class, 'not drawn', the hatching, and the CM colours."""
    names = ["background"] + [f"class {c}" for c in range(1, model.num_classes)]
    handles = [Patch(facecolor=colour, edgecolor="grey", label=name)
               for colour, name in zip(class_colours(model.num_classes), names)]
    handles.append(Patch(facecolor="white", edgecolor="grey", label="not drawn / no mask"))
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="////",
                         label="negative drawing: not this class"))
    if has_cms:
        handles += [Patch(facecolor=colour, label=f"CM {name}") for name, colour in CM_COLOURS.items()]
    return handles


def save_figure(model, path, images, positive=None, negative=None, masks=None, max_rows=6):
    """Writes the figure as a PNG at ``path`` and returns the path.

    images: (N, H, W) or (N, H, W, C); positive, negative, masks: (N, H, W) label maps
    (255 = not drawn / unknown). With masks, each row is labelled with its IoU (the
    mean over classes, background included, as a fraction).
    """
    n = min(max_rows, len(images))
    columns = figure_rows(model, images[:n], None if positive is None else positive[:n],
                          None if negative is None else negative[:n], None if masks is None else masks[:n])
    order = [c for c in COLUMNS if c in columns]
    num_classes = model.num_classes
    greys = columns["image"] if columns["image"].ndim == 3 else columns["image"].mean(-1)
    fig, axes = plt.subplots(n, len(order), figsize=(1.6 * len(order), 1.6 * n + 1.2), squeeze=False)
    for row in range(n):
        for col, title in enumerate(order):
            ax = axes[row, col]
            ax.imshow(_panel(title, columns[title][row], greys[row], num_classes), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        if masks is not None:
            iou = mean_iou(masks[row], columns["prediction"][row], num_classes)
            axes[row, order.index("prediction")].text(
                0.04, 0.96, f"IoU {iou:.3f}", transform=axes[row, order.index("prediction")].transAxes,
                va="top", fontsize=7, bbox=dict(facecolor="white", alpha=0.8, lw=0, pad=1))
    for col, title in enumerate(order):
        axes[0, col].set_title(title, fontsize=8)
    fig.suptitle(_title(model), fontsize=9)
    fig.legend(handles=_key(model, "CM positive" in columns), loc="lower center", ncol=5, fontsize=7,
               frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_training_curves(history: dict, path: str) -> str:
    """Loss terms (left) and validation mIoU (right) per epoch from ``History.history``.

    history: {name: [value per epoch]}; names starting with ``val_`` are validation
    metrics (mIoU as a fraction), the rest training loss terms. Returns ``path``.
    """
    losses = {k: v for k, v in history.items() if not k.startswith("val_") and any(v)}
    validation = {k: v for k, v in history.items() if k.startswith("val_")}
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, values in losses.items():
        left.plot(range(1, len(values) + 1), values, label=name, lw=2 if name == "loss" else 1)
    left.set(xlabel="epoch", title="training loss terms")
    left.legend(fontsize=7)
    for name, values in validation.items():
        right.plot(range(1, len(values) + 1), values, label=name.removeprefix("val_"))
    right.set(xlabel="epoch", title="validation mIoU (fraction)" if validation else "no validation data",
              ylim=(0, 1))
    if validation:
        right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
