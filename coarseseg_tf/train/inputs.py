"""Checks on what a user hands to training: each failure names the problem and the index."""
from __future__ import annotations

import numpy as np

from coarseseg_tf.labels import IGNORE_LABEL


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
