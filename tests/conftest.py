import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def digits():
    from coarseseg_tf.data.datasets.mnist import load_mnist
    return load_mnist()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
