"""SavedModel signatures for TF Serving and TFMA: encoded images or tf.Examples in, masks out.

Three signatures (names in :mod:`coarseseg_tf.export.contract`):

``serving_default``   input ``image_bytes``: string (B,), encoded PNG (8 or 16 bits) or
                      JPEG images of any sizes, decoded to [0, 1] as ``model.segment``
                      scales arrays (:mod:`coarseseg_tf.images`) and to the model's
                      channel count (an RGB image sent to a grayscale model is
                      converted, and the other way round);
                      outputs ``mask_png_bytes`` and ``image_size``
``serving_examples``  input ``examples``: string (B,), serialized tf.Examples whose
                      ``image/encoded`` holds the image (what TFMA feeds in the pipeline);
                      the same outputs as ``serving_default``
``serving_arrays``    input ``image_bytes`` as ``serving_default``; outputs ``mask``,
                      ``image_size`` and, when exported with ``include_probabilities=True``,
                      ``probabilities``

Outputs, with Hmax, Wmax the largest height and width in the request:

``mask_png_bytes``    string (B,): single-channel PNG of each mask at its own size
``image_size``        int32 (B, 2): height, width of each image
``mask``              uint8 (B, Hmax, Wmax): per-pixel class; 255 outside each image
``probabilities``     float32 (B, Hmax, Wmax, L), 0 outside each image (L times the mask's size)

A batch whose images share one size runs through the network as one batch; a batch of
mixed sizes runs image by image, because padding an image would change the
convolutions near its border and so its mask.
"""
from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from coarseseg_tf.data.examples import decode_image_tensor, image_bytes_from_examples
from coarseseg_tf.export.contract import (
    ARRAYS_SIGNATURE, EXAMPLES_INPUT, EXAMPLES_SIGNATURE, IMAGE_BYTES_INPUT, IMAGE_SIZE_OUTPUT, MASK_OUTPUT,
    MASK_PNG_OUTPUT, PNG_MAGIC, PROBABILITIES_OUTPUT, SERVING_SIGNATURE)
from coarseseg_tf.labels import IGNORE_LABEL

#: mask value outside an image that is smaller than the largest one in its batch
PAD_LABEL = IGNORE_LABEL


def _is_png_or_jpeg(data):
    """Scalar string -> bool: the bytes start like a PNG or a JPEG file."""
    return tf.logical_or(tf.equal(tf.strings.substr(data, 0, len(PNG_MAGIC)), PNG_MAGIC),
                         tf.io.is_jpeg(data))


def _decode_checked(data, index, channels, what):
    """Scalar string -> (H, W, channels) float32; InvalidArgumentError naming ``what[index]``."""
    check = tf.debugging.Assert(
        _is_png_or_jpeg(data), [f"{what} holds bytes that are not a PNG or JPEG image, at index", index])
    with tf.control_dependencies([check]):
        return decode_image_tensor(data, channels)


