"""SavedModel export for TF Serving and TFMA (see :mod:`coarseseg_tf.export.signatures`)."""
from coarseseg_tf.export.signatures import (  # noqa: F401
    EXAMPLES_INPUT, EXAMPLES_SIGNATURE, IMAGE_BYTES_INPUT, PAD_LABEL, PROBABILITIES_OUTPUT,
    SERVING_SIGNATURE, export_saved_model, load_image_segmenter, load_serving_model, next_version_dir,
    resolve_saved_model_dir, saved_model_versions, segment_encoded_images, segment_image_bytes,
    serving_functions)
