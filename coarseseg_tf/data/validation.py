"""Checks on user arrays before training: each failure names the problem and the index."""
from __future__ import annotations

import numpy as np

from coarseseg_tf.metrics import IGNORE_LABEL


def as_image_batch(images, name: str = "images") -> np.ndarray:
    """(N, H, W) or (N, H, W, C) numbers -> finite float32 (N, H, W, C)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    if not np.issubdtype(images.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {images.dtype}")
    images = images.astype(np.float32)
    finite = np.isfinite(images).reshape(len(images), -1).all(axis=1)
    if not finite.all():
        raise ValueError(f"{name}[{int(np.argmin(finite))}] has NaN or inf pixels")
    return images


def as_label_batch(labels, images: np.ndarray, num_classes: int, name: str):
    """(N, H, W) integer map matching ``images`` -> int32; None stays None."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim == 4 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.ndim != 3 or labels.shape[0] != images.shape[0]:
        raise ValueError(f"{name} must have shape (N, H, W) with N = {images.shape[0]}, got {labels.shape}")
    if labels.shape[1:] != images.shape[1:3]:
        raise ValueError(f"{name} maps are {labels.shape[1:]} but images are {images.shape[1:3]}: "
                         "image and label sizes must match")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.isfinite(labels).all() or (labels != np.round(labels)).any():
            raise ValueError(f"{name} must hold integer class labels")
    labels = labels.astype(np.int64)
    bad = ((labels < 0) | (labels >= num_classes)) & (labels != IGNORE_LABEL)
    if bad.any():
        index = int(np.argmax(bad.reshape(len(labels), -1).any(axis=1)))
        value = int(labels[index][bad[index]][0])
        raise ValueError(f"{name}[{index}] holds label {value}: labels must be in "
                         f"[0, {num_classes}) or the ignore value {IGNORE_LABEL}")
    return labels.astype(np.int32)


def check_num_classes(num_classes: int) -> int:
    if int(num_classes) != num_classes or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes}")
    return int(num_classes)


def check_every_image_annotated(n: int, **label_maps) -> None:
    """Raises if some image carries no drawing and no mask at all (|S(x)| = 0)."""
    annotated = np.zeros(n, bool)
    for labels in label_maps.values():
        if labels is not None:
            annotated |= (labels != IGNORE_LABEL).reshape(n, -1).any(axis=1)
    if not annotated.all():
        index = int(np.argmin(annotated))
        given = ", ".join(k for k, v in label_maps.items() if v is not None) or "none"
        raise ValueError(f"image {index} has no drawing at all (checked: {given}); "
                         "every training image needs a positive or negative drawing or a mask")
