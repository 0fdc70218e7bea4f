"""Seeds for the classical refiners: what a loose drawing says for sure about each pixel.

A person's positive drawing spills past the object, or stays inside it, by a few pixels
and has gaps; negative strokes lie on what is not the object (``DESIGN.md``, "Drawings
as people make them"). So a refiner is told only what survives that looseness:

- the *interior* of each drawn class (the drawing eroded by ``erode`` px) is that class.
  A stroke thinner than 2·``erode`` would vanish, so per connected piece the erosion is
  at most half its thickness: a scribble keeps its centre line (scribbles lie on the object);
- a negative stroke "not ȳ" implies, for L = 2, the other class; for L > 2 background
  (class 0) unless ȳ is 0, which names no single class (the rule of
  :func:`coarseseg_tf.label_fusion.consensus_labels`). Negative drawings are as loose
  as positive ones (a full negative map reaches into the object), so only their
  interior, eroded the same way, is sure;
- pixels farther than ``dilate`` px from every positive drawing are background
  (class 0): people fill or outline objects and leave the background undrawn. Not when
  the annotator drew class 0 themselves (then "not drawn" says nothing), and not when
  the positive drawing is a thin stroke (no pixel more than ``STROKE_DEPTH`` px inside
  it: a scribble marks where the object is, not how far it extends) and the negative
  drawing gives background seeds of its own;
- where the positive and the negative drawing's sure parts contradict each other,
  neither is sure: unseeded (as in ``consensus_labels``);
- the band in between (the drawings' borders and the outer ``dilate`` px) is unseeded:
  the refiner decides it from the image.

Drawings that cover every pixel (drawn / not drawn, like the ``morpho`` style) follow
the same rules: "not drawn" is class 0 drawn, so only its interior is sure.

The widths are fixed pixel defaults, checked on 200 MNIST *training* digits
(``make_coarse_mnist(200, seed=11)``, never test masks), mIoU of the refined masks,
random walker / GrabCut, against the positive drawing taken as the mask:

=============================  ===============  ========================
                               ``morpho`` style  loose fill (1-2 px spill,
                               (full maps)       a gap) + one far stroke
=============================  ===============  ========================
the positive drawing as mask   0.716             0.654
erode 2, dilate 3              0.830 / 0.835     0.804 / 0.831
erode 3, dilate 3 (default)    0.848 / 0.842     0.808 / 0.833
erode 3, dilate 2              0.848 / 0.842     0.846 / 0.853
=============================  ===============  ========================

``dilate`` also bridges gaps: a gap in the positive drawing wider than 2·``dilate``
would get background seeds inside the object, which is why 3 and not 2 is the default.
Large images want wider bands: pass ``erode=``, ``dilate=``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from coarseseg_tf.images import as_image_batch
from coarseseg_tf.labels import IGNORE_LABEL, check_label_map, check_num_classes
from coarseseg_tf.refine.appearance import appearance_check

#: default erosion of the positive drawing (px) before its pixels count as sure
ERODE = 3
#: default distance from the positive drawing (px) beyond which pixels are background
DILATE = 3
#: a positive drawing no pixel of which lies deeper than this (px) is a stroke, not a fill
STROKE_DEPTH = 1.5


@dataclass(frozen=True)
class Prepared:
    """One image's checked inputs and seeds.

    image (H, W, C) float32 in [0, 1]; positive, negative (H, W) uint8 (255 = not drawn);
    seeds (H, W) uint8: the sure class, 255 where unseeded; fallback: the mask to return
    instead of refining ((H, W) uint8) when the seeds hold fewer than two classes, else None.
    """

    image: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    seeds: np.ndarray
    fallback: np.ndarray | None

    @property
    def full_map(self) -> bool:
        """Whether the annotator drew class 0 too (every pixel drawn / not drawn, or every
        class filled): "not drawn" then says nothing, and no background is inferred."""
        return bool((self.positive == 0).any())


def check_image(image) -> np.ndarray:
    """(H, W) or (H, W, C) pixels -> (H, W, C) float32 in [0, 1], by the image-scale
    contract (:mod:`coarseseg_tf.images`); ValueError otherwise."""
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    return as_image_batch(image[None], "image")[0]


def implied_by_negative(negative: np.ndarray, num_classes: int) -> np.ndarray:
    """The class each negative stroke implies (module doc), 255 elsewhere; (H, W) uint8."""
    negative = negative.astype(np.int64)
    implied = 1 - negative if num_classes == 2 else np.where(negative != 0, 0, IGNORE_LABEL)
    return np.where(negative != IGNORE_LABEL, implied, IGNORE_LABEL).astype(np.uint8)


def agreement(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(H, W) uint8: the label either map gives where the other does not contradict it, 255 elsewhere."""
    merged = np.where(first != IGNORE_LABEL, first, second)
    conflict = (first != IGNORE_LABEL) & (second != IGNORE_LABEL) & (first != second)
    return np.where(conflict, IGNORE_LABEL, merged).astype(np.uint8)


