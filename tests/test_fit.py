import numpy as np
import pytest
import keras
import tensorflow as tf

import coarseseg_tf
from coarseseg_tf import CoarseSegModel, fit, mean_iou
from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist


@pytest.fixture(scope="module")
def small_split(digits):
    return make_coarse_mnist(num_train=96, num_test=200, seed=3, digits=digits)


def test_fit_beats_the_untrained_model(small_split):
    train, test = small_split
    untrained = CoarseSegModel(num_classes=2)
    untrained.build()
    before = mean_iou(test.masks, untrained.segment(test.images), 2)
    result = fit(train.images, train.positive, train.negative, epochs=8, batch_size=16,
                 validation_data=(test.images[:64], test.masks[:64]), verbose=0, seed=0)
    after = mean_iou(test.masks, result.model.segment(test.images), 2)
    assert after > before + 0.15, (before, after)
    assert after > 0.6
    assert result.history.history["val_mean_iou"][-1] > before
    assert len(result.history.history["loss"]) == 8


@pytest.mark.parametrize("method", coarseseg_tf.METHODS)
def test_every_method_runs_and_reduces_its_loss(small_split, method):
    train, _ = small_split
    masks = train.masks[:32] if method == "supervised" else None
    result = fit(train.images[:32], train.positive[:32], train.negative[:32], masks=masks,
                 method=method, epochs=3, batch_size=16, verbose=0)
    losses = result.history.history["loss"]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0]


def test_segment_and_confusion_matrices_shapes(small_split):
    train, _ = small_split
    model = CoarseSegModel(num_classes=2)
    model.build()
    masks = model.segment(train.images[:5])
    assert masks.shape == (5, 28, 28) and masks.dtype == np.uint8
    np.testing.assert_array_equal(model.segment(train.images[:5, ..., 0]), masks)  # (N, H, W) works too
    cms = model.confusion_matrices(train.images[:5])
    assert cms["positive"].shape == (5, 28, 28, 2, 2)
    np.testing.assert_allclose(cms["negative"].sum(axis=-2), 1.0, atol=1e-5)


@pytest.mark.parametrize("size", [(28, 28), (13, 21), (31, 7)])
def test_any_input_size(size):
    model = CoarseSegModel(num_classes=3, input_channels=2, depth=3, width=4)
    model.build()
    p = keras.ops.convert_to_numpy(model(np.random.rand(2, *size, 2).astype("float32")))
    assert p.shape == (2, *size, 3)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)


def test_dataset_input_and_semi_supervised(small_split):
    train, _ = small_split
    masks = np.full_like(train.masks[:32], 255)
    masks[:8] = train.masks[:8]  # a few images with true masks, the rest with drawings
    ds = tf.data.Dataset.from_tensor_slices({"image": train.images[:32], "positive": train.positive[:32],
                                             "mask": masks})
    result = fit(ds, epochs=2, batch_size=8, verbose=0, method="cm")
    assert result.history.history["mask_loss"][-1] > 0
    assert result.history.history["negative_loss"][-1] == 0  # no negative drawings given


def test_model_save_load_round_trip(tmp_path, small_split):
    train, _ = small_split
    model = fit(train.images[:16], train.positive[:16], train.negative[:16], epochs=1,
                batch_size=8, verbose=0, cm_form="low_rank", cm_rank=1,
                transition_matrix=[[0, 1], [1, 0]]).model
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, CoarseSegModel)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded.predict(train.images[:4], verbose=0),
                               model.predict(train.images[:4], verbose=0), atol=1e-6)
    np.testing.assert_allclose(loaded.confusion_matrices(train.images[:4])["positive"],
                               model.confusion_matrices(train.images[:4])["positive"], atol=1e-6)


