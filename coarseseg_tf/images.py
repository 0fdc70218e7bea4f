"""Image arrays as the networks take them: checks shared by training and inference."""
from __future__ import annotations

import numpy as np


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
