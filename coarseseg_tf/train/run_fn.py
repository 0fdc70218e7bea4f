"""The TFX Trainer's entry point: ``run_fn(fn_args)``, named by dotted path.

The pipeline's Trainer sets ``run_fn="coarseseg_tf.train.run_fn.run_fn"`` and passes a
:class:`~coarseseg_tf.train.config.TrainingConfig` as ``custom_config``. The function
reads the Examples that CoarseLabelGen wrote (GZIP TFRecords in the tf.Example schema of
:mod:`coarseseg_tf.data.examples`), trains with :func:`coarseseg_tf.fit` under the
strategy :mod:`coarseseg_tf.train.distribute` picks, backs up after every epoch so a
killed run resumes, and exports the SavedModel that the Evaluator scores and TF
Serving serves (:mod:`coarseseg_tf.export`). Beside the model it leaves TensorBoard logs
in ``<model_run_dir>/logs`` (where TFX looks for them), ``history.json`` and a PNG of
the training curves.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf
from absl import logging

from coarseseg_tf.data.examples import read_tfrecord_dataset
from coarseseg_tf.train import distribute
from coarseseg_tf.train.config import TrainingConfig
from coarseseg_tf.train.fit import fit

HISTORY_FILE = "history.json"
CURVES_FILE = "training_curves.png"
KERAS_MODEL_FILE = "model.keras"
TENSORBOARD_DIR = "logs"


def examples_dataset(file_patterns, config: TrainingConfig, training: bool) -> tf.data.Dataset:
    """Unbatched dataset of {"image", "mask", "positive", "negative"} dicts from TFRecords.

    For training, examples are shuffled and their true masks dropped unless
    ``config.use_masks``. Sharding is by element, not by file: a split is often a
    single file, and with several workers each must still see a disjoint share.
    """
    dataset = read_tfrecord_dataset(file_patterns, config.input_channels)
    if training and not config.use_masks:
        dataset = dataset.map(lambda element: {k: v for k, v in element.items() if k != "mask"})
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = dataset.with_options(options)
    if training:
        dataset = dataset.shuffle(config.shuffle_buffer, seed=config.seed, reshuffle_each_iteration=True)
    return dataset


def train_from_files(train_files, eval_files, config: TrainingConfig, run_dir: str,
                     export_dir: str, train_steps: int | None = None, tf_config: str | None = None,
                     callbacks=()):
    """Trains and exports; what :func:`run_fn` does, callable without TFX.

    Args:
      train_files, eval_files: TFRecord file patterns (lists of globs).
      run_dir: backups, TensorBoard logs, history, its curves and the .keras model go here.
      export_dir: the SavedModel directory (written by the chief worker only).
      train_steps: total training steps; None trains ``config.epochs`` passes over the data.
      tf_config: TF_CONFIG JSON; None reads the environment.
      callbacks: Keras callbacks added to the backup one (e.g. timers).
    Returns:
      the :class:`~coarseseg_tf.train.fit.FitResult`.
    """
    role = distribute.worker_role(tf_config)
    strategy = distribute.strategy_for(role)
    logging.info("coarseseg run_fn: worker %d/%d, %d replica(s), config %s", role.index + 1, role.count,
                 strategy.num_replicas_in_sync, json.dumps(config.to_dict()))
    train = examples_dataset(train_files, config, training=True)
    # fit() repeats the data when given steps: after refining and caching it, not before
    steps_per_epoch = max(1, int(train_steps) // config.epochs) if train_steps else None
    validation = examples_dataset(eval_files, config, training=False)
    # each worker backs up to its own directory; mirrored weights make them identical
    backup_dir = os.path.join(run_dir, "backup", f"worker-{role.index}")
    # one writer per run: the chief logs, the other workers' copies would only repeat it
    log_dir = os.path.join(run_dir, TENSORBOARD_DIR) if role.is_chief else None
    result = fit(train, config=config, validation_data=validation, strategy=strategy,
                 steps_per_epoch=steps_per_epoch, log_dir=log_dir,
                 callbacks=[keras.callbacks.BackupAndRestore(backup_dir), *callbacks], verbose=2)
    _export(result, role, run_dir, export_dir)
    return result


def _export(result, role, run_dir, export_dir):
    from coarseseg_tf.export import export_saved_model
    from coarseseg_tf.viz import save_training_curves
    if role.is_chief:
        export_saved_model(result.model, export_dir)
        os.makedirs(run_dir, exist_ok=True)
        result.model.save(os.path.join(run_dir, KERAS_MODEL_FILE))
        with open(os.path.join(run_dir, HISTORY_FILE), "w") as f:
            json.dump(result.history.history, f, indent=1)
        save_training_curves(result.history.history, os.path.join(run_dir, CURVES_FILE))
        return
    scratch = tempfile.mkdtemp(prefix=f"coarseseg-worker{role.index}-")
    try:
        export_saved_model(result.model, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_fn(fn_args) -> None:
    """TFX Trainer entry point (``tfx.components.FnArgs``)."""
    config = TrainingConfig.from_dict(fn_args.custom_config)
    train_from_files(fn_args.train_files, fn_args.eval_files, config, fn_args.model_run_dir,
                     fn_args.serving_model_dir, train_steps=fn_args.train_steps or None)
