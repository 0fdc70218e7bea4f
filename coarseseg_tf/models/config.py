"""Every hyperparameter of :class:`~coarseseg_tf.models.CoarseSegModel`, with its default, once.

Plain Python (no TensorFlow): the CLI builds its options from these fields and the
pipeline's settings validate against them without starting TensorFlow.
:class:`~coarseseg_tf.train.config.TrainingConfig` extends this class with the
training loop's settings.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from coarseseg_tf.models.objectives import DEFAULT_METHOD, EDGE_REFERENCES, METHODS, Objective

#: forms of the confusion-matrix heads (see ConfusionMatrixHead)
CM_FORMS = ("full", "low_rank")


def check_field(where: str, name: str, value, types, valid, expected: str) -> None:
    """Raises ValueError ``"<where>: field '<name>' must be <expected>, got <value>"``."""
    # bool is an int in Python, but epochs=True is a config mistake
    allowed = types if isinstance(types, tuple) else (types,)
    if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, types) or not valid(value):
        raise ValueError(f"{where}: field {name!r} must be {expected}, got {value!r}")


def setting(default, help: str):
    """A config field with its default and the one-line help the CLI shows for it."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ModelConfig:
    """The network and its training objective; each field's help says what it sets."""

    num_classes: int = setting(2, "L, classes including background")
    input_channels: int = setting(1, "C of the images (taken from the data when training)")
    width: int = setting(16, "U-Net channels at the top level")
    depth: int = setting(2, "U-Net poolings")
    method: str = setting(DEFAULT_METHOD, "training objective (see coarseseg_tf.models.objectives)")
    trace_weight: float | None = setting(
        None, "λ of the trace penalty on the confusion matrices (default: the method's own, "
        f"{Objective.trace_weight:g} unless its registry entry says otherwise)")
    cm_form: str = setting("full", "confusion-matrix heads: full (L² channels per pixel) or low_rank")
    cm_rank: int = setting(2, "rank r of low_rank heads")
    cm_diagonal_floor: float | None = setting(
        None, "d in A = d·I + (1 − d)·A', 0: the paper's unconstrained head (default: the method's own, "
        f"{Objective.cm_diagonal_floor:g} unless its registry entry says otherwise)")
    identity_logit: float = setting(4.0, "initial diagonal logit of the heads (they start near the identity)")
    transition_matrix: list | None = setting(
        None, "complementary transition M, L×L nested lists (zero diagonal, columns sum to 1); None: uniform")
    consensus_weight: float | None = setting(
        None, "weight of the cross-entropy where the drawings agree (default: the method's own)")
    smoothness_weight: float | None = setting(
        None, "weight of the contrast-sensitive smoothness prior (default: the method's own)")
    cm_steering: bool | None = setting(
        None, "let the confusion-matrix terms train the segmentation, not only the heads (default: the method's own)")
    edge_scale: float | None = setting(
        0.1, "β of the smoothness prior under edge_reference=intensity, in image units ([0, 1]); None: "
        "each image's RMS neighbour difference")
    edge_blur: float = setting(0.0, "Gaussian blur (pixels) of the image before measuring edges")
    edge_reference: str | None = setting(
        None, "what sets β: intensity (edge_scale) or drawn_classes (class_contrast_fraction × each "
        "image's largest distance between the mean colours of two labelled classes); default: the "
        "method's own")
    class_contrast_fraction: float = setting(
        0.12, "β as a fraction of the class contrast under edge_reference=drawn_classes (0.12 keeps a "
        "black-and-white digit's β near 0.1)")
    class_boundary_weight: float | None = setting(
        None, "weight in the agreement cross-entropy of the labelled pixels where two classes' labels "
        "meet (within class_boundary_radius), 1: every labelled pixel alike; default: the method's own")
    class_boundary_radius: int = setting(2, "pixels: how near two classes' labels must be for class_boundary_weight")

    #: prefix of validation errors; TrainingConfig says "training config"
    _WHERE = "model config"

    def __post_init__(self):
        def check(name, types, valid, expected):
            check_field(self._WHERE, name, getattr(self, name), types, valid, expected)
        number = (int, float)
        check("num_classes", int, lambda v: v >= 2, "an integer >= 2")
        for name in ("input_channels", "width", "depth", "cm_rank"):
            check(name, int, lambda v: v >= 1, "an integer >= 1")
        check("method", str, lambda v: v in METHODS, f"one of {METHODS}")
        check("cm_form", str, lambda v: v in CM_FORMS, f"one of {CM_FORMS}")
        check("cm_diagonal_floor", (int, float, type(None)), lambda v: v is None or 0 <= v < 1,
              "a number in [0, 1) or None")
        check("identity_logit", number, lambda v: True, "a number")
        check("transition_matrix", (list, tuple, type(None)), lambda v: True, "an L×L nested list or None")
        for name in ("trace_weight", "consensus_weight", "smoothness_weight"):
            check(name, (int, float, type(None)), lambda v: v is None or v >= 0, "a number >= 0 or None")
        check("cm_steering", (bool, type(None)), lambda v: True, "True, False or None")
        check("edge_scale", (int, float, type(None)), lambda v: v is None or v > 0, "a number > 0 or None")
        check("edge_blur", number, lambda v: v >= 0, "a number >= 0")
        check("edge_reference", (str, type(None)), lambda v: v is None or v in EDGE_REFERENCES,
              f"one of {EDGE_REFERENCES} or None")
        check("class_contrast_fraction", number, lambda v: v > 0, "a number > 0")
        check("class_boundary_weight", (int, float, type(None)), lambda v: v is None or v > 0,
              "a number > 0 or None")
        check("class_boundary_radius", int, lambda v: v >= 1, "an integer >= 1")

    @classmethod
    def from_dict(cls, values: dict | None):
        """Builds a config from a plain dict; unknown or malformed fields raise ValueError."""
        values = dict(values or {})
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"{cls._WHERE}: unknown field(s) {unknown}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def model_config(self) -> "ModelConfig":
        """The :class:`ModelConfig` part (for a TrainingConfig: without the loop's settings)."""
        names = [f.name for f in dataclasses.fields(ModelConfig)]
        return ModelConfig(**{name: getattr(self, name) for name in names})


def split_options(options: dict) -> tuple[dict, dict]:
    """(ModelConfig fields, everything else) of a dict of keyword arguments."""
    names = {f.name for f in dataclasses.fields(ModelConfig)}
    return ({k: v for k, v in options.items() if k in names},
            {k: v for k, v in options.items() if k not in names})
