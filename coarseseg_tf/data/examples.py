"""tf.Example schema and codecs: how an image, its true mask and its drawings travel.

Feature keys follow the DeepLab convention, with our drawings beside the true mask:

=========================================  ======================================
``image/encoded``                          PNG (or JPEG) bytes, grayscale or RGB
``image/format``                           b"png" / b"jpeg"
``image/filename``                         the example's key: names it in logs and
                                           seeds its drawings
``image/height``, ``image/width``,         int64
``image/channels``
``image/segmentation/class/encoded``       true mask, single-channel PNG
``image/segmentation/coarse/positive/encoded``  positive drawing, single-channel PNG
``image/segmentation/coarse/negative/encoded``  negative drawing, single-channel PNG
=========================================  ======================================

Label maps hold class ids, 255 where nothing is known or drawn. A label feature that
is absent or empty means "not given": it decodes to an all-255 map. Images decode to
float32 in [0, 1] by the image-scale contract of :mod:`coarseseg_tf.images`.

Two decoders share this schema: :func:`decode_example` (numpy, for Beam jobs and tools;
raises :class:`CorruptExampleError` naming the example and the field) and
:func:`parse_example` (TensorFlow graph ops, for tf.data and SavedModel signatures).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from coarseseg_tf.export.contract import PNG_MAGIC
from coarseseg_tf.images import to_unit_range, to_unit_range_tensor
from coarseseg_tf.labels import IGNORE_LABEL

IMAGE_KEY = "image/encoded"
FORMAT_KEY = "image/format"
FILENAME_KEY = "image/filename"
HEIGHT_KEY, WIDTH_KEY, CHANNELS_KEY = "image/height", "image/width", "image/channels"
MASK_KEY = "image/segmentation/class/encoded"
POSITIVE_KEY = "image/segmentation/coarse/positive/encoded"
NEGATIVE_KEY = "image/segmentation/coarse/negative/encoded"
LABEL_FEATURES = {"mask": MASK_KEY, "positive": POSITIVE_KEY, "negative": NEGATIVE_KEY}


class CorruptExampleError(ValueError):
    """An Example that cannot be decoded; the message names its key and the field."""


@dataclass
class ImageRecord:
    """One decoded example. image (H, W, C) uint8; label maps (H, W) uint8 or None."""

    key: str
    image: np.ndarray
    mask: np.ndarray | None = None
    positive: np.ndarray | None = None
    negative: np.ndarray | None = None


# ---------------------------------------------------------------- PNG helpers
def to_uint8_image(image) -> np.ndarray:
    """(H, W) or (H, W, C) image, uint8, uint16 or float in [0, 1] -> (H, W, C) uint8.

    Other than uint8, pixels are scaled by :func:`coarseseg_tf.images.to_unit_range`
    (the one image-scale contract) and rounded to 8 bits: a tf.Example holds 8-bit PNGs.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(f"an image must be (H, W), (H, W, 1) or (H, W, 3), got {image.shape}")
    if image.dtype == np.uint8:
        return image
    return np.round(to_unit_range(image, "the image") * 255).astype(np.uint8)