def segment_encoded_images(model, encoded, what=IMAGE_BYTES_INPUT):
    """Graph function body: encoded images (B,) string -> {mask, image_size, probabilities} (above).

    Args:
      model: a :class:`coarseseg_tf.CoarseSegModel` (or any Keras model mapping
        (B, H, W, C) float32 in [0, 1] to probabilities (B, H, W, L), with
        ``input_channels`` and ``num_classes`` attributes).
      encoded: (B,) string tensor of PNG/JPEG bytes, B >= 1.
      what: the input's name in error messages.
    """
    channels, num_classes = int(model.input_channels), int(model.num_classes)
    count = tf.shape(encoded)[0]
    nonempty = tf.debugging.assert_greater(count, 0, message=f"{what} is empty: send at least one image")
    with tf.control_dependencies([nonempty]):
        count = tf.identity(count)

    def decode_one(i, images, sizes):
        image = _decode_checked(encoded[i], i, channels, what)
        return i + 1, images.write(i, image), sizes.write(i, tf.shape(image)[:2])

    images = tf.TensorArray(tf.float32, size=count, infer_shape=False,
                            element_shape=tf.TensorShape([None, None, channels]))
    sizes = tf.TensorArray(tf.int32, size=count, element_shape=tf.TensorShape([2]))
    _, images, sizes = tf.while_loop(lambda i, *_: i < count, decode_one, (tf.constant(0), images, sizes))
    sizes = sizes.stack()
    max_size = tf.reduce_max(sizes, axis=0)

    def one_batch():
        return model(images.stack(), training=False)

    def image_by_image():
        def segment_one(i, out):
            probabilities = model(images.read(i)[None], training=False)[0]
            missing = max_size - tf.shape(probabilities)[:2]
            return i + 1, out.write(i, tf.pad(probabilities, [[0, missing[0]], [0, missing[1]], [0, 0]]))

        out = tf.TensorArray(tf.float32, size=count, element_shape=tf.TensorShape([None, None, num_classes]))
        _, out = tf.while_loop(lambda i, *_: i < count, segment_one, (tf.constant(0), out))
        return out.stack()

    probabilities = tf.cond(tf.reduce_all(tf.equal(sizes, max_size)), one_batch, image_by_image)
    probabilities = tf.ensure_shape(probabilities, [None, None, None, num_classes])
    rows = tf.range(max_size[0])[None, :, None] < sizes[:, 0, None, None]
    cols = tf.range(max_size[1])[None, None, :] < sizes[:, 1, None, None]
    mask = tf.where(rows & cols, tf.cast(tf.argmax(probabilities, axis=-1), tf.uint8),
                    tf.constant(PAD_LABEL, tf.uint8))
    return {MASK_OUTPUT: mask, IMAGE_SIZE_OUTPUT: sizes, PROBABILITIES_OUTPUT: probabilities}


def _png_outputs(arrays):
    """{mask, image_size, ...} -> {mask_png_bytes, image_size}: each mask as a PNG at its own size."""
    mask, sizes = arrays[MASK_OUTPUT], arrays[IMAGE_SIZE_OUTPUT]
    png = tf.map_fn(lambda i: tf.io.encode_png(mask[i, :sizes[i, 0], :sizes[i, 1], None]),
                    tf.range(tf.shape(mask)[0]), fn_output_signature=tf.string)
    return {MASK_PNG_OUTPUT: png, IMAGE_SIZE_OUTPUT: sizes}


def serving_functions(model, include_probabilities=False):
    """{signature name: tf.function} of the three signatures, traced for (B,) string inputs.

    ``include_probabilities`` adds ``probabilities`` to ``serving_arrays`` only.
    """
    def image_bytes_fn(image_bytes):
        return _png_outputs(segment_encoded_images(model, image_bytes, IMAGE_BYTES_INPUT))

    def examples_fn(examples):
        return _png_outputs(segment_encoded_images(model, image_bytes_from_examples(examples),
                                                   f"{EXAMPLES_INPUT} (image/encoded)"))

    def arrays_fn(image_bytes):
        arrays = segment_encoded_images(model, image_bytes, IMAGE_BYTES_INPUT)
        return arrays if include_probabilities else {
            name: value for name, value in arrays.items() if name != PROBABILITIES_OUTPUT}

    images, examples = (tf.TensorSpec([None], tf.string, name=name) for name in (IMAGE_BYTES_INPUT, EXAMPLES_INPUT))
    return {SERVING_SIGNATURE: tf.function(image_bytes_fn, input_signature=[images]),
            EXAMPLES_SIGNATURE: tf.function(examples_fn, input_signature=[examples]),
            ARRAYS_SIGNATURE: tf.function(arrays_fn, input_signature=[images])}


def export_saved_model(model, export_dir: str, include_probabilities: bool = False) -> str:
    """Writes ``model`` as a SavedModel with the three signatures to ``export_dir``; returns it.

    ``export_dir`` is the directory TF Serving loads (one version directory,
    ``<model_base_path>/<version>/``): see :func:`next_version_dir`.
    """
    import keras
    if not model.built:
        raise ValueError("the model has no weights yet: build or train it before exporting")
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, fn in serving_functions(model, include_probabilities).items():
        archive.add_endpoint(name, fn.python_function, input_signature=fn.input_signature)
    archive.write_out(export_dir, verbose=False)
    return export_dir


