"""Label maps: the ignore value and the checks every path applies to them.

A label map is an integer array (H, W) or (N, H, W): a class in [0, L) where the
annotation says something and ``IGNORE_LABEL`` (255) where it says nothing. This module
is the bottom of the package: everyone imports it and it imports nothing of ours.
"""
from __future__ import annotations

import numpy as np

#: the value of a pixel that a mask or drawing leaves unlabelled
IGNORE_LABEL = 255


def check_num_classes(num_classes: int) -> int:
    """L as an int; raises ValueError unless it is an integer >= 2."""
    if isinstance(num_classes, bool) or int(num_classes) != num_classes or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes}")
    return int(num_classes)


def out_of_range(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Bool array: where ``labels`` is outside [0, L) and not IGNORE_LABEL."""
    labels = np.asarray(labels)
    return ((labels < 0) | (labels >= num_classes)) & (labels != IGNORE_LABEL)


def first_out_of_range(labels: np.ndarray, num_classes: int):
    """The first label outside [0, L) that is not IGNORE_LABEL, or None."""
    labels = np.asarray(labels)
    bad = out_of_range(labels, num_classes)
    return labels[bad][0] if bad.any() else None


def _whole_numbers(labels: np.ndarray, name: str) -> np.ndarray:
    """``labels`` if every value is a whole number (integers, bools, integral floats).

    Raises ValueError naming ``name`` for any other dtype (strings, objects, complex)
    and for floats that are NaN, inf or fractional.
    """
    kind = labels.dtype
    if kind != bool and not (np.issubdtype(kind, np.integer) or np.issubdtype(kind, np.floating)):
        raise ValueError(f"{name} must hold integer class labels, got dtype {kind}")
    if np.issubdtype(kind, np.floating) and not (np.isfinite(labels) & (labels == np.round(labels))).all():
        raise ValueError(f"{name} must hold integer class labels, got NaN, inf or fractions")
    return labels


def check_label_map(mask, num_classes: int, name: str = "mask", shape=None) -> np.ndarray:
    """A single (H, W) label map with classes in [0, L) or 255; raises ValueError otherwise.

    ``name`` is what the errors call the map; ``shape`` (H, W), if given, is the size
    it must have (its image's).
    """
    mask = _whole_numbers(np.asarray(mask), name)
    if mask.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {mask.shape}")
    if shape is not None and mask.shape != tuple(shape):
        raise ValueError(f"{name} is {mask.shape} but the image is {tuple(shape)}: sizes must match")
    bad = first_out_of_range(mask, num_classes)
    if bad is not None:
        raise ValueError(f"{name} holds label {bad}, outside [0, {num_classes}) and not {IGNORE_LABEL}")
    return mask


def as_label_batch(labels, images: np.ndarray, num_classes: int, name: str):
    """(N, H, W) integer maps matching ``images`` (N, H, W, C) -> int32; None stays None."""
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
    labels = _whole_numbers(labels, name)
    # checked before the cast to int32, which would wrap large values into range
    bad = out_of_range(labels, num_classes)
    if bad.any():
        index = int(np.argmax(bad.reshape(len(labels), -1).any(axis=1)))
        value = labels[index][bad[index]][0]
        raise ValueError(f"{name}[{index}] holds label {value:g}: labels must be in "
                         f"[0, {num_classes}) or the ignore value {IGNORE_LABEL}")
    return labels.astype(np.int32)


# matplotlib's tab10 then the lighter halves of tab20: distinct for up to 20 classes
_PALETTE = np.array([
    (0.12, 0.47, 0.71), (1.00, 0.50, 0.05), (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.40, 0.74),
    (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.50, 0.50, 0.50), (0.74, 0.74, 0.13), (0.09, 0.75, 0.81),
    (0.68, 0.78, 0.91), (1.00, 0.73, 0.47), (0.60, 0.87, 0.54), (1.00, 0.60, 0.59), (0.77, 0.69, 0.84),
    (0.77, 0.61, 0.58), (0.97, 0.71, 0.82), (0.78, 0.78, 0.78), (0.86, 0.86, 0.55), (0.62, 0.85, 0.90)])
# class 0: light, so a background fill stays visible over a dark image and apart from "not drawn"
BACKGROUND_COLOUR = (0.93, 0.87, 0.70)
IGNORE_COLOUR = (1.0, 1.0, 1.0)  # IGNORE_LABEL: nothing known or drawn


def class_colours(num_classes: int) -> np.ndarray:
    """(L, 3) RGB in [0, 1], one per class: sand background, then the palette (cycled past 21)."""
    return np.array([BACKGROUND_COLOUR] + [_PALETTE[i % len(_PALETTE)] for i in range(num_classes - 1)])


def colour_labels(labels, num_classes: int) -> np.ndarray:
    """Label maps (..., H, W) -> RGB (..., H, W, 3) float32 in [0, 1]; IGNORE_LABEL white."""
    table = np.full((256, 3), IGNORE_COLOUR)
    table[:num_classes] = class_colours(num_classes)
    return table[np.asarray(labels, np.int64).clip(0, 255)].astype(np.float32)
