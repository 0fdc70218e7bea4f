"""The image-scale contract: one scale for fit, segment, the CLI, tf.Examples and the SavedModel.

uint8 pixels are divided by 255, uint16 by 65535, floats must already be in [0, 1]
(coarseseg_tf.images). A mask is the same whichever way an image goes in.
"""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from coarseseg_tf import CoarseSegModel
from coarseseg_tf.cli import main
from coarseseg_tf.data.examples import encode_png, make_example, parse_example
from coarseseg_tf.export import export_saved_model
from coarseseg_tf.export.contract import ARRAYS_SIGNATURE, IMAGE_BYTES_INPUT, IMAGE_SIZE_OUTPUT, MASK_OUTPUT
from coarseseg_tf.images import as_image_batch, to_unit_range, to_unit_range_tensor
from coarseseg_tf.tiling import segment_tiled
from coarseseg_tf.train.fit import arrays_to_dataset, complete_elements

SIZE = (20, 24)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(model, .keras path, loaded SavedModel) of one untrained grayscale 3-class model."""
    import keras
    keras.utils.set_random_seed(3)
    model = CoarseSegModel(num_classes=3, input_channels=1, width=8, depth=2)
    model.build()
    folder = tmp_path_factory.mktemp("scale")
    model.save(folder / "model.keras")
    loaded = tf.saved_model.load(export_saved_model(model, str(folder / "1")))
    return model, folder / "model.keras", loaded


def _images():
    """{kind: (image (H, W), its PNG bytes)}; the float image holds 8-bit values, as a PNG can."""
    rng = np.random.default_rng(5)
    wide = rng.integers(0, 65536, SIZE, dtype=np.uint16)
    narrow = rng.integers(0, 256, SIZE, dtype=np.uint8)
    return {"uint8": (narrow, encode_png(narrow)),
            "uint16": (wide, tf.io.encode_png(wide[..., None]).numpy()),
            "float": (to_unit_range(narrow), encode_png(narrow))}


@pytest.mark.parametrize("kind", ["uint8", "uint16", "float"])
def test_segment_cli_predict_and_saved_model_agree_pixel_for_pixel(served, tmp_path, kind):
    model, keras_path, loaded = served
    image, png = _images()[kind]
    expected = model.segment(image[None])[0]
    # a model that ignored the scale would give one class almost everywhere: make sure it does not
    assert len(np.unique(expected)) > 1

    out = loaded.signatures[ARRAYS_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant([png])})
    assert out[IMAGE_SIZE_OUTPUT].numpy().tolist() == [list(SIZE)]
    np.testing.assert_array_equal(out[MASK_OUTPUT].numpy()[0], expected)

    (tmp_path / "in.png").write_bytes(png)
    main(["predict", str(tmp_path / "in.png"), "--model", str(keras_path), "-o", str(tmp_path / "mask.png")])
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "mask.png")), expected)

    if kind != "uint16":  # tiles, and tf.Examples, hold 8-bit PNGs
        np.testing.assert_array_equal(segment_tiled(model, image, SIZE), expected)
        parsed = parse_example(make_example(image).SerializeToString(), channels=1)
        np.testing.assert_array_equal(model.segment(parsed["image"].numpy()[None])[0], expected)


def test_numpy_and_tensorflow_scale_to_the_same_floats():
    for kind, (image, _) in _images().items():
        np.testing.assert_array_equal(to_unit_range(image), to_unit_range_tensor(image).numpy(), err_msg=kind)
    np.testing.assert_array_equal(to_unit_range(np.array([0, 255], np.uint8)), [0.0, 1.0])
    np.testing.assert_array_equal(to_unit_range(np.array([0, 65535], np.uint16)), [0.0, 1.0])


def test_fit_scales_arrays_and_datasets_like_segment():
    images = np.random.default_rng(0).integers(0, 256, (3, 8, 8), dtype=np.uint8)
    labels = np.ones((3, 8, 8), np.uint8)
    as_uint8, _, _ = arrays_to_dataset(images, positive=labels)
    as_float, _, _ = arrays_to_dataset(to_unit_range(images), positive=labels)
    from_dataset = complete_elements(tf.data.Dataset.from_tensor_slices({"image": images, "positive": labels}))
    for a, b, c in zip(as_uint8, as_float, from_dataset):
        np.testing.assert_array_equal(a["image"].numpy(), b["image"].numpy())
        np.testing.assert_array_equal(a["image"].numpy(), c["image"].numpy())


@pytest.mark.parametrize("images, message", [
    (np.full((2, 4, 4), 255.0), r"images\[0\] holds values in \[255, 255\], outside \[0, 1\].*divide them by 255"),
    (np.stack([np.zeros((4, 4)), -np.ones((4, 4))]), r"images\[1\] holds values in \[-1, -1\]"),
    (np.zeros((2, 4, 4), np.int64), "images has dtype int64: images must be uint8, uint16 or float"),
    (np.zeros((2, 4, 4), bool), "dtype bool"),
])
def test_images_outside_the_contract_are_refused_by_name(images, message):
    with pytest.raises(ValueError, match=message):
        as_image_batch(images)


def test_a_float_dataset_outside_the_unit_range_fails_by_name():
    dataset = complete_elements(tf.data.Dataset.from_tensor_slices({"image": np.full((1, 4, 4), 255.0, np.float32)}))
    with pytest.raises(tf.errors.InvalidArgumentError, match="dataset image is not in \\[0, 1\\]"):
        next(iter(dataset))
