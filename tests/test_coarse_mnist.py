import numpy as np

from coarseseg_tf.data import examples
from coarseseg_tf.data.datasets import converters
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


def test_a_digit_gets_the_same_drawings_in_the_library_and_in_the_pipeline(digits):
    """make_coarse_mnist and the Beam job over convert_mnist's records draw digit i alike."""
    from coarseseg_tf.data.synthesis import beam as bs
    train, _ = make_coarse_mnist(6, 10, seed=3, digits=digits)
    records = converters.mnist_records(6, 10, seed=3)["train"]
    assert [r.key for r in records] == [f"mnist-train-{i:05d}" for i in range(6)]
    for i, record in enumerate(records):
        serialized = examples.make_example(record.image, record.mask, key=record.key).SerializeToString()
        outcome = bs.synthesize_example(serialized, bs.SynthesisConfig(seed=3))
        drawn = examples.decode_example(outcome.record)
        np.testing.assert_array_equal(drawn.positive, train.positive[i])
        np.testing.assert_array_equal(drawn.negative, train.negative[i])
    assert (train.positive != 255).any()


def test_no_style_draws_nothing(digits):
    train, _ = make_coarse_mnist(5, 10, seed=0, digits=digits, style=None)
    assert (train.positive == 255).all() and (train.negative == 255).all()
