import numpy as np
import pytest
import keras

from coarseseg_tf import losses
from coarseseg_tf.models.confusion import (ComplementaryTransition, ConfusionMatrixHead,
                                           apply_confusion, uniform_transition_matrix,
                                           validate_transition_matrix)
from coarseseg_tf.models.unet import CropLike, PadToMultiple


def _features(rng, shape=(2, 5, 6, 8)):
    return rng.normal(size=shape).astype("float32")


@pytest.mark.parametrize("form", ["full", "low_rank"])
@pytest.mark.parametrize("floor", [0.0, 0.5])
def test_cm_columns_sum_to_one(rng, form, floor):
    head = ConfusionMatrixHead(4, form=form, rank=2, diagonal_floor=floor)
    cm = keras.ops.convert_to_numpy(head(_features(rng)))
    assert cm.shape == (2, 5, 6, 4, 4)
    np.testing.assert_allclose(cm.sum(axis=-2), 1.0, atol=1e-5)
    assert (cm >= 0).all()
    if floor:
        assert (np.diagonal(cm, axis1=-2, axis2=-1) >= floor - 1e-6).all()


@pytest.mark.parametrize("form", ["full", "low_rank"])
def test_cm_starts_near_identity(rng, form):
    cm = keras.ops.convert_to_numpy(ConfusionMatrixHead(2, form=form, identity_logit=4.0)(_features(rng)))
    diagonal = np.diagonal(cm, axis1=-2, axis2=-1)
    if form == "full":
        np.testing.assert_allclose(diagonal, np.exp(4) / (np.exp(4) + 1), atol=1e-2)
    else:  # factors start at softplus(−4)
        assert (diagonal > 0.99).all()


def test_apply_confusion_matches_numpy(rng):
    a = rng.random((2, 3, 3, 4, 4)).astype("float32")
    a /= a.sum(axis=-2, keepdims=True)
    p = rng.dirichlet(np.ones(4), size=(2, 3, 3)).astype("float32")
    q = keras.ops.convert_to_numpy(apply_confusion(a, p))
    expected = np.stack([a[i, j, k] @ p[i, j, k] for i in range(2) for j in range(3)
                         for k in range(3)]).reshape(2, 3, 3, 4)
    np.testing.assert_allclose(q, expected, rtol=1e-5)
    np.testing.assert_allclose(q.sum(-1), 1.0, atol=1e-5)


def test_complementary_log1p_form_equals_explicit_product(rng):
    L = 5
    q = rng.dirichlet(np.ones(L), size=(2, 4, 4)).astype("float32")
    labels = rng.integers(0, L, (2, 4, 4))
    labels[0, 0] = 255
    uniform = ComplementaryTransition(L)
    explicit = ComplementaryTransition(L, matrix=uniform_transition_matrix(L) + 0.0)
    explicit.is_uniform = False  # force the general M·q path
    a = float(losses.complementary_nll(q, labels, uniform))
    b = float(losses.complementary_nll(q, labels, explicit))
    m = uniform_transition_matrix(L)
    v = np.einsum("ij,...j->...i", m, q)
    picked = np.take_along_axis(v, np.where(labels == 255, 0, labels)[..., None], -1)[..., 0]
    manual = -np.log(picked)[labels != 255].mean()
    assert a == pytest.approx(manual, rel=1e-5)
    assert b == pytest.approx(manual, rel=1e-5)


def test_custom_transition_matrix_used(rng):
    m = np.array([[0, 0.5, 1.0], [0.25, 0, 0.0], [0.75, 0.5, 0.0]])
    layer = ComplementaryTransition(3, matrix=m)
    q = rng.dirichlet(np.ones(3), size=(1, 2, 2)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(q)),
                               np.einsum("ij,...j->...i", m, q), rtol=1e-5)


@pytest.mark.parametrize("matrix, message", [
    (np.array([[0.5, 1.0], [0.5, 0.0]]), "zero diagonal"),
    (np.array([[0.0, 1.0], [-1.0, 0.0]]), "negative"),
    (np.array([[0.0, 0.5], [0.5, 0.0]]), "sum to 1"),
    (np.ones((3, 3)), "shape"),
])
def test_bad_transition_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        validate_transition_matrix(matrix, 2)


def test_trace_penalty_matches_numpy(rng):
    traces = np.trace(rng.random((3, 4, 4, 2, 2)), axis1=-2, axis2=-1).astype("float32")
    weights = np.array([1, 0, 1], "float32")
    assert float(losses.trace_penalty(traces, weights)) == pytest.approx(traces[[0, 2]].mean(), rel=1e-5)
    assert float(losses.trace_penalty(traces)) == pytest.approx(traces.mean(), rel=1e-5)


@pytest.mark.parametrize("form, floor", [("full", 0.0), ("low_rank", 0.0), ("low_rank", 0.3)])
def test_noisy_prediction_equals_the_materialised_product(rng, form, floor):
    L = 19
    head = ConfusionMatrixHead(L, form=form, rank=3, diagonal_floor=floor)
    features = _features(rng, (2, 3, 4, 8))
    head(features)
    # move off the initial near-identity so the check is not trivial
    head.set_weights([w + rng.normal(0, 0.5, w.shape).astype("float32") for w in head.get_weights()])
    cm = keras.ops.convert_to_numpy(head(features))
    np.testing.assert_allclose(cm.sum(axis=-2), 1.0, atol=1e-5)
    p = rng.dirichlet(np.ones(L), size=(2, 3, 4)).astype("float32")
    q, traces = (keras.ops.convert_to_numpy(t) for t in head.noisy_prediction(features, p))
    np.testing.assert_allclose(q, np.einsum("...ij,...j->...i", cm, p), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(traces, np.trace(cm, axis1=-2, axis2=-1), rtol=1e-4)


def test_coarse_nll_averages_over_annotated_pixels_only():
    q = np.full((1, 2, 2, 2), 0.5, "float32")
    q[0, 0, 0] = [0.1, 0.9]
    labels = np.array([[[1, 255], [255, 255]]])
    assert float(losses.coarse_nll(q, labels)) == pytest.approx(-np.log(0.9), rel=1e-5)
    assert float(losses.coarse_nll(q, np.full((1, 2, 2), 255))) == 0.0


def test_masked_cross_entropy_matches_numpy(rng):
    logits = rng.normal(size=(2, 3, 3, 3)).astype("float32")
    labels = rng.integers(0, 3, (2, 3, 3))
    labels[1] = 255
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p[0], labels[0][..., None], -1).mean()
    assert float(losses.masked_cross_entropy(logits, labels)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("layer, inputs", [
    (ConfusionMatrixHead(3, form="full", name="h1"), [(1, 4, 4, 8)]),
    (ConfusionMatrixHead(19, form="low_rank", rank=3, diagonal_floor=0.2, name="h2"), [(1, 4, 4, 8)]),
    (ComplementaryTransition(3, matrix=[[0, 0.5, 1.0], [0.25, 0, 0.0], [0.75, 0.5, 0.0]]), [(1, 4, 4, 3)]),
    (PadToMultiple(4), [(1, 5, 7, 2)]),
    (CropLike(), [(1, 8, 8, 2), (1, 5, 7, 2)]),
])
def test_layer_serialization_round_trip(rng, layer, inputs):
    arrays = [rng.random(s).astype("float32") for s in inputs]
    out = keras.ops.convert_to_numpy(layer(*arrays))
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    if layer.weights:
        clone(*arrays)
        clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(*arrays)), out, rtol=1e-6)
    assert clone.get_config() == layer.get_config()
