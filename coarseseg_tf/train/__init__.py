"""Training: TrainingConfig (the one source of training defaults), ``fit.fit()``, ``run_fn`` for TFX."""
from coarseseg_tf.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "TrainingConfig": "coarseseg_tf.train.config",
})
