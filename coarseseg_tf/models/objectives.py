"""Training objectives: one entry per method, the only place a method is defined.

An :class:`Objective` names its data terms (a function of the network's outputs and
the drawings), the default weights of the two terms any method may add (agreement
cross-entropy and smoothness prior), the loss terms worth logging, and a paragraph
that the CLI's help, ``fit()``'s docstring and the README table are written from.
:class:`~coarseseg_tf.models.CoarseSegModel` asks this registry; it holds no method
names of its own. Adding a method is adding an entry here.

The registry imports without TensorFlow (the CLI and the configs read it before any
training starts), so the term functions import Keras and the losses when first called.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

#: terms every method logs: the total and the true-mask loss (semi-supervised images)
COMMON_TERMS = ("loss", "mask_loss")
#: where a refined map can go (see Objective.refined_as)
REFINED_AS = ("mask", "drawings")
#: every term a step can compute; a method's unused terms are 0
ALL_TERMS = ("positive_loss", "negative_loss", "trace", "mask_loss", "consensus_loss", "smoothness")
#: what sets the smoothness prior's β (see ModelConfig.edge_reference)
EDGE_REFERENCES = ("intensity", "drawn_classes")


@dataclass(frozen=True)
class LossInputs:
    """What a method's data terms see for one batch.

    images (B, H, W, C); features (B, H, W, F) decoder features; logits and
    probabilities p (B, H, W, L); positive, negative (B, H, W) int32 drawings with
    255 where nothing was drawn (images trained on a true mask have none);
    cm_heads {"positive", "negative"}: ConfusionMatrixHead; transition: the
    complementary transition layer; cm_steering: whether the confusion-matrix terms
    may train the segmentation (False: only the heads learn from them).
    """

    images: object
    features: object
    logits: object
    probabilities: object
    positive: object
    negative: object
    num_classes: int
    cm_heads: dict
    transition: object
    cm_steering: bool = True


@dataclass(frozen=True)
class Objective:
    """One training method.

    Attributes:
      name: the value of ``method=``.
      summary: one line for tables and ``--help``.
      doc: what it optimises and why, a paragraph.
      data_terms: LossInputs -> {term name: scalar}, the method's own terms.
      logged: the names among those terms worth a column in the training log.
      consensus_weight, smoothness_weight: the weights this method gives the agreement
        cross-entropy and the smoothness prior unless the config says otherwise.
      cm_steering: whether its confusion-matrix terms train the segmentation (True) or
        only fit the heads given it (False), unless the config says otherwise.
      edge_reference: what sets its smoothness prior's β (one of EDGE_REFERENCES), and
      class_boundary_weight: the weight of its agreement cross-entropy where two classes'
        labels meet, unless the config says otherwise.
      trace_weight, cm_diagonal_floor: λ of its trace penalty and the floor d of its
        confusion matrices' diagonal (A = d·I + (1 − d)·A'), unless the config says otherwise.
      refiner: the name in :data:`coarseseg_tf.refine.REFINERS` that ``fit()`` turns
        each image's drawings into a map with before training; None for methods that
        learn from the drawings alone.
      refined_as: where the refined map goes: ``"mask"`` (two-step: trained on as a true
        mask, the drawings set aside) or ``"drawings"`` (it replaces both drawings, as
        partial labels that the method's own terms learn from).
    """

    name: str
    summary: str
    doc: str
    data_terms: Callable
    logged: tuple = ()
    consensus_weight: float = 0.0
    smoothness_weight: float = 0.0
    cm_steering: bool = True
    edge_reference: str = "intensity"
    class_boundary_weight: float = 1.0
    trace_weight: float = 0.01
    cm_diagonal_floor: float = 0.0
    refiner: str | None = None
    refined_as: str = "mask"

    def __post_init__(self):
        if self.edge_reference not in EDGE_REFERENCES:
            raise ValueError(f"objective {self.name}: edge_reference must be one of {EDGE_REFERENCES}")
        if self.refined_as not in REFINED_AS:
            raise ValueError(f"objective {self.name}: refined_as must be one of {REFINED_AS}")

    def logged_terms(self, consensus_weight: float, smoothness_weight: float) -> list[str]:
        """The training log's columns for this method under the given weights."""
        names = [*COMMON_TERMS, *self.logged]
        if consensus_weight:
            names.append("consensus_loss")
        if smoothness_weight:
            names.append("smoothness")
        return names


# ---------------------------------------------------------------- data terms

def no_data_terms(inputs: LossInputs) -> dict:
    """Methods trained only by the shared terms (true masks, agreement, smoothness)."""
    return {}


def naive_terms(inputs: LossInputs) -> dict:
    """Cross-entropy taking the positive drawing as the true mask.

    An image with only a negative drawing uses its complement for L = 2 (and nothing
    for L > 2, where "not ȳ" names no single class).
    """
    from keras import ops
    from coarseseg_tf import losses
    from coarseseg_tf.labels import IGNORE_LABEL
    positive, negative = inputs.positive, inputs.negative
    if inputs.num_classes == 2:
        fallback = ops.where(negative == IGNORE_LABEL, IGNORE_LABEL, 1 - negative)
    else:
        fallback = ops.full(ops.shape(negative), IGNORE_LABEL, "int32")
    label = ops.where(losses.annotated_images(positive)[:, None, None] > 0, positive, fallback)
    return {"positive_loss": losses.masked_cross_entropy(inputs.logits, label)}


def confusion_terms(inputs: LossInputs, use_negative: bool = True) -> dict:
    """The paper's terms: coarse NLL of q_o = A_o·p for the positive drawing, the
    complementary NLL of M·A_c·p for the negative one, and tr(A) of each.

    Without ``inputs.cm_steering`` the heads learn each drawing's confusion given the
    segmentation but their losses do not reach θ (stop_gradient on the features and p):
    the CMs are fitted for inspection without steering the segmentation.
    """
    from keras import ops
    from coarseseg_tf import losses
    features, p = inputs.features, inputs.probabilities
    if not inputs.cm_steering:
        features, p = ops.stop_gradient(features), ops.stop_gradient(p)
    terms = {"positive_loss": ops.zeros(()), "negative_loss": ops.zeros(()), "trace": ops.zeros(())}
    kinds = [("positive", inputs.positive)] + ([("negative", inputs.negative)] if use_negative else [])
    for kind, labels in kinds:
        q, traces = inputs.cm_heads[kind].noisy_prediction(features, p)
        if kind == "positive":
            terms["positive_loss"] = losses.coarse_nll(q, labels)
        else:
            terms["negative_loss"] = losses.complementary_nll(q, labels, inputs.transition)
        terms["trace"] = terms["trace"] + losses.trace_penalty(traces, losses.annotated_images(labels))
    return terms


# ---------------------------------------------------------------- the registry

#: what appearance_crf and sure_crf share: their refined labels replace the drawings, are
#: learnt with cross-entropy and the smoothness prior, and the positive CM head is fitted
#: to them without steering the segmentation
_SURE_LABELS_CRF = dict(
    data_terms=functools.partial(confusion_terms, use_negative=False), logged=("positive_loss", "trace"),
    consensus_weight=1.0, smoothness_weight=3.0, cm_steering=False, refined_as="drawings")

_OBJECTIVES = (
    Objective(
        name="appearance_crf",
        summary="`sure_crf` with its sure labels checked against each image's own colours: "
                "drawn pixels another nearby class's colour model explains better, or whose "
                "colour is nearer the mean of a nearby class of clearly different colour, are "
                "withdrawn, and a fill's uncertain band is labelled where two classes compete and "
                "the models are confident; the prior's edges relative to each image's contrast "
                "between its labelled classes, and the labels where two classes meet weighed 3x",
        doc="sure_crf's objective (cross-entropy on sure labels + the contrast-sensitive "
            "smoothness prior, CM heads detached) on labels checked against the image "
            "(coarseseg_tf.refine.seeds.checked_sure_labels): per image, each class's sure "
            "pixels give a colour histogram; a label the positive drawing gave is withdrawn "
            "where a class with sure pixels nearby explains the pixel's colour better (the "
            "background a fill kept inside a thin object) or, being of clearly different colour "
            "and the image not too noisy, has its mean colour nearer (a blurred edge's grey "
            "rim, which histograms give to the side that has any greys), and a partial drawing's border "
            "pixels, which the erosion left unlabelled, and the band between a fill and the "
            "background inferred beyond it take the class the models give with posterior "
            ">= 0.95, where two classes have sure pixels nearby (a spill past the object is "
            "background-coloured, an under-filled object's edge is not); a binary image drawn "
            "with strokes only, which infer no background, gets background labels wherever "
            "the background's model is that sure against the object's, and an image of more "
            "than two classes drawn so has each stroke's class grown over the connected pixels "
            "its model is that sure of (the object the stroke lies on). GrabCut uses "
            "the same evidence to cut; here it only labels, and the network and the prior "
            "decide the rest. Unlike sure_crf, the prior's β is 0.12 of each image's largest "
            "distance between the mean colours of two labelled classes (a dim image's edges "
            "count as edges), and the cross-entropy weighs 3x the labelled pixels within 2 px "
            "of another class's label, the only ones that say where one class stops.",
        edge_reference="drawn_classes", class_boundary_weight=3.0,
        refiner="checked_sure", **_SURE_LABELS_CRF),
    Objective(
        name="sure_crf",
        summary="cross-entropy on what the drawings say for sure (where full maps agree; the eroded "
                "interior of a fill, the background far from it, the cores of strokes) + a "
                "contrast-sensitive smoothness prior (relaxed CRF) that puts the uncertain band's "
                "boundary on image edges; CM heads fitted alongside, detached",
        doc="Cross-entropy on the labels the drawings make sure (coarseseg_tf.refine.seeds."
            "sure_labels): where two full maps overlap and agree, elsewhere each drawn class's "
            "interior eroded by a few pixels, the background beyond a few pixels from a fill, and "
            "the cores of negative strokes. The band a brush can err in is left unlabelled and "
            "decided by the contrast-sensitive smoothness prior (coarseseg_tf.losses."
            "edge_aware_smoothness), which settles the boundary on image edges. consensus_crf "
            "trains on the raw drawings instead and collapses when a positive fill spills past the "
            "object and no negative drawing contradicts it. The confusion-matrix heads are fitted "
            "to the sure labels given the segmentation, detached from it (the negative drawing is "
            "part of the sure labels, so it has no term of its own).",
        refiner="sure", **_SURE_LABELS_CRF),
    Objective(
        name="consensus_crf",
        summary="cross-entropy where the two drawings agree + a contrast-sensitive smoothness "
                "prior (relaxed CRF) that puts the boundary on image edges where they contradict "
                "each other; CM heads fitted alongside for inspection, detached from the segmentation",
        doc="Cross-entropy on the pixels where the positive and negative drawings do not "
            "contradict each other, plus a contrast-sensitive smoothness prior (a relaxed CRF, "
            "coarseseg_tf.losses.edge_aware_smoothness) that settles the boundary on image edges "
            "where they do. The confusion-matrix heads are fitted to each drawing given the "
            "segmentation but detached from it: they show where and how the drawings err "
            "(confusion_matrices(), the figure) without steering p; on the MNIST benchmark "
            "letting them steer did not help.",
        data_terms=functools.partial(confusion_terms, use_negative=True), cm_steering=False,
        logged=("positive_loss", "trace", "negative_loss"),
        consensus_weight=1.0, smoothness_weight=3.0),
    Objective(
        name="cm",
        summary="the paper: per-pixel CMs for both drawings, q = A·p, trace penalty λ, "
                "complementary loss for negatives",
        doc="The paper's method. Per-pixel confusion matrices A_o, A_c of the positive and the "
            "negative drawing; −log(A_o·p)[ỹ] + λ·tr(A_o) and −log(M·A_c·p)[ȳ] + λ·tr(A_c), "
            "M the complementary transition.",
        data_terms=functools.partial(confusion_terms, use_negative=True),
        logged=("positive_loss", "trace", "negative_loss")),
    Objective(
        name="floored_cm",
        summary="`cm` with every CM's diagonal floored at 0.6 and a strong trace penalty (λ = 1): "
                "the paper's model kept from its degenerate optimum",
        doc="The paper's terms (cm) with each per-pixel confusion matrix A = d·I + (1 − d)·A', "
            "d = 0.6, and λ = 1. Unconstrained, a CM whose columns are all equal (the drawing "
            "predicted from the image alone) has the smallest trace and sends p no gradient, so "
            "the trace penalty rewards it and cm collapses for λ >= 0.4; with the floor every CM "
            "stays informative (for L = 2, A[ỹ | ỹ] − A[ỹ | other] >= 0.2) and the strong trace "
            "penalty pushes the CMs down to the floor, where they absorb the drawings' errors. "
            "Chosen on dev MNIST at two seeds (benchmarks/results/dev_cm_floor.md). On the "
            "benchmark matrix it is steady on full maps (the best CM model there) but not on "
            "partial drawings: some seeds still call nearly everything the drawn class.",
        data_terms=functools.partial(confusion_terms, use_negative=True),
        logged=("positive_loss", "trace", "negative_loss"), trace_weight=1.0, cm_diagonal_floor=0.6),
    Objective(
        name="cm_positive_only",
        summary="`cm` without the negative drawing",
        doc="The paper's method with the negative drawing left out: −log(A_o·p)[ỹ] + λ·tr(A_o).",
        data_terms=functools.partial(confusion_terms, use_negative=False),
        logged=("positive_loss", "trace")),
    Objective(
        name="naive",
        summary="cross-entropy taking the positive drawing as the true mask",
        doc="Cross-entropy taking the positive drawing as the true mask (for L = 2, an image "
            "with only a negative drawing uses its complement). The baseline every method must beat.",
        data_terms=naive_terms,
        logged=("positive_loss",)),
    Objective(
        name="partial_ce",
        summary="cross-entropy on the pixels where the drawings agree",
        doc="Cross-entropy on the pixels where the positive and negative drawings agree, "
            "nothing elsewhere.",
        data_terms=no_data_terms,
        consensus_weight=1.0),
    Objective(
        name="grabcut",
        summary="two-step baseline: each image's drawings refined into a mask by GrabCut "
                "(binary only), then cross-entropy on those masks",
        doc="The paper's \"GrabCut+FCN\" baseline. Before training, OpenCV's GrabCut turns each "
            "image's drawings into a mask (seeded by coarseseg_tf.refine.seeds: eroded drawings "
            "sure, their borders probable); the network is then trained on those masks with "
            "cross-entropy, the drawings set aside. Binary drawings only.",
        data_terms=no_data_terms,
        refiner="grabcut"),
    Objective(
        name="random_walker",
        summary="two-step baseline: each image's drawings refined into a mask by a random walker, "
                "then cross-entropy on those masks",
        doc="A two-step baseline like the paper's \"LazySnapping+FCN\": before training, a random "
            "walker on the image graph (scikit-image) turns each image's drawings into a mask, "
            "seeded by coarseseg_tf.refine.seeds; the network is then trained on those masks with "
            "cross-entropy, the drawings set aside. Any number of classes.",
        data_terms=no_data_terms,
        refiner="random_walker"),
    Objective(
        name="supervised",
        summary="cross-entropy on true masks (upper bound)",
        doc="Cross-entropy on true masks only: the upper bound the drawings are measured against.",
        data_terms=no_data_terms),
)

#: every method by name
OBJECTIVES = {objective.name: objective for objective in _OBJECTIVES}
#: their names, in the order of the table
METHODS = tuple(OBJECTIVES)
#: the method ``fit()`` uses unless told otherwise: the best measured on our benchmark
DEFAULT_METHOD = "appearance_crf"


def get_objective(method: str) -> Objective:
    """The registry entry of ``method``; ValueError listing the methods if unknown."""
    if method not in OBJECTIVES:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return OBJECTIVES[method]


def methods_help() -> str:
    """One line per method, for ``--help`` and docstrings."""
    return "; ".join(f"{o.name}: {o.summary}" for o in _OBJECTIVES)
