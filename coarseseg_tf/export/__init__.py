"""SavedModel export for TF Serving and TFMA (see :mod:`coarseseg_tf.export.signatures`).

The names of the signatures and tensors are in :mod:`coarseseg_tf.export.contract`, which
imports nothing; the functions below load TensorFlow when first read (:mod:`coarseseg_tf.lazy`).
"""
from coarseseg_tf.export.contract import (  # noqa: F401
    ARRAYS_SIGNATURE, EXAMPLES_INPUT, EXAMPLES_SIGNATURE, IMAGE_BYTES_INPUT, PROBABILITIES_OUTPUT, SERVING_SIGNATURE)
from coarseseg_tf.lazy import lazy_exports

_EXPORTS = {name: "coarseseg_tf.export.signatures" for name in (
    "PAD_LABEL", "export_saved_model", "load_image_segmenter", "load_serving_model", "next_version_dir",
    "resolve_saved_model_dir", "saved_model_versions", "segment_encoded_images", "segment_image_bytes",
    "serving_functions")}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
