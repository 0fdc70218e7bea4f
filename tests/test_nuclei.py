"""The stardist nuclei image as disjoint train/test tiles (needs stardist installed --no-deps)."""
import importlib.util
import sys

import numpy as np
import pytest

from coarseseg_tf.data.datasets import nuclei


@pytest.fixture(scope="module")
def splits():
    return nuclei.make_nuclei(tile=64)


def test_whole_image_is_normalised_with_a_binary_mask():
    image, mask = nuclei.load_nuclei()
    assert image.shape == mask.shape == (512, 512)
    assert image.dtype == np.float32 and image.min() == 0.0 and image.max() == 1.0
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    # nuclei are bright: the normalised intensity separates them from the background
    assert image[mask == 1].mean() > image[mask == 0].mean() + 0.2
    assert "stardist" not in sys.modules  # its files are read, the package (TF, numba) never imported


def test_tiles_have_shapes_and_match_the_image_at_their_origins(splits):
    image, mask = nuclei.load_nuclei()
    for split in splits:
        assert split.images.shape == (len(split), 64, 64, 1) and split.images.dtype == np.float32
        assert split.masks.shape == (len(split), 64, 64) and split.masks.dtype == np.uint8
        assert split.origins.shape == (len(split), 2)
        for tile, labels, (top, left) in zip(split.images, split.masks, split.origins):
            np.testing.assert_array_equal(tile[..., 0], image[top: top + 64, left: left + 64])
            np.testing.assert_array_equal(labels, mask[top: top + 64, left: left + 64])


def test_train_and_test_tiles_are_disjoint_and_both_hold_nuclei(splits):
    import tifffile
    train, test = splits
    train_right = (train.origins[:, 1] + 64).max()
    test_left = test.origins[:, 1].min()
    assert train_right + 32 <= test_left  # the gap lies between the two parts
    assert train.masks.mean() > 0.1 and test.masks.mean() > 0.1
    # no nucleus (instance) has pixels in both splits
    instances = tifffile.imread(nuclei.stardist_file("mask2d.tif"))
    assert not (set(np.unique(instances[:, :train_right])) & set(np.unique(instances[:, test_left:]))) - {0}


def test_tile_larger_than_a_part_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        nuclei.make_nuclei(tile=256)


def test_missing_stardist_is_named(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "stardist" else real_find_spec(name, *args))
    with pytest.raises(FileNotFoundError, match="stardist is not installed.*--no-deps stardist"):
        nuclei.make_nuclei()


def test_convert_nuclei_writes_the_tiles(tmp_path, capsys):
    from coarseseg_tf.cli import main
    from coarseseg_tf.data.examples import read_tfrecord_dataset
    main(["convert", "--format", "nuclei", "--tile", "128", "-o", str(tmp_path)])
    assert "eval: wrote" in capsys.readouterr().out
    train, test = nuclei.make_nuclei(tile=128)
    for name, split in (("train", train), ("eval", test)):
        read = list(read_tfrecord_dataset(str(tmp_path / name / "*.gz"), channels=1).as_numpy_iterator())
        assert [r["key"].decode() for r in read] == [f"nuclei-{name}-{i:06d}" for i in range(len(split))]
        np.testing.assert_array_equal(np.stack([r["mask"] for r in read]), split.masks)
        # images travel as 8-bit PNG
        np.testing.assert_allclose(np.stack([r["image"] for r in read]), split.images, atol=0.5 / 255 + 1e-6)
