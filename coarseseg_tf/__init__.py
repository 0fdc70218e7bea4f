"""coarseseg_tf: learn semantic segmentation from coarse positive and negative drawings.

    import coarseseg_tf
    result = coarseseg_tf.fit(images, positive=pos, negative=neg, num_classes=2)
    masks = result.model.segment(test_images)

The names below are imported on first use (:mod:`coarseseg_tf.lazy`): importing a
TensorFlow-free module such as :mod:`coarseseg_tf.serving.client` does not load TensorFlow.
"""
from coarseseg_tf.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "IGNORE_LABEL": "coarseseg_tf.labels",
    "confusion_matrix": "coarseseg_tf.metrics",
    "iou_from_confusion": "coarseseg_tf.metrics",
    "mean_iou": "coarseseg_tf.metrics",
    "METHODS": "coarseseg_tf.models",
    "CoarseSegModel": "coarseseg_tf.models",
    "FitResult": "coarseseg_tf.train.fit",
    "fit": "coarseseg_tf.train.fit",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
