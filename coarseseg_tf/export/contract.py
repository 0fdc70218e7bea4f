"""The serving contract: the names a SavedModel's callers rely on, spelled once.

Exporters (:mod:`coarseseg_tf.export.signatures`), TFMA (:mod:`coarseseg_tf.evaluation`),
the REST and gRPC clients and the local server import these names; none of them spells the
strings. This module imports nothing, so a client that only talks JSON does not load TensorFlow.

Signatures (each takes a batch B of strings):

``SERVING_SIGNATURE``   input ``IMAGE_BYTES_INPUT``: (B,) encoded PNG or JPEG images;
                        outputs ``MASK_PNG_OUTPUT`` and ``IMAGE_SIZE_OUTPUT``
``EXAMPLES_SIGNATURE``  input ``EXAMPLES_INPUT``: (B,) serialized tf.Examples (TFMA feeds
                        these); the same outputs as ``SERVING_SIGNATURE``
``ARRAYS_SIGNATURE``    input ``IMAGE_BYTES_INPUT``; outputs ``MASK_OUTPUT``,
                        ``IMAGE_SIZE_OUTPUT`` and, when exported with them, ``PROBABILITIES_OUTPUT``

The default signature returns each mask once, as a PNG: TF Serving's REST API has no
output filter, so an array output there would travel as JSON numbers (65,536 of them for
one 256×256 mask) beside the PNG in every answer. Callers that want arrays ask for them.

Outputs, with Hmax, Wmax the largest height and width in the batch:

``MASK_PNG_OUTPUT``      string (B,) single-channel PNG of each mask at its own size; the
                         name ends in ``_bytes`` so that TF Serving's REST API returns it
                         base64-encoded (see :mod:`coarseseg_tf.serving.rest`)
``IMAGE_SIZE_OUTPUT``    int32 (B, 2) height, width of each image
``MASK_OUTPUT``          uint8 (B, Hmax, Wmax) class ids, 255 outside each image
``PROBABILITIES_OUTPUT`` float32 (B, Hmax, Wmax, L), 0 outside each image
"""

SERVING_SIGNATURE = "serving_default"
EXAMPLES_SIGNATURE = "serving_examples"
ARRAYS_SIGNATURE = "serving_arrays"

IMAGE_BYTES_INPUT = "image_bytes"
EXAMPLES_INPUT = "examples"
#: how the images that IMAGE_BYTES_INPUT accepts begin
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"

MASK_OUTPUT = "mask"
MASK_PNG_OUTPUT = "mask_png_bytes"
IMAGE_SIZE_OUTPUT = "image_size"
PROBABILITIES_OUTPUT = "probabilities"

#: the ``{name}`` in ``/v1/models/{name}``, and the directory under the serving base path
DEFAULT_MODEL_NAME = "coarseseg"
