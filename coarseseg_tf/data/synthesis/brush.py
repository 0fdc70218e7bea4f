"""What a hand with a brush makes on a label map: fills, gaps, strokes and scribbles.

Every function works on binary (H, W) maps at the image's own resolution and takes
all its randomness from the ``np.random.Generator`` passed in, so a seed reproduces
a drawing exactly. Distances are Euclidean, in pixels, from the boundary of a
region (:func:`signed_distance`). The styles in
:mod:`~coarseseg_tf.data.synthesis.styles` combine these into drawings.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import morphology

from coarseseg_tf.data.synthesis.morpho import keep_fraction


def signed_distance(region: np.ndarray) -> np.ndarray:
    """Binary (H, W) -> float (H, W) distance to the region's edge: > 0 outside, < 0 inside.

    The edge lies between pixels, so a pixel next to it is at ±0.5 and ``d <= k``
    is the region grown by k pixels (``d <= -k`` shrunk by k). The region must be
    neither empty nor the whole map.
    """
    region = region.astype(bool)
    return np.where(region, 0.5 - ndimage.distance_transform_edt(region),
                    ndimage.distance_transform_edt(~region) - 0.5)


def smooth_noise(shape: tuple, rng: np.random.Generator, scale: float) -> np.ndarray:
    """(H, W) float noise of unit standard deviation that varies over ``scale`` pixels."""
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=scale)
    return noise / max(float(noise.std()), 1e-12)


def fill(region: np.ndarray, rng: np.random.Generator, offset: tuple, roughness: float,
         keep_skeleton: bool = False, scale: float = 3.0) -> np.ndarray:
    """A brush fill of a binary (H, W) region that misses its edge by ``offset`` pixels.

    The offset is drawn once per call from ``offset`` (low, high) (> 0: the fill
    spills past the edge, < 0: it stays inside) and varies along the edge by
    ``roughness`` pixels of smooth noise, kept within (low, high): a hand keeps
    roughly, not exactly, the same distance from an edge. ``keep_skeleton``: a fill
    inside a stroke thinner than twice the offset keeps the stroke's skeleton, as a
    person still draws a line along it.
    """
    low, high = offset
    along_edge = rng.uniform(low, high) + roughness * smooth_noise(region.shape, rng, scale)
    drawn = signed_distance(region) <= np.clip(along_edge, low, high)
    return drawn | morphology.skeletonize(region) if keep_skeleton else drawn


def erase_blobs(drawing: np.ndarray, rng: np.random.Generator, count: int, radius: tuple) -> np.ndarray:
    """The (H, W) drawing with ``count`` disks of radius in (low, high) px erased: the
    gaps a quick brush leaves. Centres are drawn pixels."""
    points = np.argwhere(drawing)
    out = drawing.copy()
    if len(points) == 0:
        return out
    for _ in range(count):
        y, x = points[rng.integers(len(points))]
        r = int(rng.integers(radius[0], radius[1] + 1))
        disk = morphology.disk(r).astype(bool)
        # the disk clipped to the map where it reaches over an edge
        top, left = max(y - r, 0), max(x - r, 0)
        bottom, right = min(y + r + 1, out.shape[0]), min(x + r + 1, out.shape[1])
        out[top:bottom, left:right] &= ~disk[top - (y - r): bottom - (y - r), left - (x - r): right - (x - r)]
    return out


def strokes(zone: np.ndarray, rng: np.random.Generator, count: int, length: tuple,
            width: tuple, bend: float = 0.35) -> np.ndarray:
    """``count`` thin strokes that stay inside the binary (H, W) ``zone``.

    Each is a random walk of ``length`` (low, high) one-pixel steps from a random zone
    pixel whose heading turns by N(0, ``bend``) radians a step, like a hand's slow
    curve; at the zone's edge it turns aside once, and stops (the brush is lifted) if
    that leaves the zone too. The path is thickened to ``width`` (low, high) pixels
    and cut back to the zone. An empty zone gets no strokes.
    """
    painted = np.zeros(zone.shape, bool)
    starts = np.argwhere(zone)
    if len(starts) == 0:
        return painted
    for _ in range(count):
        path = np.zeros(zone.shape, bool)
        y, x = starts[rng.integers(len(starts))].astype(float)
        heading = rng.uniform(0.0, 2 * np.pi)
        for _ in range(int(rng.integers(length[0], length[1] + 1))):
            path[int(round(y)), int(round(x))] = True
            heading += rng.normal(0.0, bend)
            for turn in (0.0, rng.choice([-1.0, 1.0]) * np.pi / 2):
                ny, nx = y + np.sin(heading + turn), x + np.cos(heading + turn)
                iy, ix = int(round(ny)), int(round(nx))
                if 0 <= iy < zone.shape[0] and 0 <= ix < zone.shape[1] and zone[iy, ix]:
                    heading += turn
                    y, x = ny, nx
                    break
            else:
                break
        side = int(rng.integers(width[0], width[1] + 1))
        painted |= ndimage.binary_dilation(path, structure=np.ones((side, side), bool)) if side > 1 else path
    return painted & zone


def scribble(area: np.ndarray, rng: np.random.Generator, ratio: tuple) -> np.ndarray:
    """A scribble on a binary (H, W) area with a fraction in ``ratio`` (low, high) of
    its pixels, as the paper's scribbles: a connected piece of its skeleton.

    A blob's skeleton (a disk's is its centre) is shorter than the scribble: there it
    is a one-pixel stroke through the blob's inner part instead.
    """
    fraction = rng.uniform(*ratio)
    count = max(1, int(round(fraction * area.sum())))
    if morphology.skeletonize(area).sum() >= count:
        return keep_fraction(area, fraction, rng, scribble_below=1.0)
    inner = area & (signed_distance(area) <= -1)
    return strokes(inner if inner.any() else area, rng, 1, (count, count), (1, 1))
