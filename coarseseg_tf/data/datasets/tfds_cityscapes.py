"""Cityscapes with coarse drawings as a TensorFlow Datasets builder (manual download).

Cityscapes needs a login, so TFDS cannot download it: the user extracts the official
archives into a directory and TFDS prepares the dataset from there, as TFDS does for
every dataset behind a login. All reading is :mod:`coarseseg_tf.data.datasets.cityscapes`'s.

    import tensorflow_datasets as tfds
    from coarseseg_tf.data.datasets.tfds_cityscapes import CityscapesCoarse
    builder = CityscapesCoarse(config="256x512", data_dir="~/tensorflow_datasets")
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir="/data/cityscapes"))
    train = builder.as_dataset(split="train")   # {"key", "image", "mask", "positive", "negative"}

Label maps are (H, W, 1) uint8 train ids, 255 = not drawn / unknown; the mask is all
255 where a frame has no gtFine file.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from coarseseg_tf.data.datasets import cityscapes
from coarseseg_tf.data.datasets.files import DatasetError
from coarseseg_tf.labels import IGNORE_LABEL

LABEL_MAPS = ("mask", "positive", "negative")


@dataclasses.dataclass
class CityscapesCoarseConfig(tfds.core.BuilderConfig):
    """``size``: (H, W) every frame is resized to; None keeps 1024×2048."""

    size: tuple[int, int] | None = None


class CityscapesCoarse(tfds.core.GeneratorBasedBuilder):
    """Cityscapes frames with gtCoarse positive drawings and synthesized negative ones."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """
    Log in at https://www.cityscapes-dataset.com/downloads/ and download
    leftImg8bit_trainvaltest.zip, gtFine_trainvaltest.zip and gtCoarse.zip. Extract all
    three into `manual_dir`, which then holds leftImg8bit/, gtFine/ and gtCoarse/.
    """
    BUILDER_CONFIGS = [
        CityscapesCoarseConfig(name="256x512", size=(256, 512), description="frames resized to 256×512"),
        CityscapesCoarseConfig(name="full", size=None, description="frames at 1024×2048"),
    ]

    def _shape(self):
        return self.builder_config.size or (1024, 2048)

    def _info(self) -> tfds.core.DatasetInfo:
        height, width = self._shape()
        label = tfds.features.Image(shape=(height, width, 1), dtype=np.uint8, encoding_format="png")
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({
                "key": tfds.features.Text(),
                "image": tfds.features.Image(shape=(height, width, 3), encoding_format="png"),
                **{name: label for name in LABEL_MAPS}}),
            homepage="https://www.cityscapes-dataset.com/")

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        root = str(dl_manager.manual_dir)
        return {"train": self._generate_examples(root, "train"),
                "validation": self._generate_examples(root, "val")}

    def _generate_examples(self, root: str, split: str):
        height, width = self._shape()
        for record in cityscapes.iter_records(root, split, size=self.builder_config.size):
            if record.image.shape[:2] != (height, width):
                raise DatasetError(
                    f"{record.key}: frame is {record.image.shape[:2]}, config {self.builder_config.name!r} "
                    f"expects {(height, width)}; choose the config whose size matches or resizes")
            maps = {name: getattr(record, name) for name in LABEL_MAPS}
            yield record.key, {"key": record.key, "image": record.image,
                               **{name: (np.full((height, width), IGNORE_LABEL, np.uint8) if m is None else m)[..., None]
                                  for name, m in maps.items()}}
