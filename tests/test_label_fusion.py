import numpy as np
import pytest

from coarseseg_tf import losses
from coarseseg_tf.label_fusion import consensus_labels


def _band_example():
    """A 1-D-like object: true columns 4..7; positive drawing over-reaches to 3..8,
    negative drawing ("not object") over-reaches into 5..6 from both sides."""
    truth = np.zeros((1, 6, 12), np.int32)
    truth[..., 4:8] = 1
    positive = np.zeros_like(truth)
    positive[..., 3:9] = 1
    negative = np.ones_like(truth)  # ȳ = 1: "not the object"
    negative[..., 5:7] = 0          # not drawn: "not background"
    return truth, positive, negative


def test_consensus_ignores_contradictions():
    truth, positive, negative = _band_example()
    c = np.asarray(consensus_labels(positive, negative, 2))
    np.testing.assert_array_equal(c[0, 0], [0, 0, 0, 255, 255, 1, 1, 255, 255, 0, 0, 0])


def test_lone_drawings_and_multiclass():
    positive = np.full((1, 2, 3), 255)
    positive[0, 0, 0] = 2
    negative = np.full((1, 2, 3), 255)
    negative[0, 1, 1] = 2  # "not class 2": background for L > 2
    negative[0, 0, 0] = 2  # contradicts the positive label
    c = np.asarray(consensus_labels(positive, negative, 3))
    assert c[0, 0, 0] == 255 and c[0, 1, 1] == 0 and c[0, 1, 2] == 255


def test_edge_aware_smoothness_prefers_boundaries_on_edges():
    image = np.zeros((1, 8, 8, 1), np.float32)
    image[:, :, 4:] = 1.0
    on_edge = np.zeros((1, 8, 8, 2), np.float32)
    on_edge[..., 0] = image[..., 0] < 0.5
    on_edge[..., 1] = 1 - on_edge[..., 0]
    off_edge = np.roll(on_edge, 2, axis=2)
    a = float(losses.edge_aware_smoothness(on_edge, image))
    b = float(losses.edge_aware_smoothness(off_edge, image))
    assert a < b
    assert float(losses.edge_aware_smoothness(np.full((1, 8, 8, 2), 0.5, np.float32), image)) == pytest.approx(0.0)


def test_edge_aware_smoothness_adapts_to_each_images_contrast():
    """With edge_scale=None an edge is an edge relative to the image's own contrast: a dim
    step (0.1, like fluorescence nuclei) is as cheap to cut along as a black-to-white one,
    while under a fixed β = 0.1 the dim step still costs a third of a flat region's cut."""
    def costs(step, edge_scale):
        image = np.zeros((1, 8, 8, 1), np.float32)
        image[:, :, 4:] = step
        on_edge = np.zeros((1, 8, 8, 2), np.float32)
        on_edge[..., 0] = image[..., 0] < step / 2
        on_edge[..., 1] = 1 - on_edge[..., 0]
        off_edge = np.roll(on_edge, 2, axis=2)
        return [float(losses.edge_aware_smoothness(p, image, edge_scale)) for p in (on_edge, off_edge)]
    dim_on, dim_off = costs(0.1, None)
    bright_on, bright_off = costs(1.0, None)
    assert dim_on == pytest.approx(bright_on) and dim_off == pytest.approx(bright_off)
    assert dim_on < 0.1 * dim_off
    fixed_on, fixed_off = costs(0.1, 0.1)
    assert fixed_on > 0.25 * fixed_off and fixed_on > 100 * dim_on
    flat = np.zeros((1, 8, 8, 1), np.float32)  # no edges at all: every pair weighs 1
    split = np.zeros((1, 8, 8, 2), np.float32)
    split[:, :, :4, 0] = split[:, :, 4:, 1] = 1
    assert float(losses.edge_aware_smoothness(split, flat)) == pytest.approx(2 * 8 / (8 * 7))  # 8 cut pairs of 56 across


