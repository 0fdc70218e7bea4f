"""The TFDS builder prepares Cityscapes from a manual directory in the official layout."""
import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from coarseseg_tf.data.datasets import cityscapes  # noqa: E402
from coarseseg_tf.data.datasets.tfds_cityscapes import CityscapesCoarse, CityscapesCoarseConfig  # noqa: E402
from fixtures_datasets import write_cityscapes  # noqa: E402


def _prepare(tmp_path, size):
    root = tmp_path / "cityscapes"
    write_cityscapes(str(root))  # 64×128 frames
    builder = CityscapesCoarse(config=CityscapesCoarseConfig(name="test", size=size),
                               data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(root)))
    return root, builder


def test_prepared_splits_equal_the_reader(tmp_path):
    root, builder = _prepare(tmp_path, (32, 64))
    for tfds_split, split in (("train", "train"), ("validation", "val")):
        expected = {r.key: r for r in cityscapes.iter_records(str(root), split, size=(32, 64))}
        got = list(tfds.as_numpy(builder.as_dataset(split=tfds_split)))
        assert len(got) == len(expected) > 0
        for example in got:
            record = expected[example["key"].decode()]
            np.testing.assert_array_equal(example["image"], record.image)
            for name in ("mask", "positive", "negative"):
                np.testing.assert_array_equal(example[name][..., 0], getattr(record, name))
            assert set(np.unique(example["mask"])) <= set(range(19)) | {255}


def test_a_config_whose_size_does_not_match_names_the_frame(tmp_path):
    with pytest.raises(Exception, match="expects"):
        _prepare(tmp_path, None)  # "full" expects 1024×2048; the fixture frames are 64×128
