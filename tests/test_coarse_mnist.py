import numpy as np

from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
from coarseseg_tf.data.datasets.mnist import add_gaussian_noise


def test_real_digits_offline(digits):
    assert len(digits) == 5000
    assert digits.images.shape == (5000, 28, 28) and digits.images.dtype == np.float32
    assert 0.0 <= digits.images.min() and digits.images.max() <= 1.0
    np.testing.assert_array_equal(digits.masks, digits.images >= 0.5)
    assert set(np.unique(digits.digits)) == set(range(10))


def test_split_is_disjoint_and_seeded(digits):
    train, test = make_coarse_mnist(50, 100, seed=5, digits=digits)
    again, _ = make_coarse_mnist(50, 100, seed=5, digits=digits)
    np.testing.assert_array_equal(train.positive, again.positive)
    flat_train = {img.tobytes() for img in train.images}
    assert not any(img.tobytes() in flat_train for img in test.images)
    assert (test.positive == 255).all()


def test_noise_is_clipped(digits, rng):
    noisy = add_gaussian_noise(digits.images[:10], 0.5, rng)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, digits.images[:10])