def _interior(region: np.ndarray, erode: float) -> np.ndarray:
    """``region`` eroded by ``erode`` px, by at most half of each connected piece's thickness."""
    depth = ndimage.distance_transform_edt(region)
    pieces, count = ndimage.label(region)
    thickness = np.asarray(ndimage.maximum(depth, pieces, np.arange(1, count + 1)))
    # index 0 (outside the region) gets an infinite threshold: never interior
    threshold = np.concatenate([[np.inf], np.minimum(erode, thickness / 2)])
    return depth > threshold[pieces]


def sure_part(labels: np.ndarray, erode: float) -> np.ndarray:
    """(H, W) uint8: each class's region of ``labels`` eroded (:func:`_interior`), 255 elsewhere."""
    sure = np.full(labels.shape, IGNORE_LABEL, np.uint8)
    for label in np.unique(labels[labels != IGNORE_LABEL]):
        sure[_interior(labels == label, erode)] = label
    return sure


def seed_labels(positive: np.ndarray, negative: np.ndarray, num_classes: int,
                erode: float = ERODE, dilate: float = DILATE) -> np.ndarray:
    """(H, W) uint8 sure class per pixel from the drawings (module doc), 255 where unseeded."""
    from_positive = sure_part(positive, erode)
    from_negative = sure_part(implied_by_negative(negative, num_classes), erode)
    drawn = positive != IGNORE_LABEL
    stroke = ndimage.distance_transform_edt(drawn).max(initial=0) <= STROKE_DEPTH
    if drawn.any() and not (positive == 0).any() and not (stroke and (from_negative == 0).any()):
        from_positive[ndimage.distance_transform_edt(~drawn) > dilate] = 0
    return agreement(from_positive, from_negative)


def prepare(image, positive, negative, num_classes: int, erode: float = ERODE,
            dilate: float = DILATE) -> Prepared:
    """Checks one image and its drawings (None = not drawn) and seeds them.

    Raises ValueError naming the problem: a map that is not (H, W) of the image's size,
    a label outside [0, L) and not 255, an image that is not float in [0, 1].
    """
    num_classes = check_num_classes(num_classes)
    image = check_image(image)
    shape = image.shape[:2]
    maps = {}
    for name, labels in (("positive", positive), ("negative", negative)):
        labels = np.full(shape, IGNORE_LABEL, np.uint8) if labels is None else labels
        maps[name] = check_label_map(labels, num_classes, name, shape).astype(np.uint8)
    seeds = seed_labels(maps["positive"], maps["negative"], num_classes, erode, dilate)
    fallback = None
    if len(np.unique(seeds[seeds != IGNORE_LABEL])) < 2:
        # nothing to tell apart: the drawings as they are (all 255 when there are none)
        fallback = agreement(maps["positive"], implied_by_negative(maps["negative"], num_classes))
    return Prepared(image, maps["positive"], maps["negative"], seeds, fallback)


