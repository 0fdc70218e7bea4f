"""Training settings as one validated object: what the TFX Trainer passes as custom_config."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from coarseseg_tf.models.coarse_seg_model import DEFAULT_METHOD, METHODS


@dataclass(frozen=True)
class TrainingConfig:
    """Everything :func:`coarseseg_tf.train.run_fn.run_fn` needs besides the data.

    ``use_masks``: train images that carry a true mask on that mask (semi-supervised).
    Off by default: the training split's masks are what the drawings were synthesized
    from, and training on them would not be learning from drawings.
    ``model_options`` go to :class:`~coarseseg_tf.models.CoarseSegModel` (e.g.
    ``cm_form``, ``smoothness_weight``).
    """

    num_classes: int = 2
    channels: int = 1
    method: str = DEFAULT_METHOD
    epochs: int = 40
    batch_size: int = 16
    learning_rate: float = 1e-3
    trace_weight: float = 0.01
    width: int = 16
    depth: int = 2
    seed: int = 0
    shuffle_buffer: int = 2048
    use_masks: bool = False
    model_options: dict = field(default_factory=dict)

    def __post_init__(self):
        positive_ints = ("epochs", "batch_size", "width", "depth", "shuffle_buffer")
        for name in positive_ints:
            _check(name, getattr(self, name), int, lambda v: v >= 1, "an integer >= 1")
        _check("num_classes", self.num_classes, int, lambda v: v >= 2, "an integer >= 2")
        _check("channels", self.channels, int, lambda v: v in (1, 3), "1 (grayscale) or 3 (RGB)")
        _check("seed", self.seed, int, lambda v: True, "an integer")
        _check("learning_rate", self.learning_rate, (int, float), lambda v: v > 0, "a number > 0")
        _check("trace_weight", self.trace_weight, (int, float), lambda v: v >= 0, "a number >= 0")
        _check("method", self.method, str, lambda v: v in METHODS, f"one of {METHODS}")
        _check("use_masks", self.use_masks, bool, lambda v: True, "true or false")
        _check("model_options", self.model_options, dict, lambda v: True, "a dict")

    @classmethod
    def from_dict(cls, values: dict | None) -> "TrainingConfig":
        """Builds a config from a plain dict; unknown or malformed fields raise ValueError."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"training config: unknown field(s) {unknown}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _check(name, value, types, valid, expected):
    # bool is an int in Python, but True epochs is a config mistake
    if (isinstance(value, bool) and types is not bool) or not isinstance(value, types) or not valid(value):
        raise ValueError(f"training config: field {name!r} must be {expected}, got {value!r}")