def encode_png(array: np.ndarray) -> bytes:
    """(H, W) or (H, W, C) uint8 -> PNG bytes (deterministic for equal input)."""
    from PIL import Image
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"PNG encoding needs uint8, got {array.dtype}")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_png(data: bytes, what: str = "image", labels: bool = True) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 array; CorruptExampleError if unreadable.

    ``labels=True`` (a label map): a palette PNG gives its indices (the class ids),
    (H, W). ``labels=False`` (a photo): grayscale stays (H, W), anything else becomes
    RGB (H, W, 3), palettes as their colours; 16-bit and float images are refused,
    since PIL would clip rather than rescale them.
    """
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if not labels and image.mode in ("I", "I;16", "I;16B", "F"):
                raise CorruptExampleError(f"{what}: {image.mode} images are not supported; use 8 bits")
            keep = ("L", "RGB", "P") if labels else ("L", "RGB")
            if image.mode not in keep:
                image = image.convert("L" if image.mode in ("1", "LA") else "RGB")
            return np.asarray(image, np.uint8)
    except CorruptExampleError:
        raise
    except Exception as error:  # PIL raises several types for broken files
        raise CorruptExampleError(f"{what}: not a readable image ({error})") from error


def _check_label_map(labels, shape, name) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 3 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != tuple(shape):
        raise ValueError(f"{name} is {labels.shape[:2]} but the image is {tuple(shape)}: sizes must match")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 255:
        raise ValueError(f"{name} must hold integer class ids in [0, 255]")
    return labels.astype(np.uint8)


# ---------------------------------------------------------------- encode
def make_example(image, mask=None, positive=None, negative=None, key: str = "") -> "tf.train.Example":
    """Builds the tf.Example of one image.

    Args:
      image: (H, W) or (H, W, C) uint8, or float in [0, 1].
      mask, positive, negative: (H, W) integer maps (255 = unknown / not drawn) or None.
      key: a unique name; it seeds the drawings synthesized for this example.
    """
    import tensorflow as tf
    pixels = to_uint8_image(image)
    height, width, channels = pixels.shape

    def as_bytes(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    def as_int(value):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))

    feature = {IMAGE_KEY: as_bytes(encode_png(pixels)), FORMAT_KEY: as_bytes(b"png"),
               FILENAME_KEY: as_bytes(key.encode()), HEIGHT_KEY: as_int(height),
               WIDTH_KEY: as_int(width), CHANNELS_KEY: as_int(channels)}
    for name, labels in (("mask", mask), ("positive", positive), ("negative", negative)):
        if labels is not None:
            feature[LABEL_FEATURES[name]] = as_bytes(encode_png(_check_label_map(labels, (height, width), name)))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def with_drawings(serialized: bytes, positive: np.ndarray, negative: np.ndarray) -> bytes:
    """Returns ``serialized`` with its drawing features replaced; every other feature kept."""
    import tensorflow as tf
    example = tf.train.Example.FromString(serialized)
    features = example.features.feature
    for key, labels in ((POSITIVE_KEY, positive), (NEGATIVE_KEY, negative)):
        features[key].bytes_list.value[:] = [encode_png(np.asarray(labels, np.uint8))]
    return example.SerializeToString(deterministic=True)


# ---------------------------------------------------------------- decode (numpy)
def _single_bytes(features, key):
    if key not in features:
        return None
    values = features[key].bytes_list.value
    return values[0] if values and values[0] else None


def decode_example(serialized: bytes, index=None) -> ImageRecord:
    """Serialized tf.Example -> :class:`ImageRecord`.

    Raises :class:`CorruptExampleError` naming the example (its key, else ``index``)
    and the field when bytes are not a tf.Example, the image is missing or unreadable,
    or a label map has another size than the image.
    """
    import tensorflow as tf
    try:
        features = tf.train.Example.FromString(serialized).features.feature
    except Exception as error:
        raise CorruptExampleError(f"record {index}: not a serialized tf.Example ({error})") from error
    key = (_single_bytes(features, FILENAME_KEY) or b"").decode("utf-8", "replace") or f"record {index}"
    data = _single_bytes(features, IMAGE_KEY)
    if data is None:
        raise CorruptExampleError(f"{key}: no {IMAGE_KEY}")
    image = decode_png(data, f"{key}: {IMAGE_KEY}", labels=False)
    image = image[..., None] if image.ndim == 2 else image
    maps = {}
    for name, feature_key in LABEL_FEATURES.items():
        data = _single_bytes(features, feature_key)
        if data is None:
            maps[name] = None
            continue
        labels = decode_png(data, f"{key}: {feature_key}")
        if labels.ndim != 2:
            raise CorruptExampleError(f"{key}: {feature_key} must be a single-channel PNG, "
                                      f"got shape {labels.shape}")
        if labels.shape != image.shape[:2]:
            raise CorruptExampleError(f"{key}: {feature_key} is {labels.shape} but the image "
                                      f"is {image.shape[:2]}: sizes must match")
        maps[name] = labels
    return ImageRecord(key=key, image=image, **maps)


# ---------------------------------------------------------------- decode (TensorFlow)
def _feature_spec():
    import tensorflow as tf
    spec = {IMAGE_KEY: tf.io.FixedLenFeature([], tf.string),
            FILENAME_KEY: tf.io.FixedLenFeature([], tf.string, default_value="")}
    for feature_key in LABEL_FEATURES.values():
        spec[feature_key] = tf.io.FixedLenFeature([], tf.string, default_value="")
    return spec


def decode_image_tensor(data, channels: int):
    """Scalar string tensor of PNG/JPEG bytes -> (H, W, channels) float32 in [0, 1].

    8-bit images are divided by 255 and 16-bit PNGs by 65535
    (:func:`coarseseg_tf.images.to_unit_range_tensor`), as ``model.segment`` scales
    uint8 and uint16 arrays.
    """
    import tensorflow as tf
    # a PNG's bit depth is byte 24 (in IHDR); the padding keeps short bytes readable
    header = tf.strings.join([tf.strings.substr(data, 0, 25), "\0" * 25])
    sixteen_bit_png = tf.logical_and(tf.equal(tf.strings.substr(header, 0, len(PNG_MAGIC)), PNG_MAGIC),
                                     tf.equal(tf.strings.substr(header, 24, 1), b"\x10"))

    def sixteen_bit():
        return to_unit_range_tensor(tf.io.decode_png(data, channels=channels, dtype=tf.uint16))

    def eight_bit():
        return to_unit_range_tensor(tf.io.decode_image(data, channels=channels, expand_animations=False))
    return tf.cond(sixteen_bit_png, sixteen_bit, eight_bit)


def _decode_label_tensor(data, size):
    import tensorflow as tf
    # named functions, not lambdas: AutoGraph cannot read two lambdas on one call's lines
    def decoded():
        return tf.cast(tf.io.decode_png(data, channels=1)[..., 0], tf.int32)

    def not_given():
        return tf.fill(size, IGNORE_LABEL)
    return tf.cond(tf.strings.length(data) > 0, decoded, not_given)


def parse_example(serialized, channels: int):
    """Scalar serialized tf.Example tensor -> dict for :func:`coarseseg_tf.fit`.

    Returns {"key": string, "image": (H, W, channels) float32 in [0, 1],
    "mask" / "positive" / "negative": (H, W) int32, 255 where not given}.
    """
    import tensorflow as tf
    parsed = tf.io.parse_single_example(serialized, _feature_spec())
    image = decode_image_tensor(parsed[IMAGE_KEY], channels)
    out = {"key": parsed[FILENAME_KEY], "image": image}
    for name, feature_key in LABEL_FEATURES.items():
        out[name] = _decode_label_tensor(parsed[feature_key], tf.shape(image)[:2])
    return out


def image_bytes_from_examples(serialized):
    """(B,) serialized tf.Examples -> (B,) encoded image bytes (``image/encoded``)."""
    import tensorflow as tf
    return tf.io.parse_example(serialized, {IMAGE_KEY: tf.io.FixedLenFeature([], tf.string)})[IMAGE_KEY]


# ---------------------------------------------------------------- files
def write_tfrecord(path: str, examples, compression: str | None = "GZIP") -> int:
    """Writes tf.Examples (or serialized bytes) to one TFRecord file; returns the count.

    GZIP is what TFX's ExampleGen components write and read.
    """
    import tensorflow as tf
    count = 0
    with tf.io.TFRecordWriter(path, options=compression) as writer:
        for example in examples:
            writer.write(example if isinstance(example, bytes) else example.SerializeToString())
            count += 1
    return count


def read_tfrecord_dataset(pattern, channels: int, compression: str | None = "GZIP"):
    """TFRecord files (a glob, a path, or a list of them) -> dataset of :func:`parse_example` dicts."""
    import tensorflow as tf
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    files = sorted(f for p in patterns for f in tf.io.gfile.glob(p))
    if not files:
        raise FileNotFoundError(f"no TFRecord files match {patterns}")
    return (tf.data.TFRecordDataset(files, compression_type=compression or "")
            .map(lambda s: parse_example(s, channels), num_parallel_calls=tf.data.AUTOTUNE))
