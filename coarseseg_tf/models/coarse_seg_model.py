"""CoarseSegModel: a U-Net coupled with per-pixel confusion-matrix heads, one Keras model.

Batches are dicts of tensors:
  image     (B, H, W, C) float32
  positive  (B, H, W) int32, drawn class or 255       (optional)
  negative  (B, H, W) int32, complementary label or 255 (optional)
  mask      (B, H, W) int32, true class or 255          (optional)
An image whose ``mask`` is annotated is trained on its mask (semi-supervised mode);
the others are trained on their drawings with the loss of ``method``.
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
from coarseseg_tf.models.confusion import ComplementaryTransition, ConfusionMatrixHead
from coarseseg_tf.models.unet import build_unet_features

#: every training objective, all in the same code path (see ``CoarseSegModel``)
METHODS = ("consensus_crf", "cm", "cm_positive_only", "naive", "partial_ce", "supervised")
#: methods with confusion-matrix heads
CM_METHODS = ("cm", "cm_positive_only")
#: the method that measured best in benchmarks/results/mnist_table.md
DEFAULT_METHOD = "consensus_crf"
#: weights of the consensus and smoothness terms each method uses unless told otherwise
_METHOD_WEIGHTS = {"consensus_crf": (1.0, 3.0), "partial_ce": (1.0, 0.0)}


def _annotated_images(labels):
    """(B, H, W) label map -> (B,) float, 1 where the image has any annotated pixel."""
    return ops.cast(ops.any(ops.not_equal(labels, IGNORE_LABEL), axis=(1, 2)), "float32")


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
    uses the confusion matrices.

    Methods (``method=``), all sharing the network and this train step:

    - ``cm``: the paper. Per-pixel CMs A_o, A_c for the positive and the negative
      drawing; −log(A_o·p)[ỹ] + λ·tr(A_o) and −log(M·A_c·p)[ȳ] + λ·tr(A_c).
    - ``cm_positive_only``: ``cm`` with the negative drawing left out.
    - ``consensus_crf`` (default, the best measured): cross-entropy on the pixels where
      the drawings agree plus a contrast-sensitive smoothness prior (a relaxed CRF,
      :func:`coarseseg_tf.losses.edge_aware_smoothness`) that settles the boundary on
      image edges where the drawings contradict each other. The CM heads are fitted
      to each drawing given the segmentation (detached: they show where and how the
      drawings err, for ``confusion_matrices()`` and the figure, but do not steer p);
      on our benchmark letting the CM terms steer p did not help (see the table).
    - ``naive``: cross-entropy taking the positive drawing as the true mask (for
      L = 2, an image with only a negative drawing uses its complement).
    - ``partial_ce``: cross-entropy on the pixels where the drawings agree.
    - ``supervised``: cross-entropy on true masks only.

    Args:
      num_classes: L >= 2.
      input_channels: C of the images.
      width, depth: U-Net width (channels at the top level) and number of poolings.
      method: one of ``METHODS``.
      trace_weight: λ of the trace penalty.
      cm_form, cm_rank: ``"full"`` or ``"low_rank"`` heads (rank r).
      cm_diagonal_floor: d in A = d·I + (1 − d)·softmax(·) (0: unconstrained).
      identity_logit: initial diagonal logit of the heads.
      transition_matrix: complementary transition M (L, L), None for uniform.
      consensus_weight, smoothness_weight: weights of the agreement cross-entropy and
        the smoothness prior, added to any method; None takes the method's own
        (consensus_crf: 1 and 3, partial_ce: 1 and 0, others 0).
      edge_scale, edge_blur: β of the smoothness prior in image intensity units, and
        the Gaussian blur (pixels) applied before measuring edges.
    """

    def __init__(self, num_classes=2, input_channels=1, width=16, depth=2,
                 method=DEFAULT_METHOD, trace_weight=0.01, cm_form="full", cm_rank=2,
                 cm_diagonal_floor=0.0, identity_logit=4.0, transition_matrix=None,
                 consensus_weight=None, smoothness_weight=None, edge_scale=0.1, edge_blur=0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if trace_weight < 0:
            raise ValueError(f"trace_weight must be >= 0, got {trace_weight}")
        self.num_classes = int(num_classes)
        self.input_channels = int(input_channels)
        self.width, self.depth = int(width), int(depth)
        self.method = method
        self.trace_weight = float(trace_weight)
        self.cm_form, self.cm_rank = cm_form, int(cm_rank)
        self.cm_diagonal_floor = float(cm_diagonal_floor)
        self.identity_logit = float(identity_logit)
        default_consensus, default_smoothness = _METHOD_WEIGHTS.get(method, (0.0, 0.0))
        self.consensus_weight = float(default_consensus if consensus_weight is None else consensus_weight)
        self.smoothness_weight = float(default_smoothness if smoothness_weight is None else smoothness_weight)
        self.edge_scale, self.edge_blur = float(edge_scale), float(edge_blur)
        self.trunk = build_unet_features(input_channels, width, depth)
        self.seg_head = layers.Conv2D(num_classes, 1, name="segmentation_logits")
        self.cm_heads = {
            kind: ConfusionMatrixHead(num_classes, cm_form, cm_rank, identity_logit,
                                      self.cm_diagonal_floor, name=f"{kind}_confusion")
            for kind in ("positive", "negative")}
        self.transition = ComplementaryTransition(num_classes, transition_matrix,
                                                  name="complementary_transition")
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self._logged_terms()}
        self.val_miou = make_keras_mean_iou(num_classes, name="mean_iou")

    def _logged_terms(self):
        """The loss terms this method uses: the ones worth a column in the training log."""
        names = ["loss", "mask_loss"]
        if self.method in CM_METHODS or self.method == "consensus_crf":
            names += ["positive_loss", "trace"]
            if self.method != "cm_positive_only":
                names.append("negative_loss")
        elif self.method == "naive":
            names.append("positive_loss")
        if self.consensus_weight:
            names.append("consensus_loss")
        if self.smoothness_weight:
            names.append("smoothness")
        return names

    # ------------------------------------------------------------------ forward
    def build(self, input_shape=None):
        features_shape = (None, None, None, self.width)
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

        images: (N, H, W) or (N, H, W, C).
        """
        images = ops.convert_to_tensor(as_image_batch(images))
        out = {"positive": [], "negative": []}
        for start in range(0, int(images.shape[0]), batch_size):
            features, _, _ = self._forward(images[start: start + batch_size], training=False)
            for kind, parts in out.items():
                parts.append(ops.convert_to_numpy(self.cm_heads[kind](features)))
        return {kind: np.concatenate(parts) for kind, parts in out.items()}

    def segment(self, images, batch_size=64):
        """Integer masks (N, H, W) uint8 by argmax of p; images (N, H, W) or (N, H, W, C)."""
        probabilities = self.predict(as_image_batch(images), batch_size=batch_size, verbose=0)
        return probabilities.argmax(axis=-1).astype("uint8")

    # ------------------------------------------------------------------ losses
    def compute_losses(self, batch, training=True):
        """All loss terms of ``method`` for one batch; returns a dict of scalars."""
        images = batch["image"]
        shape = ops.shape(images)[:3]
        none = ops.full(shape, IGNORE_LABEL, "int32")
        mask = ops.cast(batch.get("mask", none), "int32")
        has_mask = _annotated_images(mask)[:, None, None]
        # an image with a true mask is trained on it; its drawings are set aside
        positive = ops.where(has_mask > 0, IGNORE_LABEL, ops.cast(batch.get("positive", none), "int32"))
        negative = ops.where(has_mask > 0, IGNORE_LABEL, ops.cast(batch.get("negative", none), "int32"))

        features, logits, p = self._forward(images, training)
        zero = ops.zeros(())
        terms = {"positive_loss": zero, "negative_loss": zero, "trace": zero,
                 "mask_loss": losses.masked_cross_entropy(logits, mask),
                 "consensus_loss": zero, "smoothness": zero}
        method, L = self.method, self.num_classes
        if method == "naive":
            fallback = (1 - negative) if L == 2 else none
            fallback = ops.where(negative == IGNORE_LABEL, IGNORE_LABEL, fallback)
            label = ops.where(_annotated_images(positive)[:, None, None] > 0, positive, fallback)
            terms["positive_loss"] = losses.masked_cross_entropy(logits, label)
        elif method in CM_METHODS:
            terms.update(self._cm_terms(features, p, positive, negative, method != "cm_positive_only"))
        elif method == "consensus_crf":
            # the CM heads learn each drawing's confusion given the segmentation, for
            # inspection; stop_gradient keeps their losses from steering θ
            terms.update(self._cm_terms(ops.stop_gradient(features), ops.stop_gradient(p),
                                        positive, negative, True))
        if self.consensus_weight:
            terms["consensus_loss"] = losses.masked_cross_entropy(
                logits, consensus_labels(positive, negative, L))
        if self.smoothness_weight:
            terms["smoothness"] = losses.edge_aware_smoothness(p, images, self.edge_scale, self.edge_blur)
        terms["loss"] = (terms["positive_loss"] + terms["negative_loss"]
                         + self.trace_weight * terms["trace"] + terms["mask_loss"]
                         + self.consensus_weight * terms["consensus_loss"]
                         + self.smoothness_weight * terms["smoothness"])
        return terms

    def _cm_terms(self, features, p, positive, negative, use_negative):
        """Coarse NLL of the positive drawing, complementary NLL of the negative one, traces."""
        zero = ops.zeros(())
        terms = {"positive_loss": zero, "negative_loss": zero, "trace": zero}
        kinds = [("positive", positive)] + ([("negative", negative)] if use_negative else [])
        for kind, labels in kinds:
            q, traces = self.cm_heads[kind].noisy_prediction(features, p)
            if kind == "positive":
                terms["positive_loss"] = losses.coarse_nll(q, labels)
            else:
                terms["negative_loss"] = losses.complementary_nll(q, labels, self.transition)
            terms["trace"] = terms["trace"] + losses.trace_penalty(traces, _annotated_images(labels))
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
        return {"num_classes": self.num_classes, "input_channels": self.input_channels,
                "width": self.width, "depth": self.depth, "method": self.method,
                "trace_weight": self.trace_weight, "cm_form": self.cm_form,
                "cm_rank": self.cm_rank, "cm_diagonal_floor": self.cm_diagonal_floor,
                "identity_logit": self.identity_logit,
                "transition_matrix": self.transition.get_config()["matrix"],
                "consensus_weight": self.consensus_weight,
                "smoothness_weight": self.smoothness_weight, "edge_scale": self.edge_scale,
                "edge_blur": self.edge_blur,
                "name": self.name}
