"""The serving contract: the names a SavedModel's callers rely on, spelled once.

Exporters (:mod:`coarseseg_tf.export.signatures`), TFMA (:mod:`coarseseg_tf.evaluation`),
the REST client and the local server import these names; none of them spells the strings.
This module imports nothing, so a client that only talks JSON does not load TensorFlow.

Signatures (both take a batch B of strings and return the same outputs):

``SERVING_SIGNATURE``   input ``IMAGE_BYTES_INPUT``: (B,) encoded PNG or JPEG images
``EXAMPLES_SIGNATURE``  input ``EXAMPLES_INPUT``: (B,) serialized tf.Examples (TFMA feeds these)

Outputs, with Hmax, Wmax the largest height and width in the batch:

``MASK_OUTPUT``          uint8 (B, Hmax, Wmax) class ids, 255 outside each image
``MASK_PNG_OUTPUT``      string (B,) single-channel PNG of each mask at its own size; the
                         name ends in ``_bytes`` so that TF Serving's REST API returns it
                         base64-encoded (see :mod:`coarseseg_tf.serving.rest`)
``IMAGE_SIZE_OUTPUT``    int32 (B, 2) height, width of each image
``PROBABILITIES_OUTPUT`` float32 (B, Hmax, Wmax, L), only when exported with probabilities
"""

SERVING_SIGNATURE = "serving_default"
EXAMPLES_SIGNATURE = "serving_examples"

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
