"""The coarseseg TFX pipeline: Examples → drawings (Beam) → training → mIoU gate → push.

    ImportExampleGen      tf.Examples with images and true masks (or user drawings)
      → CoarseLabelGen    Beam job adding positive/negative drawings (coarseseg_tf.data.synthesis.beam)
      → Trainer           run_fn = coarseseg_tf.train.run_fn.run_fn (MirroredStrategy / multi-worker)
      → Evaluator         TFMA MeanIoU on the eval split's true masks, blessing threshold
      → Pusher            SavedModel for TF Serving, only when blessed

Every setting is an argument; ``pipeline/configs.py`` holds the values the runners pass.
"""
from __future__ import annotations

from typing import Sequence

from tfx import v1 as tfx
from tfx.proto import example_gen_pb2

from coarseseg_tf.data.synthesis.beam import SynthesisConfig
from coarseseg_tf.evaluation.config import make_eval_config
from coarseseg_tf.train.config import TrainingConfig
from components.coarse_label_gen import CoarseLabelGen

RUN_FN = "coarseseg_tf.train.run_fn.run_fn"
TRAIN_SPLIT, EVAL_SPLIT = "train", "eval"


def create_pipeline(pipeline_name: str, pipeline_root: str, data_root: str,
                    training: TrainingConfig, synthesis: SynthesisConfig, min_mean_iou: float, serving_model_dir: str,
                    synthesis_splits: Sequence[str] = (TRAIN_SPLIT,), train_steps: int | None = None,
                    metadata_connection_config=None, beam_pipeline_args: Sequence[str] | None = None,
                    enable_cache: bool = True) -> tfx.dsl.Pipeline:
    """Builds the pipeline.

    Args:
      pipeline_name, pipeline_root: TFX pipeline identity and artifact root.
      data_root: directory with ``train/`` and ``eval/`` TFRecords (GZIP) of tf.Examples
        in the :mod:`coarseseg_tf.data.examples` schema.
      training: the Trainer's settings (passed to run_fn as custom_config).
      synthesis: CoarseLabelGen's settings: which drawings, how, and the bad-example limit.
      min_mean_iou: the Evaluator blesses (and the Pusher pushes) only at or above this
        mean IoU on the eval split, a fraction in [0, 1].
      serving_model_dir: the Pusher writes ``<serving_model_dir>/<version>/`` here, the
        layout TF Serving reads (so end it with the model name).
      synthesis_splits: splits that get drawings; the others pass through unchanged.
      train_steps: total training steps, None for ``training.epochs`` passes.
      metadata_connection_config: ML Metadata store (SQLite locally); None lets the
        orchestrator choose (Kubeflow).
      beam_pipeline_args: Beam options of CoarseLabelGen and the Evaluator.
      enable_cache: reuse outputs of components whose inputs and settings are unchanged.
    Raises:
      ValueError naming the field when a setting is missing or malformed.
    """
    for name, value, kind in (("training", training, TrainingConfig), ("synthesis", synthesis, SynthesisConfig)):
        if not isinstance(value, kind):
            raise ValueError(f"pipeline config: field {name!r} must be a {kind.__name__}, got {value!r}")
    eval_config = make_eval_config(training.num_classes, min_mean_iou)
    for name, value in (("pipeline_name", pipeline_name), ("pipeline_root", pipeline_root),
                        ("data_root", data_root), ("serving_model_dir", serving_model_dir)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"pipeline config: field {name!r} must be a non-empty string, got {value!r}")

    example_gen = tfx.components.ImportExampleGen(
        input_base=data_root,
        input_config=example_gen_pb2.Input(splits=[
            example_gen_pb2.Input.Split(name=split, pattern=f"{split}/*")
            for split in (TRAIN_SPLIT, EVAL_SPLIT)]))

    drawings = CoarseLabelGen(examples=example_gen.outputs["examples"], config_json=synthesis.to_json(),
                              splits=",".join(synthesis_splits))

    trainer = tfx.components.Trainer(
        run_fn=RUN_FN,
        examples=drawings.outputs["labeled_examples"],
        train_args=tfx.proto.TrainArgs(splits=[TRAIN_SPLIT], num_steps=train_steps),
        eval_args=tfx.proto.EvalArgs(splits=[EVAL_SPLIT]),
        custom_config=training.to_dict())

    # scored against the true masks of the eval split, which need no drawings
    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"], model=trainer.outputs["model"],
        eval_config=eval_config, example_splits=[EVAL_SPLIT])

    pusher = tfx.components.Pusher(
        model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
        push_destination=tfx.proto.PushDestination(
            filesystem=tfx.proto.PushDestination.Filesystem(base_directory=serving_model_dir)))

    return tfx.dsl.Pipeline(
        pipeline_name=pipeline_name, pipeline_root=pipeline_root,
        components=[example_gen, drawings, trainer, evaluator, pusher],
        enable_cache=enable_cache, metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(beam_pipeline_args or []))