def test_batch_norms_take_the_training_images_statistics_under_the_final_weights(small_split):
    # 2 steps leave Keras' moving averages near their start (mean 0, variance 1), so a
    # network that predicts with them is not the one training shaped
    images = small_split[0].images[:16]
    drawings = small_split[0].positive[:16]
    gaps = {}
    for recalibrate in (False, True):
        model = fit(images, drawings, epochs=2, batch_size=8, verbose=0,
                    recalibrate_batch_norm=recalibrate).model
        # the 16 images as one batch: training mode normalises by exactly their statistics
        gaps[recalibrate] = np.abs(model(images, training=False) - model(images, training=True)).max()
    assert gaps[True] < 1e-4 < 1e-2 < gaps[False]


def test_batch_norm_images_are_capped_by_count_and_pixels():
    from coarseseg_tf.train.fit import first_images
    batches = tf.data.Dataset.from_tensor_slices({"image": np.zeros((40, 10, 10, 1), np.float32)}).batch(16)

    def sizes(max_images, max_pixels):
        return [int(images.shape[0]) for images in first_images(batches, max_images, max_pixels)]
    assert sizes(256, 10_000) == [16, 16, 8]  # the whole (shorter) dataset
    assert sizes(20, 10_000) == [16, 4]
    assert sizes(256, 250) == [2]  # 100 pixels an image
    assert sizes(256, 50) == [1]  # never none


def test_batch_norm_statistics_merge_small_batches_of_one_image_size():
    from coarseseg_tf.models.batch_norm import merged_batches
    small, large = np.arange(2 * 100).reshape(2, 10, 10, 1), np.zeros((1, 12, 12, 1))
    batches = [small, small + 1000, large, small, small]
    chunks = merged_batches(batches, max_pixels=350)  # 100 pixels a small image
    assert [c.shape[:3] for c in chunks] == [(3, 10, 10), (1, 10, 10), (1, 12, 12), (3, 10, 10), (1, 10, 10)]
    # every image once, in order
    np.testing.assert_array_equal(np.concatenate([c for c in chunks if c.shape[1] == 10]),
                                  np.concatenate([small, small + 1000, small, small]))
    assert [c.shape[0] for c in merged_batches(batches, max_pixels=50)] == [1] * 9  # never none
    assert merged_batches([]) == []


def test_distribution_strategy_scope(small_split):
    train, _ = small_split
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    result = fit(train.images[:16], train.positive[:16], epochs=1, batch_size=8, verbose=0,
                 strategy=strategy, method="cm_positive_only")
    assert result.model.distribute_strategy is strategy


# ------------------------------------------------------------------ bad input
def _arrays(n=4, h=8, w=8):
    images = np.random.rand(n, h, w).astype("float32")
    labels = np.random.randint(0, 2, (n, h, w))
    return images, labels


def test_error_sizes_differ():
    images, labels = _arrays()
    with pytest.raises(ValueError, match="sizes must match"):
        fit(images, positive=labels[:, :7], epochs=1)


def test_error_label_out_of_range_names_index():
    images, labels = _arrays()
    labels[2, 1, 1] = 7
    with pytest.raises(ValueError, match=r"positive\[2\] holds label 7"):
        fit(images, positive=labels, epochs=1)


def test_error_nan_pixels_names_index():
    images, labels = _arrays()
    images[3, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"images\[3\] has NaN or inf"):
        fit(images, positive=labels, epochs=1)


def test_error_image_without_any_drawing():
    images, labels = _arrays()
    labels[1] = 255
    with pytest.raises(ValueError, match="image 1 has no drawing at all"):
        fit(images, positive=labels, epochs=1)


def test_error_transition_with_nonzero_diagonal():
    images, labels = _arrays()
    with pytest.raises(ValueError, match="zero diagonal"):
        fit(images, negative=labels, epochs=1, transition_matrix=[[0.5, 0.5], [0.5, 0.5]])


def test_error_fewer_than_two_classes():
    images, labels = _arrays()
    with pytest.raises(ValueError, match="num_classes"):
        fit(images, positive=labels, num_classes=1, epochs=1)


