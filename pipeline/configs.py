"""Settings of the coarseseg pipeline: every value create_pipeline() takes, in one place.

Edit the values here, or override the common ones with environment variables (handy
for a quick run: ``COARSESEG_EPOCHS=2 python pipeline/local_runner.py``). A malformed
override is an error naming the variable.
"""
import json
import os

from coarseseg_tf.data.synthesis.beam import SynthesisConfig
from coarseseg_tf.export.contract import DEFAULT_MODEL_NAME
from coarseseg_tf.train.config import TrainingConfig

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(name, default, cast):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError as error:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {cast.__name__} ({error})") from error


def fraction(raw: str) -> float:
    """A number in [0, 1]: mIoU and its threshold are fractions everywhere, so 85 is refused."""
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be in [0, 1] (0.85 means 85 %), got {value}")
    return value


PIPELINE_NAME = _env("COARSESEG_PIPELINE_NAME", "coarseseg-mnist", str)

# ---------------------------------------------------------------- where things go (local)
OUTPUT_DIR = _env("COARSESEG_OUTPUT_DIR", os.path.join(REPO_ROOT, "tfx_output"), str)
PIPELINE_ROOT = os.path.join(OUTPUT_DIR, "pipelines", PIPELINE_NAME)
METADATA_PATH = os.path.join(OUTPUT_DIR, "metadata", PIPELINE_NAME, "metadata.db")  # ML Metadata, SQLite
DATA_ROOT = _env("COARSESEG_DATA_ROOT", os.path.join(OUTPUT_DIR, "data", "mnist"), str)
MODEL_NAME = DEFAULT_MODEL_NAME
# TF Serving layout: <SERVING_MODEL_BASE>/<MODEL_NAME>/<version>/saved_model.pb
SERVING_MODEL_BASE = os.path.join(OUTPUT_DIR, "serving_model")

# ---------------------------------------------------------------- built-in data
# DATA_ROOT holds <split>/*.tfrecord.gz in the tf.Example schema of
# coarseseg_tf.data.examples; the local runner writes MNIST there when it is empty.
MNIST_NUM_TRAIN = _env("COARSESEG_NUM_TRAIN", 400, int)
MNIST_NUM_EVAL = _env("COARSESEG_NUM_EVAL", 1000, int)
MNIST_SEED = 0

# ---------------------------------------------------------------- components
# CoarseLabelGen: which drawings to synthesize from the true masks, and how (style= takes a
# name in coarseseg_tf.data.synthesis.styles.STYLES or a RecipeStyle; default "morpho")
NUM_CLASSES = _env("COARSESEG_NUM_CLASSES", 2, int)   # L, background included
CHANNELS = _env("COARSESEG_CHANNELS", 1, int)          # 1 grayscale, 3 RGB
SYNTHESIS = SynthesisConfig(num_classes=NUM_CLASSES, seed=0, max_bad_fraction=0.01)
SYNTHESIS_SPLITS = ["train"]

# Trainer: passed to coarseseg_tf.train.run_fn.run_fn as custom_config. Only what differs
# from coarseseg_tf.train.config.TrainingConfig is stated: its defaults are the library's.
TRAINING = TrainingConfig(num_classes=NUM_CLASSES, input_channels=CHANNELS,
                          epochs=_env("COARSESEG_EPOCHS", TrainingConfig.epochs, int))
TRAIN_STEPS = None  # None: TRAINING.epochs passes over the data

# Evaluator: the pushed model must reach this mean IoU (a fraction in [0, 1]) on the eval split
MIN_MEAN_IOU = _env("COARSESEG_MIN_MEAN_IOU", 0.85, fraction)

# ---------------------------------------------------------------- Beam
# Local: Beam's DirectRunner. For Dataflow, Flink or Spark, put their options here, e.g.
#   ["--runner=DataflowRunner", "--project=MY_PROJECT", "--region=us-central1",
#    "--temp_location=gs://MY_BUCKET/tmp", "--sdk_container_image=MY_IMAGE"]
#   ["--runner=FlinkRunner", "--flink_master=HOST:8081", "--environment_type=LOOPBACK"]
#   ["--runner=SparkRunner", "--spark_master_url=spark://HOST:7077"]
BEAM_PIPELINE_ARGS = json.loads(_env("COARSESEG_BEAM_ARGS", "null", str)) or [
    "--direct_running_mode=multi_processing",
    "--direct_num_workers=0",  # one per CPU core
]

# ---------------------------------------------------------------- Kubeflow Pipelines (v2)
KUBEFLOW_IMAGE = _env("COARSESEG_IMAGE", "gcr.io/MY_PROJECT/coarseseg-pipeline:latest", str)
KUBEFLOW_PIPELINE_ROOT = _env("COARSESEG_KFP_ROOT", "gs://MY_BUCKET/coarseseg/pipeline_root", str)
KUBEFLOW_DATA_ROOT = _env("COARSESEG_KFP_DATA", "gs://MY_BUCKET/coarseseg/data/mnist", str)
KUBEFLOW_SERVING_MODEL_BASE = _env("COARSESEG_KFP_SERVING", "gs://MY_BUCKET/coarseseg/serving_model", str)
KUBEFLOW_OUTPUT_FILE = os.path.join(REPO_ROOT, "coarseseg_pipeline.yaml")


# what every runner passes to create_pipeline(); they add where data and outputs live
SHARED_SETTINGS = dict(pipeline_name=PIPELINE_NAME, training=TRAINING, synthesis=SYNTHESIS,
                       synthesis_splits=SYNTHESIS_SPLITS, min_mean_iou=MIN_MEAN_IOU,
                       train_steps=TRAIN_STEPS, beam_pipeline_args=BEAM_PIPELINE_ARGS)
