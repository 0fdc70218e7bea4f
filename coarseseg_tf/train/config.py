"""TrainingConfig: the one source of training defaults.

``fit(config=..., **overrides)``, the ``coarseseg train`` options, the TFX Trainer's
``custom_config`` and ``pipeline/configs.py`` all start from these fields; nothing
else spells a default. Plain Python (no TensorFlow).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from coarseseg_tf.models.config import ModelConfig, check_field, setting


@dataclass(frozen=True)
class TrainingConfig(ModelConfig):
    """The model's fields (:class:`~coarseseg_tf.models.config.ModelConfig`) plus the loop's."""

    epochs: int = setting(40, "passes over the training images")
    batch_size: int = setting(16, "images per step (the global batch under a tf.distribute strategy)")
    learning_rate: float = setting(1e-3, "Adam's learning rate")
    seed: int = setting(0, "seed of weights and shuffling")
    shuffle_buffer: int = setting(2048, "examples shuffled together when training from a dataset")
    validation_batch_size: int = setting(64, "images per step when scoring validation data")
    cache_refined: bool = setting(
        True, "keep a dataset's refined drawings in memory after the first epoch (methods with a "
              "refiner); off: refine them again every epoch, for data larger than memory")
    recalibrate_batch_norm: bool = setting(
        True, "after training, set each batch norm's statistics to those of the training images "
              "under the final weights (precise BN; up to 256 images or 8M pixels); off: Keras' "
              "moving averages, which lag the weights when training takes few steps")
    # off by default: in the pipeline the training split's masks are what the drawings
    # were synthesized from, and training on them would not be learning from drawings
    use_masks: bool = setting(False, "train images that carry a true mask on that mask (semi-supervised)")

    _WHERE = "training config"

    def __post_init__(self):
        super().__post_init__()

        def check(name, types, valid, expected):
            check_field(self._WHERE, name, getattr(self, name), types, valid, expected)
        for name in ("epochs", "batch_size", "shuffle_buffer", "validation_batch_size"):
            check(name, int, lambda v: v >= 1, "an integer >= 1")
        check("seed", int, lambda v: True, "an integer")
        check("learning_rate", (int, float), lambda v: v > 0, "a number > 0")
        check("use_masks", bool, lambda v: True, "true or false")
        for name in ("cache_refined", "recalibrate_batch_norm"):
            check(name, bool, lambda v: True, "true or false")

    def replace(self, **overrides) -> "TrainingConfig":
        """A copy with ``overrides``; an unknown name raises ValueError listing the fields."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"{self._WHERE}: unknown field(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **overrides)

