"""Per-pixel confusion matrices and the complementary-label transition.

Convention throughout: A[..., i, j] = p(drawn label = i | true label = j), so every
*column* of A sums to 1 and the noisy prediction of a drawing is q = A·p, i.e.
``einsum('...ij,...j->...i', A, p)``.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from coarseseg_tf.models.config import CM_FORMS



@keras.saving.register_keras_serializable(package="coarseseg_tf")
class ConfusionMatrixHead(layers.Layer):
    """Decoder features (B, H, W, F) -> per-pixel confusion matrices (B, H, W, L, L).

    ``form="full"`` predicts all L² logits with a 1×1 convolution and normalises each
    column with a softmax over axis −2. It starts near the identity: a zero kernel and
    a diagonal logit ``identity_logit`` (diagonal e^s / (e^s + L − 1)). Without this the
    trace term drags the matrices off the identity before the segmentation network
    has learnt anything, and the two networks never separate.

    ``form="low_rank"`` predicts non-negative factors U (L×r), V (r×L) per pixel
    (2·L·r channels instead of L²) and A = (U·V + s·I) / column sums, s > 0 learnt.
    Its point is that :meth:`noisy_prediction` computes q = A·p and tr(A) from the
    factors in O(L·r) per pixel, never forming the L×L matrix, so L = 19 trains at
    256×512. The factors start at softplus(−identity_logit), so A starts near I.

    ``diagonal_floor`` d mixes in a fixed identity, A = d·I + (1 − d)·A', so every
    diagonal entry is at least d; d > 0.5 makes A diagonally dominant for any L.
    d = 0 is the paper's unconstrained head.
    """

    def __init__(self, num_classes: int, form: str = "full", rank: int = 2,
                 identity_logit: float = 4.0, diagonal_floor: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        if form not in CM_FORMS:
            raise ValueError(f"form must be one of {CM_FORMS}, got {form!r}")
        if not 0.0 <= diagonal_floor < 1.0:
            raise ValueError(f"diagonal_floor must be in [0, 1), got {diagonal_floor}")
        if form == "low_rank" and rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}")
        self.num_classes = int(num_classes)
        self.form = form
        self.rank = int(rank)
        self.identity_logit = float(identity_logit)
        self.diagonal_floor = float(diagonal_floor)
        L = self.num_classes
        if form == "full":
            bias = np.eye(L, dtype="float32").reshape(-1) * self.identity_logit
            self.project = layers.Conv2D(
                L * L, 1, kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(bias), name="cm_logits")
        else:
            self.project = layers.Conv2D(
                2 * L * self.rank, 1,
                kernel_initializer=keras.initializers.RandomNormal(stddev=1e-3),
                bias_initializer=keras.initializers.Constant(-self.identity_logit), name="cm_factors")

    def build(self, input_shape):
        self.project.build(input_shape)
        if self.form == "low_rank":
            # softplus(0.5413) = 1: the identity part starts with weight 1
            self.identity_weight = self.add_weight(
                shape=(), name="identity_weight", initializer=keras.initializers.Constant(0.5413))

    def _factors(self, features):
        """Low rank: U (B, H, W, L, r), V (B, H, W, r, L), s > 0, column sums Z (B, H, W, L)."""
        L, r = self.num_classes, self.rank
        raw = ops.softplus(self.project(features))
        lead = ops.shape(raw)[:-1]
        u = ops.reshape(raw[..., : L * r], (*lead, L, r))
        v = ops.reshape(raw[..., L * r:], (*lead, r, L))
        s = ops.softplus(self.identity_weight)
        z = ops.sum(ops.sum(u, axis=-2)[..., :, None] * v, axis=-2) + s  # Σ_i (U·V)_ij + s
        return u, v, s, z

    def _floor(self, value, identity_value):
        d = self.diagonal_floor
        return value if d == 0 else d * identity_value + (1.0 - d) * value

    def call(self, features):
        L = self.num_classes
        if self.form == "full":
            raw = self.project(features)
            cm = ops.softmax(ops.reshape(raw, (*ops.shape(raw)[:-1], L, L)), axis=-2)
        else:  # materialised for inspection only; training goes through noisy_prediction
            u, v, s, z = self._factors(features)
            product = ops.sum(u[..., :, :, None] * v[..., None, :, :], axis=-2)  # (…, L, L)
            cm = (product + s * ops.eye(L)) / z[..., None, :]
        return self._floor(cm, ops.eye(L))

    def noisy_prediction(self, features, probabilities):
        """q = A·p (B, H, W, L) and tr(A) (B, H, W) for the CMs of ``features``."""
        L = self.num_classes
        if self.form == "full":
            cm = self.call(features)
            return apply_confusion(cm, probabilities), ops.sum(cm * ops.eye(L), axis=(-2, -1))
        u, v, s, z = self._factors(features)
        scaled = probabilities / z                                    # p_j / Z_j
        q = ops.sum(u * ops.sum(v * scaled[..., None, :], axis=-1)[..., None, :], axis=-1) + s * scaled
        diagonal = ops.sum(u * ops.swapaxes(v, -1, -2), axis=-1)       # (U·V)_jj
        trace = ops.sum((diagonal + s) / z, axis=-1)
        return self._floor(q, probabilities), self._floor(trace, float(L))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_classes, self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "form": self.form,
                "rank": self.rank, "identity_logit": self.identity_logit,
                "diagonal_floor": self.diagonal_floor}


def apply_confusion(cm, probabilities):
    """q = A·p per pixel: (B, H, W, L, L) × (B, H, W, L) -> (B, H, W, L).

    Written as a broadcast product and a sum: einsum lowers to one tiny matmul per
    pixel, which on CPU costs more than the whole U-Net at MNIST size.
    """
    return ops.sum(cm * probabilities[..., None, :], axis=-1)


def validate_transition_matrix(matrix, num_classes: int) -> np.ndarray:
    """Checks a complementary transition matrix M[i, j] = p(ȳ = i | y = j).

    It must be (L, L), finite, non-negative, zero on the diagonal (a complementary
    label never names the true class) and column-stochastic.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (num_classes, num_classes):
        raise ValueError(f"transition matrix must have shape ({num_classes}, {num_classes}), got {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError("transition matrix has NaN or inf entries")
    if (m < 0).any():
        i, j = np.argwhere(m < 0)[0]
        raise ValueError(f"transition matrix entry [{i}, {j}] = {m[i, j]} is negative")
    diag = np.diag(m)
    if (np.abs(diag) > 1e-6).any():
        i = int(np.argmax(np.abs(diag) > 1e-6))
        raise ValueError(f"transition matrix must have a zero diagonal; entry [{i}, {i}] = {diag[i]}")
    sums = m.sum(axis=0)
    if (np.abs(sums - 1.0) > 1e-4).any():
        j = int(np.argmax(np.abs(sums - 1.0) > 1e-4))
        raise ValueError(f"transition matrix columns must sum to 1; column {j} sums to {sums[j]}")
    return m


def uniform_transition_matrix(num_classes: int) -> np.ndarray:
    """M with 1/(L − 1) off the diagonal: ȳ uniform over the classes other than y."""
    return (np.ones((num_classes, num_classes)) - np.eye(num_classes)) / (num_classes - 1)


@keras.saving.register_keras_serializable(package="coarseseg_tf")
class ComplementaryTransition(layers.Layer):
    """Noisy-label probabilities q (B, H, W, L) -> complementary-label probabilities v.

    v = M·q with M[i, j] = p(ȳ = i | y = j) (columns sum to 1). For the paper's uniform
    M the matrix is symmetric, so this is the paper's Mᵀ·q. ``matrix=None`` means
    uniform, for which :func:`coarseseg_tf.losses.complementary_nll` uses the exact
    closed form v[ȳ] = (1 − q[ȳ]) / (L − 1).
    """

    def __init__(self, num_classes: int, matrix=None, **kwargs):
        super().__init__(**kwargs)
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        self.num_classes = int(num_classes)
        self.is_uniform = matrix is None
        m = uniform_transition_matrix(num_classes) if matrix is None else \
            validate_transition_matrix(matrix, num_classes)
        self.matrix = m.astype("float32")

    def call(self, q):
        return ops.einsum("ij,...j->...i", ops.convert_to_tensor(self.matrix), q)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "matrix": None if self.is_uniform else self.matrix.tolist()}
