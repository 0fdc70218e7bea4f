"""SavedModel signatures: written, loaded back with tf.saved_model.load, called, compared to model.segment."""
import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from coarseseg_tf import CoarseSegModel
from coarseseg_tf.data.examples import decode_png, encode_png, make_example
from coarseseg_tf.export import (PAD_LABEL, export_saved_model, load_serving_model, next_version_dir,
                                 resolve_saved_model_dir, saved_model_versions, segment_image_bytes,
                                 serving_functions)
from coarseseg_tf.export.contract import (ARRAYS_SIGNATURE, EXAMPLES_INPUT, EXAMPLES_SIGNATURE, IMAGE_BYTES_INPUT,
                                          IMAGE_SIZE_OUTPUT, MASK_OUTPUT, MASK_PNG_OUTPUT, PROBABILITIES_OUTPUT,
                                          SERVING_SIGNATURE)

SIZES = [(28, 28), (17, 40), (33, 5), (28, 28)]


def _model(channels, seed=0):
    import keras
    keras.utils.set_random_seed(seed)
    model = CoarseSegModel(num_classes=3, input_channels=channels, width=8, depth=2)
    model.build()
    return model


def _reference_masks(model, encoded):
    """model.segment on the very floats the signature decodes (uint8 -> [0, 1] the TF way)."""
    masks = []
    for data in encoded:
        image = tf.io.decode_image(data, channels=model.input_channels, expand_animations=False)
        masks.append(model.segment(tf.image.convert_image_dtype(image, tf.float32).numpy()[None])[0])
    return masks


@pytest.fixture(scope="module")
def gray(tmp_path_factory):
    model = _model(1)
    path = export_saved_model(model, str(tmp_path_factory.mktemp("gray") / "1"), include_probabilities=True)
    return model, load_serving_model(path)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, size, dtype=np.uint8) for size in SIZES]


@pytest.mark.parametrize("signature", [SERVING_SIGNATURE, EXAMPLES_SIGNATURE])
def test_mixed_sizes_match_segment_exactly(gray, images, signature):
    model, loaded = gray
    encoded = [encode_png(image) for image in images]
    if signature == SERVING_SIGNATURE:
        out = loaded.signatures[signature](**{IMAGE_BYTES_INPUT: tf.constant(encoded)})
    else:
        examples = [make_example(image, key=f"img{i}").SerializeToString() for i, image in enumerate(images)]
        out = loaded.signatures[signature](**{EXAMPLES_INPUT: tf.constant(examples)})
    # each mask once, as a PNG: no array output, even when exported with probabilities
    assert set(out) == {IMAGE_SIZE_OUTPUT, MASK_PNG_OUTPUT}
    assert out[IMAGE_SIZE_OUTPUT].numpy().tolist() == [list(s) for s in SIZES]
    for png, reference in zip(out[MASK_PNG_OUTPUT].numpy(), _reference_masks(model, encoded)):
        np.testing.assert_array_equal(decode_png(png), reference)


def test_arrays_signature_pads_masks_and_probabilities(gray, images):
    model, loaded = gray
    encoded = [encode_png(image) for image in images]
    out = loaded.signatures[ARRAYS_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant(encoded)})
    assert set(out) == {IMAGE_SIZE_OUTPUT, MASK_OUTPUT, PROBABILITIES_OUTPUT}
    mask, sizes = out[MASK_OUTPUT].numpy(), out[IMAGE_SIZE_OUTPUT].numpy()
    assert mask.dtype == np.uint8 and mask.shape == (4, 33, 40)
    assert sizes.tolist() == [list(s) for s in SIZES]
    probabilities = out[PROBABILITIES_OUTPUT].numpy()
    assert probabilities.shape == (4, 33, 40, 3)
    for i, reference in enumerate(_reference_masks(model, encoded)):
        height, width = SIZES[i]
        np.testing.assert_array_equal(mask[i, :height, :width], reference)
        assert (mask[i, height:] == PAD_LABEL).all() and (mask[i, :, width:] == PAD_LABEL).all()
        assert (probabilities[i, height:] == 0).all() and (probabilities[i, :, width:] == 0).all()
        np.testing.assert_allclose(probabilities[i, :height, :width].sum(-1), 1.0, rtol=1e-5)
    assert len(np.unique(mask[mask != PAD_LABEL])) > 1, "a random net should not predict one class only"


