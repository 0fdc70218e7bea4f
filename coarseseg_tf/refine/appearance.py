"""Each image's own colours as a check on its sure labels, and as a source of more.

A fill that spills past a *thin* object keeps background in its eroded interior: the
erosion (:mod:`coarseseg_tf.refine.seeds`) can remove at most half of a piece's
thickness, and a 2-px stroke under a 7-px-wide fill leaves a 3-px-wide "interior"
that is two thirds background. On 150 MNIST dev training digits drawn in the
``loose_fill`` style, 28 % of the sure object pixels are background; they are dark,
as the background far from the fill is. And the border the erosion removed, left to
the network, is where a fill's spill lies: background-coloured too.

GrabCut cuts with colour models; here the same evidence only labels. Per image, each
class gets a histogram of the colours of its sure pixels, and

- a *checked* pixel (one the drawing labelled) is left unlabelled when a nearby class
  explains its colour ``RATIO`` times better than its own class does; the histograms
  are refitted from the labels kept, ``ROUNDS`` times, so a class's model sheds the
  background that spilled into it (an EM in the spirit of GrabCut's, without the cut);
- an *open* pixel (unlabelled, where the caller allows it) takes the class whose
  posterior among the nearby classes is at least ``CONFIDENT``, when at least two
  classes are nearby: a class with no rival near a pixel has no evidence against it
  (a digit's stroke far from the drawn part, next to the background only);
- both take the class's mean colour too: a checked label is withdrawn, and an open
  pixel is not labelled, where a nearby class of clearly different colour has its mean
  nearer the pixel's colour. A blurred edge's rim has colours between its two sides',
  and the histograms give it to whichever side has any pixels of that colour: a
  digit's labels hold a few greys, the black background none, so a fill's grey rim
  stayed "digit" and the network learnt to paint it (on 400 dev MNIST training digits
  drawn as loose fills 81 % of the object labels were right, 97 % with the means; on
  boundary negatives 86 % and 98 %). The nearer mean puts the rim where the colour
  is half-way, as an edge lies. Not between classes alike in colour (two white
  digits), nor where noise carries pixels past half-way (noisy MNIST, σ = 0.5:
  :func:`mean_colour_distances` says which pairs qualify);
- an open pixel of a binary image drawn with strokes only, near a stroke or far from
  every one, may be labelled background where the background's model is that confident against the
  object's (the caller decides where: :func:`coarseseg_tf.refine.seeds.checked_sure_labels`
  does for L = 2 strokes): scribbles mark where objects are, and without this the
  network is free to give the open image to either class (on the dev nuclei tiles the
  default's network at seed 2 called 64 % of the pixels nucleus, where 25 % are);
- an open pixel of an image of many classes drawn with strokes only may take the class
  of a stroke it is connected to through pixels that class's model is that confident of
  (:func:`grow_drawn_objects`): a scribble on one digit of a scene names the class of the
  whole digit (on 400 dev training scenes drawn with scribbles the digit labels covered
  3 % of the drawn class's pixels, now 20 %, and 96 % of the new ones are right: where
  two digits touch, the growth can cross into the other);
- an *inferred* label (background nobody drew: inferred far from a fill or assumed in
  the ring just outside it, or implied by a "not k" stroke when L > 2) is withdrawn,
  once, where any other class explains it ``RATIO`` times better: the part of an
  object a drawing of reduced area left out, an object of a class drawn elsewhere
  only, a digit a "not k" scribble crossed, the object's border outside an under-fill.

The network and its smoothness prior decide everything still unlabelled. For the first
two, only "nearby" classes compete (sure pixels within ``RADIUS`` px): classes that look
alike (ten white digits on black) would otherwise withdraw each other's labels, while
what a brush gets wrong lies next to the object. Fixed pixel defaults, like those of
:mod:`~coarseseg_tf.refine.seeds`, chosen on dev *training* labels (their accuracy,
never a test mask): on 150 dev MNIST digits ``loose_fill``'s sure labels go from 0.932
correct at 49 % coverage to 0.996 at 93 % (0.972 at 95 % without the means),
``morpho``'s from 0.998 to 1.000 (see ``docs/method.md``).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage, stats

from coarseseg_tf.labels import IGNORE_LABEL

#: histogram bins per channel: grayscale images get 16 levels, colour ones 8³ colours
BINS_GRAY, BINS_COLOUR = 16, 8
#: classes whose sure pixels lie within this distance (px) of a pixel compete for it
RADIUS = 12
#: a label is withdrawn when a nearby class explains the pixel this many times better
RATIO = 1.5
#: refits of the histograms from the labels kept
ROUNDS = 3
#: posterior an open pixel's class needs before it is labelled with it
CONFIDENT = 0.95
#: pseudo-count added to every bin (a colour no sure pixel has is unlikely, not impossible)
SMOOTHING = 0.5


def colour_codes(image: np.ndarray) -> tuple[np.ndarray, int]:
    """(H, W, C) float in [0, 1] -> ((H, W) int code of each pixel's histogram bin, bin count)."""
    bins = BINS_GRAY if image.shape[-1] == 1 else BINS_COLOUR
    levels = np.clip((image * bins).astype(np.int64), 0, bins - 1)
    codes = np.zeros(image.shape[:2], np.int64)
    for channel in range(image.shape[-1]):
        codes = codes * bins + levels[..., channel]
    return codes, bins ** image.shape[-1]


def class_likelihoods(codes: np.ndarray, labels: np.ndarray, classes, num_codes: int) -> np.ndarray:
    """(K, H, W): each class's smoothed colour histogram (from its labelled pixels) at every pixel."""
    likelihoods = np.empty((len(classes), *codes.shape))
    for i, label in enumerate(classes):
        counts = np.bincount(codes[labels == label], minlength=num_codes) + SMOOTHING
        likelihoods[i] = (counts / counts.sum())[codes]
    return likelihoods


def noise_level(image: np.ndarray) -> float:
    """The standard deviation of an (H, W, C) image's pixel noise, from the median absolute
    difference of neighbouring pixels (robust to the few that straddle an edge), root
    mean square over the channels."""
    sigmas = []
    for channel in np.moveaxis(image, -1, 0):
        steps = np.concatenate([np.abs(np.diff(channel, axis=0)).ravel(), np.abs(np.diff(channel, axis=1)).ravel()])
        sigmas.append(1.4826 * np.median(steps) / np.sqrt(2) if steps.size else 0.0)
    return float(np.sqrt(np.mean(np.square(sigmas))))


def mean_colour_distances(image: np.ndarray, labels: np.ndarray, classes,
                          noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Each class's mean colour over its labelled pixels, as distances; ``noise`` is the
    image's :func:`noise_level`.

    Returns (K, H, W) squared colour distances of every pixel to each class's mean (inf
    for a class with no labels left), and (K, K) bool: the pairs of classes whose nearer
    mean tells one pixel's class, so that a blurred edge between them can be placed by
    colour: their means lie further apart than their colours spread (squared distance
    > the sum of their variances; two white digits do not), and further than the
    image's noise blurs a pixel across the half-way point more often than 1 - CONFIDENT
    of the time (on noisy MNIST, σ = 0.5, no pair is; on the dim nuclei tiles all are).
    """
    distances = np.full((len(classes), *image.shape[:2]), np.inf)
    means = np.full((len(classes), image.shape[-1]), np.nan)
    variances = np.full(len(classes), np.nan)
    for i, label in enumerate(classes):
        members = image[labels == label]  # (n, C)
        if len(members):
            means[i], variances[i] = members.mean(axis=0), members.var(axis=0).sum()
            distances[i] = np.square(image - means[i]).sum(axis=-1)
    gaps = np.square(means[:, None] - means[None]).sum(axis=-1)
    # half the gap must be a one-sided CONFIDENT quantile of the noise: 1.645 σ
    clear_of_noise = np.sqrt(gaps) / 2 >= stats.norm.ppf(CONFIDENT) * noise
    # NaN compares False: a class with no labels is apart from none
    return distances, (gaps > variances[:, None] + variances[None]) & clear_of_noise


def nearer_distinct_class(distances: np.ndarray, apart: np.ndarray, nearby: np.ndarray,
                          index: np.ndarray) -> np.ndarray:
    """(H, W) bool: a nearby class whose colours are apart from those of class ``index``
    ((H, W) indices into the K classes) has its mean colour nearer the pixel's.

    A blurred edge's rim has colours between its two sides', and a histogram gives it
    to whichever side has any pixels of that colour (a digit's labels hold a few grey
    ones, the black background none); the nearer mean places it where the colour is
    half-way, as the true edge lies.
    """
    distinct = nearby & np.moveaxis(apart[index], -1, 0)  # (K, H, W)
    own = np.take_along_axis(distances, index[None], 0)[0]
    return np.where(distinct, distances, np.inf).min(axis=0) < own


def appearance_check(image: np.ndarray, labels: np.ndarray, checked: np.ndarray,
                     open_to: np.ndarray, inferred: np.ndarray | None = None,
                     background_open: np.ndarray | None = None,
                     object_open: np.ndarray | None = None) -> np.ndarray:
    """``labels`` checked, and completed, by the image's per-class colour models.

    Args:
      image: (H, W, C) float in [0, 1].
      labels: (H, W) uint8 sure labels, 255 where unlabelled.
      checked: (H, W) bool, labels that may be withdrawn: set to 255 when a nearby other
        class explains the pixel's colour ``RATIO`` times better (the others only fit models).
      open_to: (H, W) bool, unlabelled pixels that may be labelled: with the class whose
        posterior among the nearby classes (uniform prior) is at least ``CONFIDENT``,
        where two classes or more are nearby.
      inferred: (H, W) bool or None, labels nobody drew but the rules inferred (the
        background outside a fill, or implied by "not k" for L > 2). They fit the
        models like the others, then are withdrawn once, with the final models, where
        any other class, near or not, explains them ``RATIO`` times better: the part of
        an object a reduced drawing left out, the objects of a multi-class image that
        were not drawn. Once and not every round, so that on a noisy image the
        background model keeps its noise.
      background_open: (H, W) bool or None, unlabelled pixels that may be labelled
        background (class 0), however far from any label, where the final models give
        background a posterior of at least ``CONFIDENT`` against every class (uniform
        prior): what strokes leave undrawn is mostly background, and its colour says
        where. Never an object class: its undrawn instances look like its drawn ones.
      object_open: (H, W) bool or None, unlabelled pixels that may take an object class
        grown from its labels over the pixels its colour is sure of
        (:func:`grow_drawn_objects`): a stroke on an object vouches for the rest of it.
    Returns:
      (H, W) uint8 labels.
    """
    classes = np.unique(labels[labels != IGNORE_LABEL])
    if len(classes) < 2:
        return labels
    codes, num_codes = colour_codes(image)
    nearby = np.stack([ndimage.distance_transform_edt(labels != label) <= RADIUS for label in classes])
    own = np.searchsorted(classes, np.where(labels == IGNORE_LABEL, classes[0], labels))
    is_own = own[None] == np.arange(len(classes))[:, None, None]  # (K, H, W)
    kept, noise = labels, noise_level(image)
    for _ in range(ROUNDS):
        likelihoods = class_likelihoods(codes, kept, classes, num_codes)
        distances, apart = mean_colour_distances(image, kept, classes, noise)
        own_likelihood = np.take_along_axis(likelihoods, own[None], 0)[0]
        rivals = np.where(nearby & ~is_own, likelihoods, 0.0)
        unlike = checked & ((rivals.max(axis=0) > RATIO * own_likelihood)
                            | nearer_distinct_class(distances, apart, nearby, own))
        kept = np.where(unlike, IGNORE_LABEL, labels).astype(np.uint8)
    # the last round's models (fitted before its withdrawals) label the open pixels, unless
    # a class of clearly different colour has its mean nearer (an edge's blurred rim)
    competing = np.where(nearby, likelihoods, 0.0)
    posterior = competing / np.maximum(competing.sum(axis=0), 1e-300)
    likeliest = posterior.argmax(axis=0)
    confident = (open_to & (nearby.sum(axis=0) >= 2) & (posterior.max(axis=0) >= CONFIDENT)
                 & ~nearer_distinct_class(distances, apart, nearby, likeliest))
    if inferred is not None:
        # any class competes, however far its labels: the drawing says nothing about
        # the undrawn objects of a class it labelled elsewhere (one digit drawn per scene)
        others = np.where(is_own, 0.0, likelihoods)
        kept = np.where(inferred & (others.max(axis=0) > RATIO * own_likelihood), IGNORE_LABEL, kept)
    kept = np.where(confident, classes[likeliest], kept)
    if background_open is not None and classes[0] == 0:  # the background has a model
        # every class competes, however far its labels: an object far from its strokes
        # must not be taken for background because no stroke of its class is near
        background = likelihoods[0] / np.maximum(likelihoods.sum(axis=0), 1e-300)
        kept = np.where(background_open & (kept == IGNORE_LABEL) & (background >= CONFIDENT), 0, kept)
    if object_open is not None:
        kept = grow_drawn_objects(kept, classes, likelihoods, distances, apart, object_open)
    return kept.astype(np.uint8)


def grow_drawn_objects(labels: np.ndarray, classes: np.ndarray, likelihoods: np.ndarray,
                       distances: np.ndarray, apart: np.ndarray, open_to: np.ndarray) -> np.ndarray:
    """(H, W) uint8 ``labels`` with each object class's labels grown over the ``open_to``
    pixels connected to them (8-neighbours) through pixels that its colour model explains
    with posterior >= ``CONFIDENT`` against the classes apart from it in colour (uniform
    prior) and where no such class's mean colour is nearer (:func:`nearer_distinct_class`).

    ``classes`` (K,) the labelled classes, background first; ``likelihoods``,
    ``distances`` (K, H, W) and ``apart`` (K, K) as :func:`class_likelihoods` and
    :func:`mean_colour_distances` give them. Only classes whose colours are apart from the
    background's grow: where noise blurs one pixel's colour across the half-way point,
    a flood leaks. Colour tells such a class from the background, not from a class alike
    in colour (two white digits): a connected piece that the labels of two classes touch
    is left open, whichever object it is. An object that no stroke touched stays open: it
    looks like the drawn one, and may be of another class.
    """
    if classes[0] != 0:  # no background labels: nothing to tell an object from
        return labels
    neighbours = np.ones((3, 3), bool)
    everywhere = np.ones(likelihoods.shape, bool)
    grown = labels.copy()
    for i in np.flatnonzero(apart[:, 0]):
        own = labels == classes[i]
        rivals = apart[i] | (np.arange(len(classes)) == i)  # the classes colour tells from i
        posterior = likelihoods[i] / np.maximum(likelihoods[rivals].sum(axis=0), 1e-300)
        confident = (open_to & (labels == IGNORE_LABEL) & (posterior >= CONFIDENT)
                     & ~nearer_distinct_class(distances, apart, everywhere, np.full(labels.shape, i)))
        pieces, _ = ndimage.label(confident | own, structure=neighbours)
        touched = np.unique(pieces[own])
        # a piece that another object class's labels touch too is shared: colour cannot split it
        others = (labels != IGNORE_LABEL) & (labels != classes[0]) & ~own
        shared = np.unique(pieces[ndimage.binary_dilation(others, neighbours)])
        growth = np.isin(pieces, touched[touched > 0]) & ~np.isin(pieces, shared[shared > 0])
        grown[confident & growth & (grown == IGNORE_LABEL)] = classes[i]
    return grown