def test_error_nan_at_inference():
    model = CoarseSegModel()
    model.build()
    images = np.zeros((3, 8, 8), "float32")
    images[2, 1, 1] = np.inf
    with pytest.raises(ValueError, match=r"images\[2\] has NaN or inf"):
        model.segment(images)


def test_error_unknown_method():
    images, labels = _arrays()
    with pytest.raises(ValueError, match="field 'method' must be one of"):
        fit(images, positive=labels, method="magic", epochs=1)
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['epoch'\]"):
        fit(images, positive=labels, epoch=1)


def _cm_loss_gradients(method, split, **options):
    train, _ = split
    model = CoarseSegModel(method=method, **options)
    model.build()
    batch = {"image": tf.constant(train.images[:4]), "positive": tf.constant(train.positive[:4], tf.int32),
             "negative": tf.constant(train.negative[:4], tf.int32)}
    with tf.GradientTape() as tape:
        terms = model.compute_losses(batch)
        cm_loss = terms["positive_loss"] + terms["negative_loss"]
    trunk = model.trunk.trainable_variables
    heads = model.cm_heads["positive"].trainable_variables
    return tape.gradient(cm_loss, trunk + heads), len(trunk)


def test_default_fits_cm_heads_without_steering_the_segmentation(small_split):
    gradients, n_trunk = _cm_loss_gradients("consensus_crf", small_split)
    assert all(g is None for g in gradients[:n_trunk])
    assert any(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients[n_trunk:])


def test_paper_method_trains_both_networks_jointly(small_split):
    gradients, n_trunk = _cm_loss_gradients("cm", small_split)
    assert all(g is not None for g in gradients)


def test_cm_steering_overrides_the_methods_own_choice(small_split):
    """The ablation switch: the default's CM terms reach the trunk with cm_steering=True,
    and the paper's do not with cm_steering=False."""
    steered, n_trunk = _cm_loss_gradients("consensus_crf", small_split, cm_steering=True)
    assert any(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in steered[:n_trunk])
    detached, n_trunk = _cm_loss_gradients("cm", small_split, cm_steering=False)
    assert all(g is None for g in detached[:n_trunk])
    assert CoarseSegModel(method="cm", cm_steering=False).get_config()["cm_steering"] is False


def test_methods_own_edges_and_boundary_weights_unless_the_config_says_otherwise():
    """The default takes class-contrast edges and class-boundary weights; sure_crf keeps
    β = 0.1 and uniform weights (its matrix column stands); a config value overrides."""
    default = CoarseSegModel(method="appearance_crf")
    assert (default.edge_reference, default.class_boundary_weight) == ("drawn_classes", 3.0)
    sure = CoarseSegModel(method="sure_crf")
    assert (sure.edge_reference, sure.class_boundary_weight) == ("intensity", 1.0)
    overridden = CoarseSegModel(method="appearance_crf", edge_reference="intensity", class_boundary_weight=1.0)
    assert (overridden.edge_reference, overridden.class_boundary_weight) == ("intensity", 1.0)
    assert CoarseSegModel.from_config(default.get_config()).class_boundary_weight == 3.0


def test_floored_cm_keeps_every_confusion_matrix_informative(small_split):
    """floored_cm takes d = 0.6 and λ = 1 as its own, the paper's cm keeps 0 and 0.01, a
    config value overrides either, and the saved config keeps the resolved values. Its
    heads' diagonals never fall below the floor, even pushed hard towards uniform."""
    train, _ = small_split
    floored = CoarseSegModel(method="floored_cm")
    assert (floored.cm_diagonal_floor, floored.trace_weight) == (0.6, 1.0)
    paper = CoarseSegModel(method="cm")
    assert (paper.cm_diagonal_floor, paper.trace_weight) == (0.0, 0.01)
    overridden = CoarseSegModel(method="floored_cm", cm_diagonal_floor=0.0, trace_weight=0.4)
    assert (overridden.cm_diagonal_floor, overridden.trace_weight) == (0.0, 0.4)
    restored = CoarseSegModel.from_config(floored.get_config())
    assert (restored.cm_diagonal_floor, restored.trace_weight) == (0.6, 1.0)

    def smallest_diagonal(model):
        model.build()
        for head in model.cm_heads.values():  # heads that start far from the identity
            kernel, bias = head.weights[-2:]
            kernel.assign(np.random.default_rng(0).normal(0, 5, kernel.shape).astype("float32"))
            bias.assign(np.zeros(bias.shape, "float32"))
        cms = model.confusion_matrices(train.images[:4])
        for kind in ("positive", "negative"):
            np.testing.assert_allclose(cms[kind].sum(axis=-2), 1.0, atol=1e-5)
        return min(np.diagonal(cm, axis1=-2, axis2=-1).min() for cm in cms.values())

    assert smallest_diagonal(floored) >= 0.6 - 1e-5
    assert smallest_diagonal(paper) < 0.5  # the same weights without the floor