def sure_labels(image, positive, negative, num_classes: int = 2, *, erode: float = ERODE,
                dilate: float = DILATE) -> np.ndarray:
    """(H, W) uint8: what the drawings say for sure, 255 elsewhere: the "refiner" that
    decides nothing and leaves the uncertain band to a model learning from partial labels.

    Where the annotator labelled class 0 (full maps: every pixel drawn / not drawn), the
    drawings themselves locate the uncertainty where both cover a pixel: they contradict
    each other where the brush erred, so what is sure there is where they agree. A
    partial drawing (a fill, strokes, a scribble) contradicts nothing, and neither does a
    full map where no negative drawing covers it (every class filled, negatives as
    strokes), so what is sure there is the seeds (:func:`seed_labels`): eroded
    interiors, the background far from a fill, the cores of negative strokes.
    Arguments as :func:`prepare`.
    """
    return sure_of(prepare(image, positive, negative, num_classes, erode, dilate), num_classes)


def sure_of(job: Prepared, num_classes: int) -> np.ndarray:
    """:func:`sure_labels` of an already prepared image."""
    seeds = job.seeds if job.fallback is None else job.fallback
    if not job.full_map:
        return seeds
    # a full map: where a negative drawing covers a pixel too, a contradiction locates the
    # brush's error; where the positive map alone covers it, nothing contradicts a spill
    # past a class's edge into its neighbour, so only the eroded interior is sure, as for a fill
    both = (job.positive != IGNORE_LABEL) & (job.negative != IGNORE_LABEL)
    agreed = agreement(job.positive, implied_by_negative(job.negative, num_classes))
    return np.where(both, agreed, seeds).astype(np.uint8)


def negative_fills(negative: np.ndarray, erode: float = ERODE) -> np.ndarray:
    """(H, W) bool: the pieces of a negative drawing (H, W) that are painted regions, not
    strokes: connected pieces with a pixel more than ``erode`` px inside them (a brush
    stroke, even where strokes cross, has none; the paper's reduced-area negatives do)."""
    drawn = negative != IGNORE_LABEL
    pieces, count = ndimage.label(drawn)
    if not count:
        return drawn
    depth = ndimage.maximum(ndimage.distance_transform_edt(drawn), pieces, np.arange(1, count + 1))
    return np.isin(pieces, 1 + np.flatnonzero(np.asarray(depth) > erode))


