"""Synthetic coarse drawings made from true masks, Morpho-MNIST style.

Every perturbation works on a binary region upsampled 4× (so a one-pixel change at
the original size is a smooth four-pixel change here), measures the stroke thickness
from the medial axis, and is brought back to the original size at the end:

- thinning / thickening: erosion / dilation with a disk of radius ``amount·t/2``,
  t the mean stroke thickness (2 × mean distance-to-edge on the skeleton);
- swelling: a radial power warp r -> R·(r/R)^strength around a random skeleton point;
- fractures: short cuts perpendicular to the stroke at skeleton points away from
  tips and forks, long enough to cross the stroke.

A *positive* drawing perturbs the target region (fractures + over-segmentation by
default). A *negative* drawing applies the same recipe to the rest of the image and
carries the complementary label ȳ = target ("not the target class"). ``ratio`` keeps
only a part of a drawing around a random centre; very small ratios give a scribble,
a connected piece of the drawing's skeleton. All randomness comes from the
``np.random.Generator`` passed in, so a seed reproduces a drawing exactly.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage
from skimage import morphology

from coarseseg_tf.labels import IGNORE_LABEL, check_label_map

UPSAMPLE = 4
PERTURBATIONS = ("thin", "thicken", "swell", "fracture")


@dataclass(frozen=True)
class DrawingRecipe:
    """How a drawing departs from the region it is drawn on.

    Attributes:
      perturbations: applied in order; names from ``PERTURBATIONS``.
      thicken_amount, thin_amount: (low, high) of the uniform amount; the disk radius
        is ``amount · thickness / 2`` at 4× resolution.
      swell_strength, swell_radius: power of the radial warp and its radius in
        original pixels.
      num_fractures: cuts per drawing; fracture_width: cut width in original pixels.
      max_cut_length: longest cut in original pixels (bounds cuts across wide regions
        such as the background of a negative drawing).
      max_offset: largest thinning/thickening radius in original pixels, so blob-like
        regions (whose "thickness" is their whole width) are not swallowed.
      ratio: fraction of the drawing kept (1 = all). Below ``scribble_below`` the kept
        part is a connected piece of the skeleton.
    """

    perturbations: tuple = ("fracture", "thicken")
    thicken_amount: tuple = (0.6, 0.9)
    thin_amount: tuple = (0.4, 0.7)
    swell_strength: float = 3.0
    swell_radius: float = 7.0
    num_fractures: int = 3
    fracture_width: float = 1.5
    max_cut_length: float = 6.0
    max_offset: float = 3.0
    ratio: float = 1.0
    scribble_below: float = 0.05

    def __post_init__(self):
        unknown = [p for p in self.perturbations if p not in PERTURBATIONS]
        if unknown:
            raise ValueError(f"unknown perturbation(s) {unknown}; choose from {PERTURBATIONS}")
        if not 0.0 < self.ratio <= 1.0:
            raise ValueError(f"ratio must be in (0, 1], got {self.ratio}")
        if self.num_fractures < 0:
            raise ValueError(f"num_fractures must be >= 0, got {self.num_fractures}")


DEFAULT_POSITIVE = DrawingRecipe()
DEFAULT_NEGATIVE = DrawingRecipe(num_fractures=6)


# ---------------------------------------------------------------- resolution

def upsample(region: np.ndarray) -> np.ndarray:
    """Binary (H, W) -> binary (4H, 4W), each pixel a 4×4 block.

    Block copies make :func:`downsample` an exact inverse, so a perturbation that only
    removes pixels (a fracture, thinning) never adds one after the round trip.
    """
    return np.repeat(np.repeat(region.astype(bool), UPSAMPLE, axis=0), UPSAMPLE, axis=1)


def downsample(region: np.ndarray) -> np.ndarray:
    """Binary (4H, 4W) -> (H, W): a pixel is in the region if half its 4×4 block is."""
    h, w = region.shape[0] // UPSAMPLE, region.shape[1] // UPSAMPLE
    blocks = region[: h * UPSAMPLE, : w * UPSAMPLE].reshape(h, UPSAMPLE, w, UPSAMPLE)
    return blocks.mean(axis=(1, 3)) >= 0.5


# ---------------------------------------------------------------- measurements

def skeleton_and_thickness(region: np.ndarray):
    """Medial axis of a binary region and its mean thickness 2·mean(distance on skeleton)."""
    skeleton = morphology.skeletonize(region)
    if not skeleton.any():
        return skeleton, 0.0
    distance = ndimage.distance_transform_edt(region)
    return skeleton, float(2.0 * distance[skeleton].mean())


def _skeleton_degree(skeleton: np.ndarray) -> np.ndarray:
    neighbours = ndimage.convolve(skeleton.astype(np.int32), np.ones((3, 3), np.int32),
                                  mode="constant") - 1
    return np.where(skeleton, neighbours, 0)


# ---------------------------------------------------------------- perturbations (4× resolution)

def _radius(thickness, amount, max_offset):
    return int(np.clip(round(amount * thickness / 2), 1, max(1, max_offset * UPSAMPLE)))


def thicken(region, thickness, amount, max_offset=np.inf):
    radius = _radius(thickness, amount, max_offset)
    return ndimage.binary_dilation(region, structure=morphology.disk(radius))


def thin(region, thickness, amount, max_offset=np.inf):
    radius = _radius(thickness, amount, max_offset)
    thinned = ndimage.binary_erosion(region, structure=morphology.disk(radius))
    # thinning must not erase the drawing: keep at least the skeleton
    return thinned | morphology.skeletonize(region) if thinned.sum() < region.sum() * 0.2 else thinned


def swell(region, rng, strength, radius):
    skeleton = morphology.skeletonize(region)
    points = np.argwhere(skeleton)
    if len(points) == 0:
        return region
    cy, cx = points[rng.integers(len(points))]
    yy, xx = np.mgrid[: region.shape[0], : region.shape[1]].astype(np.float64)
    dy, dx = yy - cy, xx - cx
    r = np.hypot(dy, dx)
    inside = (r < radius) & (r > 0)
    # inverse map: an output pixel at distance r samples the input at R·(r/R)^strength,
    # closer to the centre for strength > 1, which magnifies (swells) the stroke there
    scale = np.ones_like(r)
    scale[inside] = (radius * (r[inside] / radius) ** strength) / r[inside]
    coords = np.stack([cy + dy * scale, cx + dx * scale])
    return ndimage.map_coordinates(region.astype(np.float32), coords, order=1) >= 0.5


def fracture(region, rng, num, width, max_length, thickness):
    """Cuts ``num`` gaps across the stroke at skeleton points away from tips and forks."""
    skeleton = morphology.skeletonize(region)
    degree = _skeleton_degree(skeleton)
    ends_and_forks = (degree == 1) | (degree >= 3)
    margin = max(2, int(round(thickness)))
    near_special = ndimage.binary_dilation(ends_and_forks, iterations=margin)
    candidates = np.argwhere(skeleton & ~near_special)
    if len(candidates) == 0:
        candidates = np.argwhere(skeleton)
    if len(candidates) == 0 or num == 0:
        return region
    out = region.copy()
    half_length = min(thickness + 2 * UPSAMPLE, max_length) / 2
    yy, xx = np.mgrid[: region.shape[0], : region.shape[1]]
    for idx in rng.choice(len(candidates), size=min(num, len(candidates)), replace=False):
        cy, cx = candidates[idx]
        # local stroke direction: principal axis of the nearby skeleton pixels
        window = np.argwhere(skeleton[max(cy - 6, 0): cy + 7, max(cx - 6, 0): cx + 7])
        if len(window) >= 2:
            centred = window - window.mean(axis=0)
            _, _, vt = np.linalg.svd(centred, full_matrices=False)
            tangent = vt[0]
        else:
            tangent = np.array([1.0, 0.0])
        normal = np.array([-tangent[1], tangent[0]])
        along = (yy - cy) * tangent[0] + (xx - cx) * tangent[1]
        across = (yy - cy) * normal[0] + (xx - cx) * normal[1]
        out[(np.abs(along) <= width / 2) & (np.abs(across) <= half_length)] = False
    return out


def perturb_region(region: np.ndarray, recipe: DrawingRecipe, rng: np.random.Generator,
                   scale_region: np.ndarray | None = None) -> np.ndarray:
    """Applies ``recipe.perturbations`` to a binary (H, W) region; returns a binary (H, W) map.

    Sizes are relative to the stroke thickness of ``scale_region`` (default: the
    region itself). A negative drawing perturbs the background but measures the
    object: an annotator's slack scales with the object drawn around, not with the
    (much thicker) background.
    """
    big = upsample(region)
    _, thickness = skeleton_and_thickness(big if scale_region is None else upsample(scale_region))
    if thickness == 0:
        return region.copy()
    for name in recipe.perturbations:
        if name == "thicken":
            big = thicken(big, thickness, rng.uniform(*recipe.thicken_amount), recipe.max_offset)
        elif name == "thin":
            big = thin(big, thickness, rng.uniform(*recipe.thin_amount), recipe.max_offset)
        elif name == "swell":
            big = swell(big, rng, recipe.swell_strength, recipe.swell_radius * UPSAMPLE)
        else:
            big = fracture(big, rng, recipe.num_fractures, recipe.fracture_width * UPSAMPLE,
                           recipe.max_cut_length * UPSAMPLE, thickness)
    return downsample(big)


# ---------------------------------------------------------------- smaller areas

def _skeleton_piece(drawing, rng, count):
    """A connected piece of the drawing's skeleton with ``count`` pixels (BFS from a random point)."""
    skeleton = morphology.skeletonize(drawing)
    points = np.argwhere(skeleton)
    if len(points) == 0:
        points, skeleton = np.argwhere(drawing), drawing
    start = tuple(points[rng.integers(len(points))])
    kept = np.zeros_like(drawing)
    queue, seen = deque([start]), {start}
    while queue and kept.sum() < count:
        y, x = queue.popleft()
        kept[y, x] = True
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                n = (y + dy, x + dx)
                if (0 <= n[0] < drawing.shape[0] and 0 <= n[1] < drawing.shape[1]
                        and skeleton[n] and n not in seen):
                    seen.add(n)
                    queue.append(n)
    return kept


