"""coarseseg_tf: learn semantic segmentation from coarse positive and negative drawings.

    import coarseseg_tf
    result = coarseseg_tf.fit(images, positive=pos, negative=neg, num_classes=2)
    masks = result.model.segment(test_images)

Names are imported on first use: ``import coarseseg_tf`` alone does not start TensorFlow.
"""
from coarseseg_tf.lazy import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, {
    "IGNORE_LABEL": "coarseseg_tf.labels",
    "confusion_matrix": "coarseseg_tf.metrics",
    "iou_from_confusion": "coarseseg_tf.metrics",
    "mean_iou": "coarseseg_tf.metrics",
    "METHODS": "coarseseg_tf.models.objectives",
    "DEFAULT_METHOD": "coarseseg_tf.models.objectives",
    "CoarseSegModel": "coarseseg_tf.models.coarse_seg_model",
    "ModelConfig": "coarseseg_tf.models.config",
    "TrainingConfig": "coarseseg_tf.train.config",
    "FitResult": "coarseseg_tf.train.fit",
    "fit": "coarseseg_tf.train.fit",
})