def test_one_size_batch_takes_the_batched_path_and_matches(gray, images):
    model, loaded = gray
    encoded = [encode_png(np.roll(images[0], shift, axis=1)) for shift in range(5)]
    masks = segment_image_bytes(loaded.signatures[SERVING_SIGNATURE], encoded)
    for mask, reference in zip(masks, _reference_masks(model, encoded)):
        np.testing.assert_array_equal(mask, reference)


def test_jpeg_input_and_in_process_functions_agree(gray, images):
    model, loaded = gray
    buffer = io.BytesIO()
    Image.fromarray(images[1]).save(buffer, format="JPEG", quality=90)
    encoded = [buffer.getvalue(), encode_png(images[2])]
    from_saved = segment_image_bytes(loaded.signatures[SERVING_SIGNATURE], encoded)
    in_process = segment_image_bytes(serving_functions(model)[SERVING_SIGNATURE], encoded)
    for a, b, reference in zip(from_saved, in_process, _reference_masks(model, encoded)):
        np.testing.assert_array_equal(a, reference)
        np.testing.assert_array_equal(b, reference)


def test_rgb_model_takes_rgb_and_gray_images(tmp_path, images):
    model = _model(3, seed=1)
    loaded = load_serving_model(export_saved_model(model, str(tmp_path / "1")))
    rgb = np.stack([images[0], images[3][::-1], images[0].T], axis=-1)
    encoded = [encode_png(rgb), encode_png(images[1])]
    out = loaded.signatures[SERVING_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant(encoded)})
    assert set(out) == {IMAGE_SIZE_OUTPUT, MASK_PNG_OUTPUT}
    arrays = loaded.signatures[ARRAYS_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant(encoded)})
    assert set(arrays) == {IMAGE_SIZE_OUTPUT, MASK_OUTPUT}  # exported without probabilities
    masks = segment_image_bytes(loaded.signatures[SERVING_SIGNATURE], encoded)
    for mask, reference in zip(masks, _reference_masks(model, encoded)):
        np.testing.assert_array_equal(mask, reference)


@pytest.mark.parametrize("bad, message", [
    (b"this is not an image", "not a PNG or JPEG image, at index"),
    (encode_png(np.zeros((4, 4), np.uint8))[:30], "PNG"),
])
def test_bytes_that_are_not_an_image_raise_a_clear_error(gray, images, bad, message):
    _, loaded = gray
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded.signatures[SERVING_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant([encode_png(images[0]), bad])})


def test_examples_without_an_image_and_empty_batches_are_rejected(gray):
    _, loaded = gray
    with pytest.raises(tf.errors.InvalidArgumentError, match="image/encoded"):
        loaded.signatures[EXAMPLES_SIGNATURE](**{EXAMPLES_INPUT: tf.constant([tf.train.Example().SerializeToString()])})
    with pytest.raises(tf.errors.InvalidArgumentError, match="empty: send at least one image"):
        loaded.signatures[SERVING_SIGNATURE](**{IMAGE_BYTES_INPUT: tf.constant([], tf.string)})


def test_version_directories(tmp_path):
    base = str(tmp_path)
    assert saved_model_versions(base) == {} and next_version_dir(base).endswith("/1")
    for version in ("3", "12"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "saved_model.pb").write_bytes(b"")
    (tmp_path / "20").mkdir()  # still being copied: no saved_model.pb yet
    (tmp_path / "notes").mkdir()
    assert sorted(saved_model_versions(base)) == [3, 12]
    assert next_version_dir(base).endswith("/13")
    assert resolve_saved_model_dir(base).endswith("/12")
    assert resolve_saved_model_dir(str(tmp_path / "3")).endswith("/3")
    with pytest.raises(FileNotFoundError, match="neither a SavedModel"):
        resolve_saved_model_dir(str(tmp_path / "notes"))


def test_unbuilt_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no weights yet"):
        export_saved_model(CoarseSegModel(width=8), str(tmp_path / "1"))