def test_class_contrast_edges_reach_the_loss_through_fit(small_split):
    """fit(edge_reference="drawn_classes") trains with β = a fraction of each image's class
    contrast, measured on the labels the model trains on, and the saved config keeps it."""
    from coarseseg_tf import losses
    from coarseseg_tf.label_fusion import consensus_labels
    train, _ = small_split
    dim = (np.asarray(train.images[:32], np.float32) * 0.2).reshape(32, 28, 28, 1)
    result = fit(dim, train.positive[:32], train.negative[:32], epochs=2, batch_size=16, verbose=0,
                 edge_reference="drawn_classes", class_contrast_fraction=0.12)
    assert np.isfinite(result.history.history["loss"]).all()
    assert result.model.get_config()["edge_reference"] == "drawn_classes"
    batch = {"image": dim[:16], "positive": train.positive[:16], "negative": train.negative[:16]}
    p = result.model(dim[:16], training=False)
    contrast = losses.drawn_class_contrast(dim[:16], consensus_labels(batch["positive"], batch["negative"], 2), 2)
    assert 0.05 < float(np.median(contrast)) < 0.2  # dimmed digits: a fifth of the range at most
    expected = float(losses.edge_aware_smoothness(p, dim[:16], 0.12, contrast=contrast))
    fixed_beta = float(losses.edge_aware_smoothness(p, dim[:16], 0.1))
    smoothness = float(result.model.compute_losses(batch, training=False)["smoothness"])
    assert smoothness == pytest.approx(expected, rel=1e-4) and abs(smoothness - fixed_beta) > 1e-3 * fixed_beta


def test_class_boundary_weight_reaches_the_loss_through_fit(small_split):
    """fit(class_boundary_weight=w) weighs the agreement cross-entropy's pixels where two
    classes' labels meet; the saved config keeps the setting."""
    from coarseseg_tf import losses
    from coarseseg_tf.label_fusion import consensus_labels
    train, _ = small_split
    images = np.asarray(train.images[:32], np.float32).reshape(32, 28, 28, 1)
    result = fit(images, train.positive[:32], train.negative[:32], epochs=1, batch_size=16, verbose=0,
                 class_boundary_weight=3.0, class_boundary_radius=2)
    assert result.model.get_config()["class_boundary_weight"] == 3.0
    batch = {"image": images[:16], "positive": train.positive[:16], "negative": train.negative[:16]}
    labels = consensus_labels(batch["positive"], batch["negative"], 2)
    weights = losses.class_boundary_weights(labels, 2, 2, 3.0)
    assert 0 < float(np.mean(np.asarray(weights) > 1)) < 0.5  # some labelled pixels, not most
    _, logits, _ = result.model._forward(images[:16], False)
    expected = float(losses.masked_cross_entropy(logits, labels, weights))
    unweighted = float(losses.masked_cross_entropy(logits, labels))
    consensus = float(result.model.compute_losses(batch, training=False)["consensus_loss"])
    assert consensus == pytest.approx(expected, rel=1e-4) and abs(consensus - unweighted) > 1e-3 * unweighted