def test_drawn_class_contrast_measures_the_objects_not_the_grain():
    """Pixel noise that sets an image's RMS neighbour difference (edge_scale=None) leaves
    the contrast between its labelled classes' mean colours where the objects put it; an
    image with a single labelled class borrows the batch's, a batch without two gets 1."""
    rng = np.random.default_rng(0)
    image = np.full((2, 32, 32, 1), 0.1, np.float32)
    image[:, :, 16:] = 0.3
    noisy = (image + rng.normal(0, 0.1, image.shape)).astype(np.float32)
    labels = np.full((2, 32, 32), 255, np.int32)
    labels[0, :, :12], labels[0, :, 20:] = 0, 1
    labels[1, :, 20:] = 1
    contrast = np.asarray(losses.drawn_class_contrast(noisy, labels, 2))
    assert contrast[0] == pytest.approx(0.2, abs=0.02) and contrast[1] == contrast[0]
    rms_step = np.sqrt(np.mean(np.square(np.diff(noisy[0], axis=1))))
    assert rms_step > 0.14  # what edge_scale=None would take as the image's contrast
    one_class = np.asarray(losses.drawn_class_contrast(noisy, np.where(labels == 0, 1, labels), 2))
    np.testing.assert_allclose(one_class, 1.0)
    # a scene: background and three digit classes of about one colour; the contrast is
    # that of digits against background, not pulled down by the alike digit pairs
    scene = np.zeros((1, 8, 12, 1), np.float32)
    scene_labels = np.zeros((1, 8, 12), np.int32)
    for k, (column, value) in enumerate(((3, 0.8), (6, 0.75), (9, 0.8)), start=1):
        scene[0, 2:6, column:column + 2] = value
        scene_labels[0, 2:6, column:column + 2] = k
    assert float(losses.drawn_class_contrast(scene, scene_labels, 11)[0]) == pytest.approx(0.8)


def test_edge_scale_relative_to_drawn_classes_makes_a_dim_edge_an_edge():
    """edge_scale as a fraction of the drawn classes' contrast: a dim step (0.1) is as cheap
    to cut along as a black-to-white one, however grainy, unlike under a fixed β = 0.1."""
    def costs(step, noise):
        image = np.zeros((1, 8, 8, 1), np.float32)
        image[:, :, 4:] = step
        image += np.random.default_rng(1).normal(0, noise, image.shape).astype(np.float32)
        on_edge = np.zeros((1, 8, 8, 2), np.float32)
        on_edge[:, :, :4, 0] = on_edge[:, :, 4:, 1] = 1
        off_edge = np.roll(on_edge, 2, axis=2)
        contrast = losses.drawn_class_contrast(image, on_edge.argmax(-1), 2)
        return [float(losses.edge_aware_smoothness(p, image, 0.12, contrast=contrast)) for p in (on_edge, off_edge)]
    dim_on, dim_off = costs(0.1, 0.0)
    bright_on, bright_off = costs(1.0, 0.0)
    assert dim_on == pytest.approx(bright_on) and dim_off == pytest.approx(bright_off)
    assert dim_on < 0.01 * dim_off
    grainy_on, grainy_off = costs(0.1, 0.01)
    assert grainy_on < 0.1 * grainy_off


def test_class_boundary_weights_mark_where_two_classes_labels_meet():
    """Weight w within the radius of another class's label, 1 elsewhere; the end of a
    label against unlabelled pixels (255) is not a class boundary."""
    labels = np.full((1, 5, 12), 255, np.int32)
    labels[:, :, :4] = 0
    labels[:, :, 4:8] = 1   # classes 0 and 1 meet between columns 3 and 4
    # columns 8.. unlabelled: class 1 ends there against open image
    weights = np.asarray(losses.class_boundary_weights(labels, 2, radius=2, weight=3.0))[0]
    assert (weights[:, 2:6] == 3.0).all()
    assert (weights[:, :2] == 1.0).all() and (weights[:, 6:] == 1.0).all()
    near = np.asarray(losses.class_boundary_weights(labels, 2, radius=1, weight=3.0))[0]
    assert (near[:, 3:5] == 3.0).all() and (near[:, 2] == 1.0).all() and (near[:, 5] == 1.0).all()


def test_class_boundary_weights_shift_the_cross_entropy_towards_the_boundary():
    """With a weight, an error at the boundary costs more than the same error inside a class."""
    labels = np.zeros((1, 4, 10), np.int32)
    labels[:, :, 5:] = 1
    logits = np.zeros((1, 4, 10, 2), np.float32)
    logits[..., 0] = np.where(labels == 0, 4.0, -4.0)
    at_boundary, inside = logits.copy(), logits.copy()
    at_boundary[:, :, 5, 0] = 4.0   # class 1's first column called class 0
    inside[:, :, 9, 0] = 4.0        # class 1's last column called class 0
    weights = losses.class_boundary_weights(labels, 2, radius=1, weight=3.0)
    plain = [float(losses.masked_cross_entropy(x, labels)) for x in (at_boundary, inside)]
    weighted = [float(losses.masked_cross_entropy(x, labels, weights)) for x in (at_boundary, inside)]
    assert plain[0] == pytest.approx(plain[1])
    assert weighted[0] > 2 * weighted[1]
