"""The tf.Example schema: encode, decode with numpy and with TensorFlow, bad records."""
import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from coarseseg_tf.data import examples as ex


def _png(array, mode=None):
    buffer = io.BytesIO()
    image = Image.fromarray(array) if mode is None else Image.fromarray(array, mode)
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_round_trip_through_both_decoders(rng):
    image = rng.random((5, 7)).astype(np.float32)
    mask = (image > 0.5).astype(np.uint8)
    serialized = ex.make_example(image, mask=mask, key="digit-1").SerializeToString()
    record = ex.decode_example(serialized)
    assert record.key == "digit-1" and record.positive is None and record.negative is None
    np.testing.assert_array_equal(record.image[..., 0], np.round(image * 255).astype(np.uint8))
    np.testing.assert_array_equal(record.mask, mask)

    drawn = ex.with_drawings(serialized, mask, np.where(mask == 1, 255, 1).astype(np.uint8))
    parsed = ex.parse_example(tf.constant(drawn), channels=1)
    np.testing.assert_allclose(parsed["image"].numpy()[..., 0], np.round(image * 255) / 255, atol=1e-6)
    np.testing.assert_array_equal(parsed["positive"].numpy(), mask)
    # a label map that was never given decodes to "nothing known"
    assert (ex.parse_example(tf.constant(serialized), 1)["negative"].numpy() == 255).all()


def test_bad_records_name_the_example_and_the_field():
    with pytest.raises(ex.CorruptExampleError, match="record 3: not a serialized tf.Example"):
        ex.decode_example(b"garbage", 3)
    good = ex.make_example(np.zeros((4, 4), np.uint8), mask=np.zeros((4, 4), np.uint8), key="k")
    broken = tf.train.Example.FromString(good.SerializeToString())
    broken.features.feature[ex.IMAGE_KEY].bytes_list.value[:] = [b"\x89PNG broken"]
    with pytest.raises(ex.CorruptExampleError, match="k: image/encoded: not a readable image"):
        ex.decode_example(broken.SerializeToString())
    broken = tf.train.Example.FromString(good.SerializeToString())
    broken.features.feature[ex.MASK_KEY].bytes_list.value[:] = [_png(np.zeros((3, 4), np.uint8))]
    with pytest.raises(ex.CorruptExampleError, match="k: image/segmentation/class/encoded is .* sizes must match"):
        ex.decode_example(broken.SerializeToString())
    with pytest.raises(ValueError, match="mask is"):
        ex.make_example(np.zeros((4, 4), np.uint8), mask=np.zeros((4, 5), np.uint8))


def test_palette_images_decode_to_colours_and_palette_labels_to_ids():
    indices = np.array([[0, 1], [1, 2]], np.uint8)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([10, 20, 30, 200, 0, 0, 0, 0, 255] + [0] * 759)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    data = buffer.getvalue()
    np.testing.assert_array_equal(ex.decode_png(data, labels=True), indices)
    colours = ex.decode_png(data, labels=False)
    assert colours.shape == (2, 2, 3)
    np.testing.assert_array_equal(colours[1, 1], [0, 0, 255])
    sixteen_bit = _png(np.full((2, 2), 4000, np.uint16))
    with pytest.raises(ex.CorruptExampleError, match="not supported"):
        ex.decode_png(sixteen_bit, labels=False)
