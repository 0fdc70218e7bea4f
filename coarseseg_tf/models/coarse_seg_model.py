"""CoarseSegModel: a U-Net coupled with per-pixel confusion-matrix heads, one Keras model.

Batches are dicts of tensors:
  image     (B, H, W, C) float32
  positive  (B, H, W) int32, drawn class or 255       (optional)
  negative  (B, H, W) int32, complementary label or 255 (optional)
  mask      (B, H, W) int32, true class or 255          (optional)
An image whose ``mask`` is annotated is trained on its mask (semi-supervised mode);
the others are trained on their drawings with the loss of the method's objective
(:mod:`coarseseg_tf.models.objectives`).
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from coarseseg_tf import losses
from coarseseg_tf.images import as_image_batch
from coarseseg_tf.label_fusion import consensus_labels
from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.metrics import make_keras_mean_iou
from coarseseg_tf.models.config import ModelConfig, split_options
from coarseseg_tf.models.confusion import ComplementaryTransition, ConfusionMatrixHead
from coarseseg_tf.models.objectives import ALL_TERMS, LossInputs, get_objective
from coarseseg_tf.models.unet import build_unet_features


def _step_logs(logs):
    """A step's logs as Keras' trainer can reduce them under the current strategy.

    Keras 3.6 averages each log over workers with ``reduce(..., axis=0)`` under
    MultiWorkerMirroredStrategy, which fails on scalars: give it one-element vectors
    there (the reduction returns scalars again). Elsewhere logs stay scalars.
    """
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        return {name: ops.reshape(value, (1,)) for name, value in logs.items()}
    return logs


@keras.saving.register_keras_serializable(package="coarseseg_tf")
class CoarseSegModel(keras.Model):
    """Segmentation network θ plus confusion-matrix heads φ trained jointly.

    ``model(images)`` returns class probabilities p (B, H, W, L); inference never
    uses the confusion matrices. The training objective is the registry entry of
    ``method`` (:mod:`coarseseg_tf.models.objectives`); every method shares the
    network and this train step.

    Args:
      **options: the fields of :class:`~coarseseg_tf.models.config.ModelConfig`
        (num_classes, input_channels, width, depth, method, trace_weight, cm_form, ...),
        each defaulting to its value there; other keyword arguments go to keras.Model.
    """

    def __init__(self, **options):
        model_options, keras_options = split_options(options)
        super().__init__(**keras_options)
        self.model_config = ModelConfig(**model_options)
        self.objective = get_objective(self.model_config.method)
        c = self.model_config
        self.num_classes, self.input_channels, self.depth = c.num_classes, c.input_channels, c.depth
        # None takes the method's own setting; the resolved value is what get_config saves
        def own(name):
            value = getattr(c, name)
            return getattr(self.objective, name) if value is None else value
        self.consensus_weight = float(own("consensus_weight"))
        self.smoothness_weight = float(own("smoothness_weight"))
        self.cm_steering = bool(own("cm_steering"))
        self.edge_reference = own("edge_reference")
        self.class_boundary_weight = float(own("class_boundary_weight"))
        self.trace_weight = float(own("trace_weight"))
        self.cm_diagonal_floor = float(own("cm_diagonal_floor"))
        self.trunk = build_unet_features(c.input_channels, c.width, c.depth)
        self.seg_head = layers.Conv2D(c.num_classes, 1, name="segmentation_logits")
        self.cm_heads = {
            kind: ConfusionMatrixHead(c.num_classes, c.cm_form, c.cm_rank, c.identity_logit,
                                      self.cm_diagonal_floor, name=f"{kind}_confusion")
            for kind in ("positive", "negative")}
        self.transition = ComplementaryTransition(c.num_classes, c.transition_matrix,
                                                  name="complementary_transition")
        logged = self.objective.logged_terms(self.consensus_weight, self.smoothness_weight)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in logged}
        self.val_miou = make_keras_mean_iou(c.num_classes, name="mean_iou")

    @property
    def method(self) -> str:
        return self.model_config.method

    # ------------------------------------------------------------------ forward
    def build(self, input_shape=None):
        features_shape = (None, None, None, self.model_config.width)
        self.trunk.build((None, None, None, self.input_channels))
        self.seg_head.build(features_shape)
        for head in self.cm_heads.values():
            head.build(features_shape)
        self.transition.build((None, None, None, self.num_classes))
        self.built = True

    def call(self, images, training=False):
        return ops.softmax(self.seg_head(self.trunk(images, training=training)), axis=-1)

    def _forward(self, images, training):
        """Decoder features (B, H, W, width), logits and p (B, H, W, L)."""
        features = self.trunk(images, training=training)
        logits = self.seg_head(features)
        return features, logits, ops.softmax(logits, axis=-1)

    def confusion_matrices(self, images, batch_size=32):
        """Per-pixel CMs as numpy: {"positive": (N, H, W, L, L), "negative": (...)}.

        images: (N, H, W) or (N, H, W, C), uint8, uint16 or float in [0, 1]
        (the image-scale contract of :mod:`coarseseg_tf.images`).
        """
        images = ops.convert_to_tensor(as_image_batch(images))
        out = {"positive": [], "negative": []}
        for start in range(0, int(images.shape[0]), batch_size):
            features, _, _ = self._forward(images[start: start + batch_size], training=False)
            for kind, parts in out.items():
                parts.append(ops.convert_to_numpy(self.cm_heads[kind](features)))
        return {kind: np.concatenate(parts) for kind, parts in out.items()}

    def segment(self, images, batch_size=64):
        """Integer masks (N, H, W) uint8 by argmax of p.

        images: (N, H, W) or (N, H, W, C), uint8, uint16 or float in [0, 1], scaled by
        the image-scale contract (:mod:`coarseseg_tf.images`) as the serving graph
        scales decoded PNGs: the masks equal the served ones.
        """
        probabilities = self.predict(as_image_batch(images), batch_size=batch_size, verbose=0)
        return probabilities.argmax(axis=-1).astype("uint8")

    # ------------------------------------------------------------------ losses
    def compute_losses(self, batch, training=True):
        """All loss terms of the method for one batch; returns a dict of scalars."""
        images = batch["image"]
        shape = ops.shape(images)[:3]
        none = ops.full(shape, IGNORE_LABEL, "int32")
        mask = ops.cast(batch.get("mask", none), "int32")
        has_mask = losses.annotated_images(mask)[:, None, None]
        # an image with a true mask is trained on it; its drawings are set aside
        positive = ops.where(has_mask > 0, IGNORE_LABEL, ops.cast(batch.get("positive", none), "int32"))
        negative = ops.where(has_mask > 0, IGNORE_LABEL, ops.cast(batch.get("negative", none), "int32"))

        features, logits, p = self._forward(images, training)
        terms = {name: ops.zeros(()) for name in ALL_TERMS}
        terms["mask_loss"] = losses.masked_cross_entropy(logits, mask)
        terms.update(self.objective.data_terms(LossInputs(
            images=images, features=features, logits=logits, probabilities=p, positive=positive,
            negative=negative, num_classes=self.num_classes, cm_heads=self.cm_heads,
            transition=self.transition, cm_steering=self.cm_steering)))
        config = self.model_config
        relative_edges = self.smoothness_weight and self.edge_reference == "drawn_classes"
        if self.consensus_weight or relative_edges:
            consensus = consensus_labels(positive, negative, self.num_classes)
        if self.consensus_weight:
            boundary = (None if self.class_boundary_weight == 1 else losses.class_boundary_weights(
                consensus, self.num_classes, config.class_boundary_radius, self.class_boundary_weight))
            terms["consensus_loss"] = losses.masked_cross_entropy(logits, consensus, boundary)
        if self.smoothness_weight:
            if relative_edges:
                contrast = losses.drawn_class_contrast(images, consensus, self.num_classes)
                scale = config.class_contrast_fraction
            else:
                contrast, scale = None, config.edge_scale
            terms["smoothness"] = losses.edge_aware_smoothness(p, images, scale, config.edge_blur, contrast)
        terms["loss"] = (terms["positive_loss"] + terms["negative_loss"]
                         + self.trace_weight * terms["trace"] + terms["mask_loss"]
                         + self.consensus_weight * terms["consensus_loss"]
                         + self.smoothness_weight * terms["smoothness"])
        return terms

    # ------------------------------------------------------------------ Keras hooks
    def train_step(self, batch):
        # under a tf.distribute strategy the optimizer sums gradients over replicas:
        # dividing by their number makes the step that of the mean over the global batch
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            terms = self.compute_losses(batch, training=True)
            scaled_loss = terms["loss"] / replicas
        variables = self.trainable_variables
        gradients = tape.gradient(scaled_loss, variables)
        # naive, partial_ce and supervised never use the CM heads: no gradient there
        used = [(g, v) for g, v in zip(gradients, variables) if g is not None]
        self.optimizer.apply([g for g, _ in used], [v for _, v in used])
        for name, tracker in self._trackers.items():
            tracker.update_state(terms[name])
        return _step_logs({name: tracker.result() for name, tracker in self._trackers.items()})

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3.6 first averages a sample batch over the replicas, only to build what
        # is still unbuilt; under MultiWorkerMirroredStrategy that reduction fails on a
        # dict batch. A built model has nothing to learn from the batch: build the rest
        # (the optimizer's slots) in the strategy's scope without it.
        if not self.built or self._distribute_strategy is None:
            return super()._maybe_symbolic_build(iterator, data_batch)
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=())

    def test_step(self, batch):
        p = self(batch["image"], training=False)
        self.val_miou.update_state(batch["mask"], p)
        return _step_logs({"mean_iou": self.val_miou.result()})

    @property
    def metrics(self):
        return [*self._trackers.values(), self.val_miou]

    def get_config(self):
        return {**self.model_config.to_dict(), "transition_matrix": self.transition.get_config()["matrix"],
                "consensus_weight": self.consensus_weight, "smoothness_weight": self.smoothness_weight,
                "cm_steering": self.cm_steering, "edge_reference": self.edge_reference,
                "class_boundary_weight": self.class_boundary_weight, "trace_weight": self.trace_weight,
                "cm_diagonal_floor": self.cm_diagonal_floor, "name": self.name}