def checked_sure_labels(image, positive, negative, num_classes: int = 2, *, erode: float = ERODE,
                        dilate: float = DILATE) -> np.ndarray:
    """(H, W) uint8: :func:`sure_labels` checked against the image's own colours
    (:func:`coarseseg_tf.refine.appearance.appearance_check`), 255 where unlabelled.

    - a label the positive drawing gave is withdrawn where a nearby other class explains
      the pixel's colour better: the background a fill kept in its interior where it
      spilled past a thin object; or where a nearby class of clearly different colour
      has its mean colour nearer: a blurred edge's rim, grey between a white digit and
      the black background, which the histograms gave the digit;
    - a partial drawing's unlabelled pixels (the border a fill's erosion took away, and
      the band between a fill and the background inferred beyond it) are labelled where
      two classes compete, the colour models are confident and no such class's mean is
      nearer: a fill's spill past the object is background-coloured, an under-fill
      leaves the object's colour outside it. So is the border the erosion took from a
      full map where no negative drawing covers it; where one does, the two maps'
      contradictions already located the brush's error and the network decides;
    - the ring between a fill and the background inferred beyond it is background too,
      assumed like the far background (below) and relabelled where the colours are sure.
      It fits the background's colour model, which so learns the colours of a
      soft-edged object's rim (a nucleus fades out over a few pixels) and gives the
      fill's spill over that rim to the background: on the stardist training tiles the
      labels "nucleus" that are background fell from 16 % to 10 %. Where a fill stays
      inside its object (``under_fill``), the background model learns some of the
      object's colour from the ring instead, and fewer of the object's border pixels
      outside the fill are labelled;
    - the background inferred far from a fill is withdrawn where another class explains
      it better (once, with the final models): the part of the object a drawing of
      reduced area left out (the paper's area-ratio drawings). So is, for L > 2, the
      background a negative stroke "not k" implies: the annotator said "not k", and a
      stroke through the objects of other classes is not background.
    - a binary image drawn with strokes only infers no background from them, but its
      open pixels whose colour the background's model explains with posterior >= 0.95
      against the object's are background, however far from a stroke (not for L > 2:
      the comment in the code says why). For L > 2 instead, the class a stroke names
      grows from it over the open pixels its colour model is sure of and connected to
      the stroke: the rest of the object the stroke lies on (not for L = 2: the comment
      in the code says why).
    Negative strokes are placed with care and only fit the colour models; a negative
    *fill* (a painted region, like the paper's reduced-area negatives) crosses the
    object's thin parts as a positive one spills past them, and its labels are checked
    like a positive fill's (:func:`negative_fills` tells the two apart).
    Arguments as :func:`prepare`.
    """
    job = prepare(image, positive, negative, num_classes, erode, dilate)
    sure = sure_of(job, num_classes)
    drawn = job.positive != IGNORE_LABEL
    partial = not job.full_map
    from_negative = implied_by_negative(job.negative, num_classes) == sure
    far_background = (sure == 0) & ~drawn & ~from_negative
    # background no one drew: inferred far from a fill, or implied by "not k" (L > 2)
    assumed = far_background | ((sure == 0) & from_negative & partial & (num_classes > 2))
    checked = (sure != IGNORE_LABEL) & ~assumed & (
        (job.positive == sure) | (partial & from_negative & negative_fills(job.negative, erode)))
    ring = np.zeros_like(drawn)
    background_open = object_open = None
    if partial and far_background.any():
        # the band between a fill and the background inferred beyond ``dilate`` from it;
        # its part outside the fill is the ring
        band = ndimage.distance_transform_edt(~drawn) <= dilate
        ring = band & ~drawn & (sure == IGNORE_LABEL)
    elif partial:
        # strokes infer no background, and a scribble says nothing that far from itself;
        # but for L = 2 the background is what the object's strokes leave undrawn: where
        # its colour model is sure against the object's, an open pixel is background
        # (never the object: its undrawn parts and instances no stroke vouches for). Not
        # for L > 2, where a few strokes name one class of many: there the flood of
        # background labels taught the network background on the digits of the classes
        # nobody drew (dev scenes scribbles 17.7 -> 11.5). There the drawn class's stroke
        # vouches for the rest of the object it lies on instead: its labels grow over the
        # pixels of its colour connected to them (dev scenes scribbles 18.2 -> 38.4). Not
        # for L = 2: the binary rule above already labels the background by colour, and the
        # growth gave a nucleus the soft rim that the stardist masks leave out (dev nuclei
        # scribbles, seeds 0-3, 80.3 -> 78.1 on average)
        band = drawn
        background_open = (sure == IGNORE_LABEL) if num_classes == 2 else None
        object_open = (sure == IGNORE_LABEL) if num_classes > 2 else None
    else:
        # a full map's edges that the erosion opened where no negative drawing covers them;
        # where one does, their contradictions located the brush's errors: the network decides
        band = drawn & (job.negative == IGNORE_LABEL)
    # The ring outside a fill is background assumed like the far background (withdrawn
    # where another class explains it better, relabelled where the colours are sure): a
    # fill spills past its object, so what lies outside it is its object's rim and the
    # background. Fitting the background model there teaches it the rim's colours, and a
    # fill's labels on a soft-edged object's rim are then withdrawn too (module doc).
    return appearance_check(job.image, np.where(ring, 0, sure).astype(np.uint8), checked,
                            open_to=(sure == IGNORE_LABEL) & band, inferred=assumed | ring,
                            background_open=background_open, object_open=object_open)
