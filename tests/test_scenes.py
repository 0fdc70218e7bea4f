"""Multi-class scenes of real MNIST digits."""
import numpy as np
import pytest

from coarseseg_tf.data.datasets.mnist import DigitSet
from coarseseg_tf.data.datasets.scenes import NUM_CLASSES, make_scenes, split_pools


@pytest.fixture(scope="module")
def scenes(digits):
    return make_scenes(40, 30, seed=3, digits=digits)


def test_shapes_ranges_and_classes(scenes):
    for split, num in zip(scenes, (40, 30)):
        assert split.images.shape == (num, 64, 64, 1) and split.images.dtype == np.float32
        assert split.masks.shape == (num, 64, 64) and split.masks.dtype == np.uint8
        assert 0.0 <= split.images.min() and split.images.max() <= 1.0
        assert split.masks.max() < NUM_CLASSES == 11
        # the mask is the scene's intensity >= 0.5, as MNIST's masks are made
        np.testing.assert_array_equal(split.masks > 0, split.images[..., 0] >= 0.5)
        counts = [len(np.unique(m)) - 1 for m in split.masks]
        assert min(counts) >= 2 and max(counts) <= 4 and len(set(counts)) == 3


def test_seeded(digits, scenes):
    again = make_scenes(40, 30, seed=3, digits=digits)
    for split, same in zip(scenes, again):
        np.testing.assert_array_equal(split.images, same.images)
        np.testing.assert_array_equal(split.masks, same.masks)
    other, _ = make_scenes(40, 30, seed=4, digits=digits)
    assert not np.array_equal(other.masks, scenes[0].masks)
    # scene i does not depend on how many scenes are made
    np.testing.assert_array_equal(make_scenes(5, 1, seed=3, digits=digits)[0].masks, scenes[0].masks[:5])


def test_train_and_test_draw_on_disjoint_digits():
    train_pool, test_pool = split_pools(100, seed=0)
    assert not set(train_pool) & set(test_pool) and len(train_pool) + len(test_pool) == 100
    # digits whose stroke intensity names them: a scene's pixel values tell which digits it holds
    count = 200
    masks = np.zeros((count, 28, 28), np.uint8)
    masks[:, 8:20, 10:18] = 1
    images = masks * (0.5 + np.arange(count)[:, None, None] / (2 * count))
    fake = DigitSet(images.astype(np.float32), masks, np.arange(count) % 10)
    train, test = make_scenes(30, 30, seed=0, digits=fake)
    used = [set(np.unique(split.images)) - {0.0} for split in (train, test)]
    assert used[0] and used[1] and not used[0] & used[1]
    assert used[0] <= set(fake.images[split_pools(count, 0)[0]].ravel())


def test_noise_keeps_masks_clean(digits, scenes):
    noisy, _ = make_scenes(40, 30, seed=3, noise_sigma=0.3, digits=digits)
    np.testing.assert_array_equal(noisy.masks, scenes[0].masks)
    assert 0.0 <= noisy.images.min() and noisy.images.max() <= 1.0
    assert not np.allclose(noisy.images, scenes[0].images)


def test_bad_arguments_are_refused(digits):
    with pytest.raises(ValueError, match="digits_per_scene"):
        make_scenes(1, 1, digits=digits, digits_per_scene=(3, 2))
    with pytest.raises(ValueError, match="smaller than a digit"):
        make_scenes(1, 1, digits=digits, canvas=20)
    with pytest.raises(ValueError, match="could not place"):
        make_scenes(5, 1, digits=digits, canvas=28, digits_per_scene=(4, 4))


def test_convert_scenes_writes_the_pipeline_records(tmp_path):
    from coarseseg_tf.cli import main
    from coarseseg_tf.data.examples import read_tfrecord_dataset
    main(["convert", "--format", "scenes", "--seed", "3", "-o", str(tmp_path)])
    read = list(read_tfrecord_dataset(str(tmp_path / "eval" / "*.gz"), channels=1).take(2).as_numpy_iterator())
    assert read[0]["key"] == b"scenes-eval-000000" and read[0]["image"].shape == (64, 64, 1)
    assert 2 <= len(np.unique(read[0]["mask"])) - 1 <= 4
