"""The pixel limit of the local server: the size of every image in a request, read from its header.

A PNG's width and height are in its IHDR chunk, which must come first; a JPEG's are in
its first SOF (frame header) marker, which must come before the first scan. Reading
them costs a few bytes, so each image is checked before a signature decodes it
(TF Serving has no such limit). Every string value of every input is looked at, so no
signature escapes the limit:

- a value that starts like a PNG or JPEG is an image;
- other values are parsed as tf.Examples with the op the ``serving_examples``
  signature uses (:func:`~coarseseg_tf.data.examples.image_bytes_from_examples`), so the
  ``image/encoded`` checked is the one the signature would decode, even when an Example
  carries that feature twice. Values that do not parse are left to the signature, which
  refuses them the same way before decoding anything.

The header readers follow libpng and libjpeg (what TensorFlow decodes with): bytes
that begin like an image but whose header they cannot read are refused, since the
decoder would refuse them too.
"""
from __future__ import annotations

import struct

from coarseseg_tf.export.contract import JPEG_MAGIC, PNG_MAGIC
from coarseseg_tf.serving.rest import RestError

# JPEG markers: start-of-frame (SOF0-15 but DHT, JPG, DAC) carry the size; a scan (SOS) or
# the end (EOI) before any SOF means there is none; the others without a length field
# are the restart markers, TEM, and 0x00 (a stuffed 0xFF byte libjpeg skips as garbage)
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_NO_SOF = frozenset({0xD9, 0xDA})
_JPEG_NO_LENGTH = frozenset({0x00, 0x01, *range(0xD0, 0xD8)})


def _png_size(data: bytes) -> tuple[int, int]:
    # signature (8), chunk length (4), chunk type (4), width (4), height (4)
    if data[12:16] != b"IHDR" or len(data) < 24:
        raise ValueError("the PNG does not start with an IHDR chunk")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    position = len(JPEG_MAGIC) - 1  # after SOI, at the 0xFF of the next marker
    while True:
        # like libjpeg: skip stray bytes up to a 0xFF, then the 0xFF fill bytes
        position = data.find(b"\xff", position)
        if position < 0:
            raise ValueError("the JPEG ends before its frame header (SOF)")
        while position < len(data) and data[position] == 0xFF:
            position += 1
        if position + 2 >= len(data):
            raise ValueError("the JPEG ends before its frame header (SOF)")
        marker = data[position]
        position += 1
        if marker in _JPEG_SOF:
            # length (2), precision (1), height (2), width (2)
            if position + 7 > len(data):
                raise ValueError("the JPEG frame header (SOF) is cut short")
            height, width = struct.unpack(">HH", data[position + 3:position + 7])
            return width, height
        if marker in _JPEG_NO_SOF:
            raise ValueError("the JPEG has no frame header (SOF) before its first scan")
        if marker not in _JPEG_NO_LENGTH:
            position += struct.unpack(">H", data[position:position + 2])[0]


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of PNG or JPEG bytes from their header; None for other bytes.

    Raises ValueError for bytes that begin like a PNG or JPEG but whose header is unreadable.
    """
    if data.startswith(PNG_MAGIC):
        return _png_size(data)
    if data.startswith(JPEG_MAGIC):
        return _jpeg_size(data)
    return None


def _strings(value):
    """The bytes in a nested list of request values, flattened in order."""
    if isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, bytes):
        yield value


def _embedded_images(values: list[bytes]) -> list[bytes] | None:
    """``image/encoded`` of each value parsed as a tf.Example; None when they do not all parse."""
    import tensorflow as tf
    from coarseseg_tf.data.examples import image_bytes_from_examples
    try:
        return [bytes(image) for image in image_bytes_from_examples(tf.constant(values, tf.string)).numpy()]
    except tf.errors.InvalidArgumentError:  # not Examples, or without the image: the signature says so
        return None


def check_image_pixels(input_name: str, value, max_pixels: int) -> None:
    """RestError 400 when an image in one input's values is over ``max_pixels`` or has no readable header.

    Args:
      input_name: the input's name, for messages (``image_bytes[3] is too large ...``).
      value: the input's batch, a nested list of request values.
      max_pixels: largest width × height.
    """
    strings = list(_strings(value))
    images = [(f"{input_name}[{index}]", data) for index, data in enumerate(strings)
              if data.startswith((PNG_MAGIC, JPEG_MAGIC))]
    others = [(index, data) for index, data in enumerate(strings) if not data.startswith((PNG_MAGIC, JPEG_MAGIC))]
    embedded = _embedded_images([data for _, data in others]) if others else None
    if embedded is not None:
        from coarseseg_tf.data.examples import IMAGE_KEY
        images += [(f"{input_name}[{index}] ({IMAGE_KEY})", image) for (index, _), image in zip(others, embedded)]
    for where, data in images:
        try:
            size = image_size(data)
        except ValueError as error:
            raise RestError(400, f"{where} is not a readable image: {error}") from None
        if size is not None and size[0] * size[1] > max_pixels:
            raise RestError(400, f"{where} is too large: {size[0]}x{size[1]} = {size[0] * size[1]} pixels, "
                                 f"the limit is {max_pixels}")