def keep_fraction(drawing: np.ndarray, ratio: float, rng: np.random.Generator,
                  scribble_below: float = 0.05) -> np.ndarray:
    """Keeps about ``ratio`` of the drawn pixels, nearest to a random drawn centre.

    Never returns an empty map when the drawing is not empty. Below ``scribble_below``
    the kept pixels are a connected skeleton piece (a scribble).
    """
    points = np.argwhere(drawing)
    if ratio >= 1.0 or len(points) == 0:
        return drawing.copy()
    count = max(1, int(round(ratio * len(points))))
    if ratio < scribble_below:
        return _skeleton_piece(drawing, rng, count)
    centre = points[rng.integers(len(points))]
    order = np.argsort(((points - centre) ** 2).sum(axis=1), kind="stable")
    kept = np.zeros_like(drawing)
    chosen = points[order[:count]]
    kept[chosen[:, 0], chosen[:, 1]] = True
    return kept


# ---------------------------------------------------------------- drawings

@dataclass(frozen=True)
class Drawings:
    """A positive and a negative label map (H, W) uint8; 255 where nothing was drawn.

    ``target_class`` is the class both maps are of, or None when they hold several
    classes (the positive map each pixel's drawn class, the negative map each pixel's
    complementary label ȳ, "not ȳ").
    """

    positive: np.ndarray
    negative: np.ndarray
    target_class: int | None = 1


