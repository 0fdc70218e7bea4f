"""``MeanIoU``: a TensorFlow Model Analysis metric computing mIoU over whole datasets.

TFMA runs the model's ``serving_examples`` signature on each evaluation tf.Example.
TFMA's own image-decoding preprocessor decodes the true mask (a feature of the
Example, ``image/segmentation/class/encoded``) and the predicted mask (the model's
``mask_png_bytes`` output), so both arrive as (H, W) class-id arrays at the image's
own size. A Beam CombineFn sums their (L, L) confusion matrix over all examples (and
over workers, by merging accumulators); the mIoU comes from that one matrix with the
same arithmetic as :func:`coarseseg_tf.metrics.iou_from_confusion`, so the pipeline's
number and the library's number agree.

Output metric keys: ``mean_iou`` (the one the blessing threshold reads) and
``class_iou`` with ``sub_key.class_id`` = c for each class present.
"""
from __future__ import annotations

import math

import apache_beam as beam
import numpy as np
from tensorflow_model_analysis.metrics import metric_types, metric_util
from tensorflow_model_analysis.metrics.preprocessors import image_preprocessors

from coarseseg_tf.data.examples import MASK_KEY
from coarseseg_tf.export.contract import MASK_PNG_OUTPUT
from coarseseg_tf.metrics import confusion_matrix, iou_from_confusion

MEAN_IOU_NAME = "mean_iou"
CLASS_IOU_NAME = "class_iou"


class MeanIoU(metric_types.Metric):
    """Mean IoU over all pixels of the evaluation set (255 in the true mask is skipped).

    Args:
      num_classes: L.
      ground_truth_key: feature holding the encoded true mask.
      prediction_key: model output holding the encoded predicted mask.
      include_background: count class 0 in the mean (the default, as in the paper).
    """

    def __init__(self, num_classes: int = 2, ground_truth_key: str = MASK_KEY,
                 prediction_key: str = MASK_PNG_OUTPUT, include_background: bool = True,
                 name: str = MEAN_IOU_NAME):
        if int(num_classes) != num_classes or num_classes < 2:
            raise ValueError(f"MeanIoU: num_classes must be an integer >= 2, got {num_classes}")
        super().__init__(metric_util.merge_per_key_computations(_mean_iou_computations),
                         name=name, num_classes=int(num_classes), ground_truth_key=ground_truth_key,
                         prediction_key=prediction_key, include_background=include_background)


def _mean_iou_computations(num_classes, ground_truth_key, prediction_key, include_background,
                           name=MEAN_IOU_NAME, model_name="", output_name="",
                           example_weighted=False, **unused):
    preprocessor = image_preprocessors.DecodeImagePreprocessor(
        ground_truth_key=ground_truth_key, prediction_key=prediction_key,
        decode_ground_truth=True, decode_prediction=True, model_name=model_name)
    # the decoded images are whole-model outputs: output_name and sub_key stay unset
    key = metric_types.MetricKey(name=name, model_name=model_name, example_weighted=example_weighted)
    return [metric_types.MetricComputation(
        keys=[key], preprocessors=[preprocessor],
        combiner=_ConfusionMatrixCombiner(key, num_classes, include_background))]


class _ConfusionMatrixCombiner(beam.CombineFn):
    """Accumulates the (L, L) pixel confusion matrix; outputs mean and per-class IoU."""

    def __init__(self, key: metric_types.MetricKey, num_classes: int, include_background: bool):
        self._key = key
        self._num_classes = num_classes
        self._include_background = include_background

    def create_accumulator(self) -> np.ndarray:
        return np.zeros((self._num_classes, self._num_classes), np.int64)

    def add_input(self, accumulator: np.ndarray, element: metric_types.StandardMetricInputs):
        truth, prediction = np.asarray(element.get_labels()), np.asarray(element.get_predictions())
        if truth.ndim != 2 or truth.shape != prediction.shape:
            raise ValueError(f"MeanIoU needs a single-channel true mask and prediction of one size; "
                             f"got true {truth.shape}, predicted {prediction.shape}")
        return accumulator + confusion_matrix(truth, prediction, self._num_classes)

    def merge_accumulators(self, accumulators):
        return sum(accumulators, self.create_accumulator())

    def extract_output(self, accumulator: np.ndarray):
        per_class, mean = iou_from_confusion(accumulator, self._include_background)
        result = {self._key: mean}
        for class_id, iou in enumerate(per_class):
            if not math.isnan(iou):
                sub_key = metric_types.SubKey(class_id=class_id)
                result[self._key._replace(name=CLASS_IOU_NAME, sub_key=sub_key)] = float(iou)
        return result


metric_types.register_metric(MeanIoU)
