import numpy as np
import pytest

from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.metrics import (confusion_matrix, iou_from_confusion,
                                  make_keras_mean_iou, mean_iou)


def test_confusion_matrix_counts_and_skips_ignore():
    y_true = np.array([[0, 0, 1, IGNORE_LABEL]])
    y_pred = np.array([[0, 1, 1, 0]])
    cm = confusion_matrix(y_true, y_pred, 2)
    np.testing.assert_array_equal(cm, [[1, 1], [0, 1]])


def test_iou_matches_hand_computation():
    cm = np.array([[8, 2], [1, 4]])
    per_class, miou = iou_from_confusion(cm)
    np.testing.assert_allclose(per_class, [8 / 11, 4 / 7])
    assert miou == pytest.approx((8 / 11 + 4 / 7) / 2)
    _, fg_only = iou_from_confusion(cm, include_background=False)
    assert fg_only == pytest.approx(4 / 7)


def test_iou_is_not_dice():
    # a half-overlapping prediction: IoU 1/3, Dice 1/2
    y_true = np.array([1, 1, 0, 0])
    y_pred = np.array([0, 1, 1, 0])
    per_class, _ = iou_from_confusion(confusion_matrix(y_true, y_pred, 2))
    assert per_class[1] == pytest.approx(1 / 3)


def test_absent_class_left_out_of_mean():
    per_class, miou = iou_from_confusion(confusion_matrix([0, 0], [0, 0], 3))
    assert np.isnan(per_class[1]) and np.isnan(per_class[2])
    assert miou == 1.0


def test_label_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="label 7"):
        confusion_matrix([7], [0], 2)


def test_keras_metric_equals_numpy(rng):
    y_true = rng.integers(0, 3, (4, 9, 7))
    y_true[0, :2] = IGNORE_LABEL
    logits = rng.normal(size=(4, 9, 7, 3)).astype("float32")
    metric = make_keras_mean_iou(3)
    metric.update_state(y_true[:2], logits[:2])
    metric.update_state(y_true[2:], logits[2:])
    expected = mean_iou(y_true, logits.argmax(-1), 3)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0
