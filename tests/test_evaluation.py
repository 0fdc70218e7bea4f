"""The TFMA MeanIoU metric, run by real TFMA over a real exported SavedModel."""
import numpy as np
import pytest
import tensorflow as tf

from coarseseg_tf.data.datasets.converters import convert_mnist
from coarseseg_tf.data.examples import decode_example, encode_png
from coarseseg_tf.evaluation.config import make_eval_config, read_mean_iou, read_min_mean_iou
from coarseseg_tf.export import export_saved_model, segment_image_bytes
from coarseseg_tf.export.contract import SERVING_SIGNATURE
from coarseseg_tf.metrics import iou_from_confusion, confusion_matrix


@pytest.fixture(scope="module")
def exported(tmp_path_factory, digits):
    from coarseseg_tf import fit
    from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
    root = tmp_path_factory.mktemp("evaluation")
    train, _ = make_coarse_mnist(num_train=48, num_test=10, seed=4, digits=digits)
    model = fit(train.images, train.positive, train.negative, epochs=3, width=8, verbose=0).model
    paths = convert_mnist(str(root / "records"), num_train=1, num_eval=40, seed=5)
    return export_saved_model(model, str(root / "model")), paths["eval"]


def _run_tfma(model_dir, data, output, min_mean_iou):
    import tensorflow_model_analysis as tfma
    config = make_eval_config(2, min_mean_iou)
    shared = tfma.default_eval_shared_model(eval_saved_model_path=model_dir, eval_config=config)
    tfma.run_model_analysis(eval_shared_model=shared, eval_config=config, data_location=data,
                            output_path=output, file_format="tfrecords")
    return tfma.load_validation_result(output).validation_ok


def test_tfma_mean_iou_equals_the_library_on_the_same_predictions(exported, tmp_path):
    model_dir, data = exported
    records = [decode_example(r.numpy()) for r in tf.data.TFRecordDataset(data, "GZIP")]
    model = tf.saved_model.load(model_dir)
    predicted = segment_image_bytes(model.signatures[SERVING_SIGNATURE], [encode_png(r.image) for r in records])
    matrix = sum(confusion_matrix(r.mask, p, 2) for r, p in zip(records, predicted))
    per_class, expected = iou_from_confusion(matrix)
    assert 0.3 < expected < 1.0  # a partly trained model: neither trivial nor perfect

    blessed = _run_tfma(model_dir, data, str(tmp_path / "pass"), min_mean_iou=expected - 0.01)
    assert read_mean_iou(str(tmp_path / "pass")) == pytest.approx(expected, abs=1e-12)
    assert blessed
    assert not _run_tfma(model_dir, data, str(tmp_path / "fail"), min_mean_iou=expected + 0.01)


def test_eval_config_names_a_malformed_threshold():
    with pytest.raises(ValueError, match="min_mean_iou"):
        make_eval_config(2, 85)
    with pytest.raises(ValueError, match="min_mean_iou"):
        make_eval_config(2, "0.8")


def test_the_threshold_reads_back_from_the_json_the_evaluator_records():
    from google.protobuf import json_format
    recorded = json_format.MessageToJson(make_eval_config(2, 0.7), preserving_proto_field_name=True)
    assert read_min_mean_iou(recorded) == pytest.approx(0.7)
    assert make_eval_config(2, 0.7).model_specs[0].model_type == "tf_generic"  # no tf.keras load attempt


def test_combiner_merges_partial_confusion_matrices():
    """Beam may split the data over workers: merged accumulators equal one pass."""
    from tensorflow_model_analysis.metrics import metric_types
    from coarseseg_tf.evaluation.tfma_metric import MeanIoU, _ConfusionMatrixCombiner
    rng = np.random.default_rng(0)
    pairs = [(rng.integers(0, 3, (5, 6)), rng.integers(0, 3, (5, 6))) for _ in range(6)]
    pairs[0][0][0, 0] = 255  # ignored pixel
    combiner = _ConfusionMatrixCombiner(metric_types.MetricKey("mean_iou"), 3, True)

    def accumulate(items):
        acc = combiner.create_accumulator()
        for truth, prediction in items:
            acc = combiner.add_input(acc, metric_types.StandardMetricInputs(labels=truth, predictions=prediction))
        return acc
    merged = combiner.merge_accumulators([accumulate(pairs[:2]), accumulate(pairs[2:])])
    output = combiner.extract_output(merged)
    truth = np.stack([t for t, _ in pairs])
    prediction = np.stack([p for _, p in pairs])
    from coarseseg_tf.metrics import mean_iou
    assert output[metric_types.MetricKey("mean_iou")] == pytest.approx(mean_iou(truth, prediction, 3))
    assert len(output) == 4  # the mean and three per-class IoUs
    with pytest.raises(ValueError, match="one size"):
        combiner.add_input(combiner.create_accumulator(),
                           metric_types.StandardMetricInputs(labels=pairs[0][0], predictions=pairs[0][1][:4]))
