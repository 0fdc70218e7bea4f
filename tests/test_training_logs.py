"""What a training run leaves for a person to look at: TensorBoard logs, curves, the figure."""
import glob
import os

import numpy as np
import pytest


def _tags(log_dir, run):
    """{tag: plugin name} of every summary in ``log_dir/run``."""
    import tensorflow as tf
    tags = {}
    for path in glob.glob(os.path.join(log_dir, run, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tags[value.tag] = value.metadata.plugin_data.plugin_name
    return tags


@pytest.fixture(scope="module")
def trained(tmp_path_factory, digits):
    from coarseseg_tf import fit
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    log_dir = str(tmp_path_factory.mktemp("logs"))
    train, test = make_coarse_mnist(num_train=24, num_test=8, seed=3, digits=digits)
    result = fit(train.images, train.positive, train.negative, epochs=2, width=4, depth=1, verbose=0,
                 validation_data=(test.images, test.masks), log_dir=log_dir)
    return result, train, log_dir


def test_fit_logs_every_loss_term_validation_miou_and_example_images(trained):
    result, _, log_dir = trained
    scalars = _tags(log_dir, "train")
    logged = [name for name in result.history.history if not name.startswith("val_")]
    assert {f"epoch_{name}" for name in logged} <= set(scalars), scalars
    # every term the method logs (from its registry entry), not only what History kept
    model = result.model
    expected = model.objective.logged_terms(model.consensus_weight, model.smoothness_weight)
    assert len(expected) >= 3 and {f"epoch_{name}" for name in expected} <= set(scalars), (expected, scalars)
    assert _tags(log_dir, "validation").get("epoch_mean_iou") == "scalars"
    images = _tags(log_dir, "examples")
    for tag in ("image", "positive drawing", "negative drawing", "prediction",
                "cm/positive mean diagonal", "cm/negative mean diagonal"):
        assert images.get(tag) == "images", images


def test_training_curves_and_figure_are_written(trained, tmp_path):
    from PIL import Image

    from coarseseg_tf.viz import save_figure, save_training_curves
    result, train, _ = trained
    curves = save_training_curves(result.history.history, str(tmp_path / "curves.png"))
    figure = save_figure(result.model, str(tmp_path / "figure.png"), train.images, train.positive,
                         train.negative, train.masks, max_rows=2)
    for path in (curves, figure):
        assert Image.open(path).size[0] > 300


def test_a_negative_drawing_is_hatched_in_the_negated_class_colour_only_where_drawn():
    from coarseseg_tf.labels import class_colours
    from coarseseg_tf.viz import HATCH_SCALE, drawing_overlay
    grey = np.zeros((8, 8))
    negative = np.full((8, 8), 255, np.uint8)
    negative[2:6, 2:6] = 1  # "not class 1" in a square
    rgb = drawing_overlay(grey, negative, 3, negative=True)
    assert rgb.shape == (8 * HATCH_SCALE, 8 * HATCH_SCALE, 3)
    inside = rgb[2 * HATCH_SCALE:6 * HATCH_SCALE, 2 * HATCH_SCALE:6 * HATCH_SCALE].reshape(-1, 3)
    coloured = np.isclose(inside, 0.8 * class_colours(3)[1]).all(-1)
    assert 0.2 < coloured.mean() < 0.9  # hatched and outlined, not filled
    outside = np.ones((8, 8), bool)
    outside[2:6, 2:6] = False
    assert not rgb[np.kron(outside, np.ones((HATCH_SCALE, HATCH_SCALE), bool))].any()
    # a positive drawing fills its object classes and leaves background (0) as the image
    positive = np.where(negative == 1, 2, 0).astype(np.uint8)
    filled = drawing_overlay(grey, positive, 3, negative=False)
    assert np.isclose(filled[3 * HATCH_SCALE, 3 * HATCH_SCALE], 0.8 * class_colours(3)[2]).all()
    assert not filled[0, 0].any()