def pick_target_class(mask: np.ndarray, rng: np.random.Generator, num_classes: int,
                      target_class: int | Sequence[int] | None) -> int:
    """The one class a drawing is of: ``target_class`` itself; a sequence: one of these
    at random; None: a non-background class present in the (H, W) mask at random
    (class 1 for binary masks, which needs no random number)."""
    if target_class is None:
        present = [c for c in range(1, num_classes) if (mask == c).any()]
        return 1 if num_classes == 2 or not present else int(rng.choice(present))
    if not isinstance(target_class, (int, np.integer)):
        return int(rng.choice(target_class))
    return target_class


def synthesize_drawings(mask, rng: np.random.Generator, num_classes: int = 2,
                        target_class: int | Sequence[int] | None = None,
                        positive: DrawingRecipe | None = DEFAULT_POSITIVE,
                        negative: DrawingRecipe | None = DEFAULT_NEGATIVE,
                        fill: bool = True) -> Drawings:
    """Makes a positive and/or a negative drawing of one class from a true mask.

    Args:
      mask: (H, W) integer true mask, classes in [0, num_classes), 255 = unknown.
      rng: the source of all randomness.
      target_class: the class drawn; a sequence of classes: one of them at random;
        None: one present in the mask at random (class 1 for binary masks).
      positive / negative: recipes, or None for no such drawing (all 255).
      fill: for binary masks with ratio 1, label every pixel (drawn / not drawn), so
        the confusion matrices model what the annotator missed too. Otherwise only
        drawn pixels are labelled.

    Returns:
      :class:`Drawings` with ``positive`` holding ``target_class`` where drawn and
      ``negative`` holding the complementary label ``target_class`` ("not target")
      where drawn.
    """
    mask = check_label_map(mask, num_classes)
    target_class = pick_target_class(mask, rng, num_classes, target_class)
    known = mask != IGNORE_LABEL
    region = (mask == target_class)
    maps = []
    for recipe, drawn_on in ((positive, region), (negative, known & ~region)):
        out = np.full(mask.shape, IGNORE_LABEL, np.uint8)
        if recipe is not None and drawn_on.any():
            drawing = keep_fraction(perturb_region(drawn_on, recipe, rng, scale_region=region) & known,
                                    recipe.ratio, rng, recipe.scribble_below)
            if not drawing.any():  # a perturbation may erase a tiny region: keep one pixel
                drawing = keep_fraction(drawn_on, 1e-9, rng)
            out[drawing] = target_class
            if fill and num_classes == 2 and recipe.ratio >= 1.0:
                out[~drawing & known] = 1 - target_class
        maps.append(out)
    return Drawings(positive=maps[0], negative=maps[1], target_class=target_class)
