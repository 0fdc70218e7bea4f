"""coarseseg_tf: learn semantic segmentation from coarse positive and negative drawings.

    import coarseseg_tf
    result = coarseseg_tf.fit(images, positive=pos, negative=neg, num_classes=2)
    masks = result.model.segment(test_images)
"""
__version__ = "0.1.0"

from coarseseg_tf.labels import IGNORE_LABEL  # noqa: E402,F401
from coarseseg_tf.metrics import confusion_matrix, iou_from_confusion, mean_iou  # noqa: E402,F401
from coarseseg_tf.models import METHODS, CoarseSegModel  # noqa: E402,F401
from coarseseg_tf.train.fit import FitResult, fit  # noqa: E402,F401
