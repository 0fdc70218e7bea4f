"""Drawing styles: named descriptions of how both drawings of an example are made.

A style is what a config, the CLI or a benchmark names (``"loose_fill"``); how it
draws lives here and nowhere else, so every path that draws (the MNIST data, the Beam
job, Cityscapes negatives, the CLI) draws the same way for the same name. A new style
is one more entry in :data:`STYLES`.

Two kinds of style draw: a :class:`RecipeStyle` perturbs the true regions Morpho-MNIST
style (:mod:`~coarseseg_tf.data.synthesis.morpho`; ``morpho`` and the paper's
reduced-area drawings), a :class:`BrushStyle` paints what a person with a brush
would (:mod:`~coarseseg_tf.data.synthesis.brush`): a fill that misses the edge by a
few pixels, a few strokes or a scribble. Only ``morpho`` labels the whole background.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from coarseseg_tf.data.synthesis import brush
from coarseseg_tf.data.synthesis.morpho import (DEFAULT_NEGATIVE, DEFAULT_POSITIVE, DrawingRecipe, Drawings,
                                                pick_target_class, synthesize_drawings)
from coarseseg_tf.labels import IGNORE_LABEL

KINDS = ("positive", "negative")


@dataclass(frozen=True)
class DrawingStyle(ABC):
    """How the positive and the negative drawing of an example are made.

    Attributes:
      positive, negative: what makes each drawing, of the type the kind of style
        takes (:attr:`parts`); None makes no such drawing (its map is all 255), so
        ``dataclasses.replace(style, positive=None)`` is the style drawing negatives
        only, whatever its kind. Not both None.
      description: what the drawings look like, for help texts. Not part of equality:
        two styles that draw the same are the same style.
    """

    positive: object
    negative: object
    description: str = field(default="", compare=False)
    parts = ()  # the types positive and negative may have, set by each kind of style

    def __post_init__(self):
        for kind in KINDS:
            if not isinstance(getattr(self, kind), (*self.parts, type(None))):
                names = " or ".join(t.__name__ for t in self.parts)
                raise ValueError(f"{kind} must be a {names} or None, got {getattr(self, kind)!r}")
        if self.positive is None and self.negative is None:
            raise ValueError("positive and negative are both None: the style draws nothing")

    @abstractmethod
    def draw(self, mask: np.ndarray, rng: np.random.Generator, num_classes: int = 2,
             target_class: int | Sequence[int] | None = None) -> Drawings:
        """Both drawings of a checked (H, W) true mask, every random choice from ``rng``.

        ``target_class`` as :func:`~coarseseg_tf.data.synthesis.draw.draw` takes it.
        """


@dataclass(frozen=True)
class RecipeStyle(DrawingStyle):
    """Morpho-MNIST perturbations of the true regions: each drawing a
    :class:`~coarseseg_tf.data.synthesis.morpho.DrawingRecipe` for
    :func:`~coarseseg_tf.data.synthesis.morpho.synthesize_drawings`."""

    parts = (DrawingRecipe,)

    def draw(self, mask, rng, num_classes=2, target_class=None):
        return synthesize_drawings(mask, rng, num_classes, target_class,
                                   positive=self.positive, negative=self.negative)


# ---------------------------------------------------------------- brushes

@dataclass(frozen=True)
class Fill:
    """A brush fill of the class that misses its edge by ``offset`` (low, high) px
    (> 0 spills past it, < 0 stays inside; see :func:`brush.fill`, also for
    ``keep_skeleton``), with ``gaps`` (low, high) erased blobs of ``gap_radius``
    (low, high) px."""

    offset: tuple
    roughness: float = 0.5
    gaps: tuple = (0, 0)
    gap_radius: tuple = (1, 1)
    keep_skeleton: bool = False

    def paint(self, region, known, rng):
        drawn = brush.fill(region, rng, self.offset, self.roughness, self.keep_skeleton) & known
        return brush.erase_blobs(drawn, rng, int(rng.integers(self.gaps[0], self.gaps[1] + 1)), self.gap_radius)


@dataclass(frozen=True)
class Strokes:
    """``count`` (low, high) strokes (:func:`brush.strokes`) outside the class, on known
    pixels ``band`` (low, high) px from its edge. Lengths are fractions (low, high)
    of the image's shorter side, so a stroke is as long on a street scene as on a
    digit, relative to the picture; ``width`` (low, high) in pixels."""

    band: tuple
    count: tuple = (2, 4)
    length: tuple = (0.2, 0.5)
    width: tuple = (1, 2)

    def paint(self, region, known, rng):
        distance = brush.signed_distance(region)
        zone = known & (distance >= self.band[0]) & (distance <= self.band[1])
        side = min(region.shape)
        steps = (max(1, round(self.length[0] * side)), max(1, round(self.length[1] * side)))
        return brush.strokes(zone, rng, int(rng.integers(self.count[0], self.count[1] + 1)), steps, self.width)


@dataclass(frozen=True)
class Scribble:
    """A connected piece of a skeleton with ``ratio`` (low, high) of its area's pixels
    (:func:`brush.scribble`): of the class (``outside`` False) or of every other
    known pixel (True, a stroke through the background)."""

    ratio: tuple = (0.01, 0.05)
    outside: bool = False

    def paint(self, region, known, rng):
        return brush.scribble(known & ~region if self.outside else region, rng, self.ratio)


@dataclass(frozen=True)
class BrushStyle(DrawingStyle):
    """What a person with a brush draws: a positive brush (:class:`Fill` or
    :class:`Scribble`) on the class and a negative one (:class:`Strokes` or
    :class:`Scribble`) off it, holding the complementary label ("not the class").
    Only the painted pixels are labelled; the rest is 255.

    ``every_class``: with ``target_class`` None and more than two classes, every class
    present is drawn (the maps then hold several classes), the largest first: where
    brushes overlap the smaller class paints over the larger, as a person paints the
    road before the poles on it, so a thin object is not buried under its
    surroundings' spill. Binary masks draw class 1.
    """

    every_class: bool = False
    parts = (Fill, Strokes, Scribble)

    def draw(self, mask, rng, num_classes=2, target_class=None):
        if self.every_class and target_class is None and num_classes > 2:
            areas = np.bincount(mask[mask != IGNORE_LABEL].ravel(), minlength=num_classes)
            classes = [int(c) for c in np.argsort(-areas, kind="stable") if areas[c]]
        else:
            classes = [pick_target_class(mask, rng, num_classes, target_class)]
        known = mask != IGNORE_LABEL
        maps = {kind: np.full(mask.shape, IGNORE_LABEL, np.uint8) for kind in KINDS}
        for k in classes:
            region = mask == k
            for kind in KINDS:
                part = getattr(self, kind)
                if part is not None and region.any():
                    maps[kind][part.paint(region, known, rng)] = k
        return Drawings(maps["positive"], maps["negative"], classes[0] if len(classes) == 1 else None)


# ---------------------------------------------------------------- the styles

LOOSE_SPILL = (1.0, 3.0)
BOUNDARY_SPILL = (1.0, 2.0)
BAND_OUTSIDE = (0.5, 3.5)  # the pixels 1-3 px outside an edge, where a brush errs
AREA_RATIOS = (0.3, 0.5, 0.8)

STYLES: dict[str, DrawingStyle] = {
    "morpho": RecipeStyle(
        DEFAULT_POSITIVE, DEFAULT_NEGATIVE,
        "Morpho-MNIST perturbations of the true regions: the positive drawing is the object "
        "fractured and thickened; the negative drawing is the whole rest of the image, "
        "fractured and thickened into the object. Binary drawings label every pixel."),
    "loose_fill": BrushStyle(
        Fill(LOOSE_SPILL, gaps=(1, 3), gap_radius=(1, 2)),
        # measured from the object: at least 3 px beyond the farthest spill
        Strokes(band=(LOOSE_SPILL[1] + 3, math.inf)),
        "a brush fill spilling 1-3 px past the object with an uneven edge and a few gaps; "
        "negative: 2-4 short thin strokes on the background at least 3 px beyond the spill"),
    "under_fill": BrushStyle(
        Fill((-2.0, -1.0), keep_skeleton=True),
        Strokes(band=BAND_OUTSIDE),
        "a fill staying 1-2 px inside the object (thin strokes keep their skeleton); "
        "negative: 2-4 short thin strokes 1-3 px outside the object's edge"),
    "scribbles": BrushStyle(
        Scribble(), Scribble(outside=True),
        "a scribble on the object's skeleton and one through the background's, each "
        "1-5% of its region's pixels (the paper's scribbles)"),
    "boundary_negatives": BrushStyle(
        Fill(BOUNDARY_SPILL, gaps=(1, 3), gap_radius=(1, 2)),
        Strokes(band=BAND_OUTSIDE),
        "a brush fill spilling 1-2 px into the neighbouring class, with gaps; negative: "
        "'not k' strokes in the band 1-3 px outside class k, where the brush errs. "
        "Multi-class masks: every class present, each with its fill and its strokes",
        every_class=True),
    **{f"area_ratio_{r}": RecipeStyle(
        replace(DEFAULT_POSITIVE, ratio=r), replace(DEFAULT_NEGATIVE, ratio=r),
        f"morpho's drawings reduced to {r:.0%} of their area around a random drawn centre "
        "(the paper's reduced-area coarse labels); the rest is 255") for r in AREA_RATIOS},
}
DEFAULT_STYLE = "morpho"


def get_style(style: str | DrawingStyle) -> DrawingStyle:
    """A style given by its name in :data:`STYLES`, or the style itself.

    Raises:
      ValueError: an unknown name, or neither a name nor a :class:`DrawingStyle`.
    """
    if isinstance(style, DrawingStyle):
        return style
    if isinstance(style, str) and style in STYLES:
        return STYLES[style]
    raise ValueError(f"unknown drawing style {style!r}; styles are {sorted(STYLES)}")
