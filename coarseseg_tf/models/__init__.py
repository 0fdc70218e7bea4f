"""Networks: U-Net trunk, confusion-matrix heads, complementary transition, joint model,
the objectives registry and the model's configuration.

Names are imported on first use, so ``coarseseg_tf.models.objectives`` and
``coarseseg_tf.models.config`` load without TensorFlow.
"""
from coarseseg_tf.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "CoarseSegModel": "coarseseg_tf.models.coarse_seg_model",
    "ModelConfig": "coarseseg_tf.models.config",
    "METHODS": "coarseseg_tf.models.objectives",
    "DEFAULT_METHOD": "coarseseg_tf.models.objectives",
    "OBJECTIVES": "coarseseg_tf.models.objectives",
    "ComplementaryTransition": "coarseseg_tf.models.confusion",
    "ConfusionMatrixHead": "coarseseg_tf.models.confusion",
    "apply_confusion": "coarseseg_tf.models.confusion",
    "uniform_transition_matrix": "coarseseg_tf.models.confusion",
    "build_unet_features": "coarseseg_tf.models.unet",
})