# ---------------------------------------------------------------- version directories
def saved_model_versions(base_path: str) -> dict[int, str]:
    """{version: directory} of the ``<base_path>/<integer>/saved_model.pb`` directories.

    This is TF Serving's layout (the TFX Pusher writes it); other entries, such as a
    version still being copied without its ``saved_model.pb``, are ignored.
    """
    versions = {}
    for entry in tf.io.gfile.listdir(base_path) if tf.io.gfile.isdir(base_path) else []:
        entry = entry.rstrip("/")
        path = os.path.join(base_path, entry)
        if entry.isdigit() and tf.io.gfile.exists(os.path.join(path, "saved_model.pb")):
            versions[int(entry)] = path
    return versions


def next_version_dir(base_path: str) -> str:
    """``<base_path>/<highest version + 1>`` (1 when there is none)."""
    return os.path.join(base_path, str(max(saved_model_versions(base_path), default=0) + 1))


def resolve_saved_model_dir(path: str) -> str:
    """A SavedModel directory, or a base path of version directories -> the one to load (latest)."""
    if tf.io.gfile.exists(os.path.join(path, "saved_model.pb")):
        return path
    versions = saved_model_versions(path)
    if not versions:
        raise FileNotFoundError(f"{path} is neither a SavedModel directory (no saved_model.pb) "
                                "nor a base path of numbered SavedModel versions")
    return versions[max(versions)]


def load_serving_model(path: str):
    """Loads a SavedModel written by :func:`export_saved_model` (or the latest version under a base path).

    Returns the loaded object; ``.signatures[name]`` are the callables, for each name in
    :mod:`coarseseg_tf.export.contract`.
    """
    loaded = tf.saved_model.load(resolve_saved_model_dir(path))
    missing = {SERVING_SIGNATURE, EXAMPLES_SIGNATURE, ARRAYS_SIGNATURE} - set(loaded.signatures)
    if missing:
        raise ValueError(f"{path} lacks the signatures {sorted(missing)}: export it with "
                         "coarseseg_tf.export.export_saved_model")
    return loaded


def segment_image_bytes(serving_fn, encoded_images) -> list[np.ndarray]:
    """Calls a ``serving_default`` function in-process; returns one (H, W) uint8 mask per image.

    Args:
      serving_fn: ``load_serving_model(dir).signatures["serving_default"]`` or
        ``serving_functions(model)["serving_default"]`` (same graph, not written out).
      encoded_images: a sequence of PNG/JPEG bytes.
    Raises tf.errors.InvalidArgumentError naming an input that is not an image.
    """
    from coarseseg_tf.data.examples import decode_png
    outputs = serving_fn(**{IMAGE_BYTES_INPUT: tf.constant(list(encoded_images), tf.string)})
    return [decode_png(png, MASK_PNG_OUTPUT) for png in outputs[MASK_PNG_OUTPUT].numpy()]


def load_image_segmenter(path: str):
    """A ``.keras`` file or a SavedModel (directory or base path) -> f(list of image bytes) -> masks.

    Both kinds run the ``serving_default`` graph (a ``.keras`` model is traced in-process,
    not written out), so a mask equals what TF Serving returns for the same bytes.
    """
    if os.path.isdir(path):
        function = load_serving_model(path).signatures[SERVING_SIGNATURE]
    else:
        import keras
        import coarseseg_tf.models.coarse_seg_model  # noqa: F401  registers CoarseSegModel for loading
        if not os.path.exists(path):
            raise FileNotFoundError(f"model {path} does not exist")
        function = serving_functions(keras.models.load_model(path))[SERVING_SIGNATURE]
    return lambda encoded_images: segment_image_bytes(function, encoded_images)
