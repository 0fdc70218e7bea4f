"""Training: fit() and its callbacks."""
from coarseseg_tf.train.fit import FitResult, fit  # noqa: F401
