"""The TFMA EvalConfig of the pipeline's Evaluator: mIoU with a blessing threshold."""
from __future__ import annotations

import json

import tensorflow_model_analysis as tfma
from google.protobuf import json_format

from coarseseg_tf.evaluation.tfma_metric import MEAN_IOU_NAME, MeanIoU
from coarseseg_tf.export.contract import EXAMPLES_SIGNATURE


def make_eval_config(num_classes: int, min_mean_iou: float, include_background: bool = True) -> tfma.EvalConfig:
    """Scores the ``serving_examples`` signature by :class:`MeanIoU`, over the whole set.

    The model is blessed only if its mean IoU is at least ``min_mean_iou`` (in [0, 1]).
    There is no baseline model: the bar is absolute, so a first model can be pushed.
    The model type is stated (a generic SavedModel): otherwise TFMA first tries to load
    it as a tf.keras model and warns, misleadingly, of a "SavedModel saved prior to TF 2.5".
    """
    if isinstance(min_mean_iou, bool) or not isinstance(min_mean_iou, (int, float)) \
            or not 0.0 <= min_mean_iou <= 1.0:
        raise ValueError(f"evaluation config: field 'min_mean_iou' must be a number in [0, 1] "
                         f"(a fraction, not a percentage), got {min_mean_iou!r}")
    threshold = tfma.MetricThreshold(value_threshold=tfma.GenericValueThreshold(
        lower_bound={"value": float(min_mean_iou)}))
    metric = tfma.MetricConfig(
        class_name=MeanIoU.__name__, module=MeanIoU.__module__,
        config=json.dumps({"num_classes": int(num_classes), "include_background": include_background}),
        threshold=threshold)
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name=EXAMPLES_SIGNATURE, model_type=tfma.TF_GENERIC)],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[metric])])


def read_min_mean_iou(eval_config_json: str) -> float | None:
    """The blessing threshold of :class:`MeanIoU` in an EvalConfig as JSON (what the
    Evaluator records in ML Metadata); None when the config sets none."""
    config = json_format.Parse(eval_config_json, tfma.EvalConfig())
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            if metric.class_name == MeanIoU.__name__ and metric.threshold.HasField("value_threshold"):
                return metric.threshold.value_threshold.lower_bound.value
    return None


def read_mean_iou(evaluation_uri: str) -> float:
    """mean IoU of the overall slice from an Evaluator's output directory."""
    result = tfma.load_metrics(evaluation_uri)
    for metrics in result:
        if metrics.slice_key.SerializeToString() == b"":  # the overall slice
            for key_and_value in metrics.metric_keys_and_values:
                if key_and_value.key.name == MEAN_IOU_NAME and not key_and_value.key.HasField("sub_key"):
                    return key_and_value.value.double_value.value
    raise ValueError(f"no {MEAN_IOU_NAME} for the overall slice in {evaluation_uri}")
