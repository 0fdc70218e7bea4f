"""A small U-Net whose decoder features are shared by the segmentation and CM heads."""
from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="coarseseg_tf")
class PadToMultiple(layers.Layer):
    """Zero-pads (B, H, W, C) at the bottom/right so H and W are multiples of ``multiple``.

    Used with :class:`CropLike` so images of any size go through a U-Net whose
    pooling needs sizes divisible by 2**depth; the padding is cropped off again.
    """

    def __init__(self, multiple: int, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, x):
        shape = ops.shape(x)
        pad_h = (-shape[1]) % self.multiple
        pad_w = (-shape[2]) % self.multiple
        return ops.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]])

    def compute_output_shape(self, input_shape):
        def up(n):
            return None if n is None else n + (-n) % self.multiple
        return (input_shape[0], up(input_shape[1]), up(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="coarseseg_tf")
class CropLike(layers.Layer):
    """Crops x (B, H', W', C) to the height and width of ``reference`` (B, H, W, ·)."""

    def call(self, x, reference):
        shape = ops.shape(reference)
        return x[:, : shape[1], : shape[2], :]

    def compute_output_shape(self, x_shape, reference_shape):
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])


def _conv_block(x, filters: int, name: str):
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        # synchronized: statistics of the global batch under tf.distribute, so replicas
        # and workers take the step one device would and keep equal moving averages
        x = layers.BatchNormalization(momentum=0.9, synchronized=True, name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)
    return x


def build_unet_features(input_channels: int = 1, width: int = 16, depth: int = 2,
                        name: str = "unet") -> keras.Model:
    """U-Net trunk: image (B, H, W, C) -> decoder features (B, H, W, width).

    H and W may be anything: the input is padded to a multiple of 2**depth and the
    features are cropped back. Channel widths double at every level.
    """
    if depth < 1 or width < 1:
        raise ValueError(f"U-Net needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
    image = keras.Input((None, None, input_channels), name="image")
    x = PadToMultiple(2 ** depth, name="pad")(image)
    skips = []
    for level in range(depth):
        x = _conv_block(x, width * 2 ** level, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = _conv_block(x, width * 2 ** depth, "bottom")
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(width * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = _conv_block(x, width * 2 ** level, f"dec{level}")
    features = CropLike(name="crop")(x, image)
    return keras.Model(image, features, name=name)
