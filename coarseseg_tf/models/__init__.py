"""Networks: U-Net trunk, confusion-matrix heads, complementary transition, joint model."""
from coarseseg_tf.models.coarse_seg_model import (CM_METHODS, DEFAULT_METHOD, METHODS,  # noqa: F401
                                                  CoarseSegModel)
from coarseseg_tf.models.confusion import (ComplementaryTransition, ConfusionMatrixHead,  # noqa: F401
                                           apply_confusion, uniform_transition_matrix)
from coarseseg_tf.models.unet import build_unet_features  # noqa: F401
