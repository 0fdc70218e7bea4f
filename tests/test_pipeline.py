"""The TFX pipeline end to end (real LocalDagRunner, SQLite ML Metadata, Beam, TFMA), and its KFP compile."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TFX_CLI = os.path.join(os.path.dirname(sys.executable), "tfx")
COMPONENTS = ("ImportExampleGen", "CoarseLabelGen", "Trainer", "Evaluator", "Pusher")


def _pipeline_env(tmp_path, **overrides):
    env = dict(os.environ, LOCAL_HOME=str(tmp_path / "tfx_home"), COARSESEG_OUTPUT_DIR=str(tmp_path / "out"),
               COARSESEG_NUM_TRAIN="200", COARSESEG_NUM_EVAL="100", COARSESEG_EPOCHS="6",
               COARSESEG_MIN_MEAN_IOU="0.6", COARSESEG_BEAM_ARGS='["--direct_num_workers=1"]',
               TF_CPP_MIN_LOG_LEVEL="2")
    env.update(overrides)
    return env


def _tfx(args, env):
    done = subprocess.run([TFX_CLI, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"tfx {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done.stdout + done.stderr


def _type_names(executions, component):
    return [state for type_name, states in executions.items() if type_name.endswith(component) for state in states]


@pytest.mark.slow
def test_local_pipeline_through_the_tfx_cli(tmp_path):
    from coarseseg_tf.data.examples import decode_example
    from coarseseg_tf.evaluation.run_summary import latest_run_summary
    from coarseseg_tf.export import segment_image_bytes
    from coarseseg_tf.export.contract import DEFAULT_MODEL_NAME, SERVING_SIGNATURE
    from coarseseg_tf.metrics import mean_iou

    env = _pipeline_env(tmp_path)
    out = tmp_path / "out"
    metadata = out / "metadata" / "coarseseg-mnist" / "metadata.db"
    assert "created successfully" in _tfx(["pipeline", "create", "--engine", "local",
                                           "--pipeline_path", "pipeline/local_runner.py"], env)
    assert not metadata.exists(), "creating a pipeline must not run it"
    log = _tfx(["run", "create", "--engine", "local", "--pipeline_name", "coarseseg-mnist"], env)

    summary = latest_run_summary(str(metadata))
    for component in COMPONENTS:
        assert _type_names(summary.executions, component) == ["COMPLETE"], summary.executions
    assert summary.blessed and summary.pushed, log[-3000:]
    assert summary.min_mean_iou == pytest.approx(0.6)
    # quiet by default: a line per component and the summary, not TFX's thousands of log lines
    lines = log.splitlines()
    assert len(lines) < 50, log
    for index, component in enumerate(COMPONENTS, 1):
        assert sum(line.startswith(f"[{index}/5] {component} ") and " ran " in line for line in lines) == 1, log
    assert f"mIoU on the eval split: {summary.mean_iou:.3f}" in log and "threshold: mIoU >= 0.600" in log
    assert f"pushed model: {summary.pushed_destination}" in log and summary.tensorboard_dir in log

    # the pushed model is where TF Serving looks, and scores what TFMA said it scores
    base = out / "serving_model" / DEFAULT_MODEL_NAME
    versions = sorted(os.listdir(base))
    assert len(versions) == 1 and versions[0].isdigit()
    assert (base / versions[0] / "saved_model.pb").exists()
    assert summary.pushed_destination.rstrip("/").endswith(versions[0])
    records = [decode_example(r.numpy()) for r in
               tf.data.TFRecordDataset(str(out / "data" / "mnist" / "eval" / "data.tfrecord.gz"), "GZIP")]
    from coarseseg_tf.data.examples import encode_png
    model = tf.saved_model.load(str(base / versions[0]))
    masks = segment_image_bytes(model.signatures[SERVING_SIGNATURE], [encode_png(r.image) for r in records])
    truth = np.stack([r.mask for r in records])
    assert mean_iou(truth, np.stack(masks), 2) == pytest.approx(summary.mean_iou, abs=1e-9)
    assert summary.mean_iou > 0.6

    # the Trainer learnt from drawings, not from the masks the drawings were made from
    history = json.load(open(_only(out.glob("pipelines/coarseseg-mnist/Trainer/model_run/*/history.json"))))
    assert history["positive_loss"][-1] > 0 and history["mask_loss"] == [0.0] * len(history["mask_loss"])
    # TensorBoard logs and curves where TFX and the summary say they are
    assert list(out.glob("pipelines/coarseseg-mnist/Trainer/model_run/*/logs/train/events.out.tfevents.*"))
    assert list(out.glob("pipelines/coarseseg-mnist/Trainer/model_run/*/training_curves.png"))

    # rerun with a bar the model cannot reach: upstream outputs come from the cache,
    # the Evaluator does not bless and the Pusher pushes nothing
    strict = _pipeline_env(tmp_path, COARSESEG_MIN_MEAN_IOU="0.999")
    log = _tfx(["run", "create", "--engine", "local", "--pipeline_name", "coarseseg-mnist"], strict)
    summary = latest_run_summary(str(metadata))
    for component in ("ImportExampleGen", "CoarseLabelGen", "Trainer"):
        assert _type_names(summary.executions, component) == ["COMPLETE", "CACHED"], summary.executions
        assert f"{component} " in log and [r.state for r in summary.components if r.component == component] \
            == ["CACHED"]
    assert "blessed: no (threshold: mIoU >= 0.999)" in log and len(log.splitlines()) < 50, log
    assert summary.blessed is False and summary.pushed is False
    assert sorted(os.listdir(base)) == versions


def _only(paths):
    paths = list(paths)
    assert len(paths) == 1, paths
    return paths[0]


def test_create_pipeline_names_a_malformed_setting(tmp_path):
    sys.path.insert(0, REPO_ROOT)
    from pipeline import configs
    from pipeline.pipeline import create_pipeline
    settings = dict(pipeline_name="p", pipeline_root=str(tmp_path), data_root=str(tmp_path),
                    training=configs.TRAINING, synthesis=configs.SYNTHESIS, min_mean_iou=0.5,
                    serving_model_dir=str(tmp_path / "serving"))
    with pytest.raises(ValueError, match="min_mean_iou"):
        create_pipeline(**{**settings, "min_mean_iou": 85})
    # a percentage in the environment is refused by name, before any pipeline is built
    done = subprocess.run([sys.executable, "-c", "import pipeline.configs"], cwd=REPO_ROOT, capture_output=True,
                          text=True, env=dict(os.environ, COARSESEG_MIN_MEAN_IOU="85"), timeout=120)
    assert done.returncode != 0 and "COARSESEG_MIN_MEAN_IOU='85'" in done.stderr and "[0, 1]" in done.stderr
    with pytest.raises(ValueError, match="'training'"):
        create_pipeline(**{**settings, "training": {"epochs": 3}})
    with pytest.raises(ValueError, match="'data_root'"):
        create_pipeline(**{**settings, "data_root": ""})
    assert len(create_pipeline(**settings).components) == 5


def test_kubeflow_v2_pipeline_compiles_and_loads(tmp_path):
    env = dict(os.environ, COARSESEG_IMAGE="example.org/coarseseg:test", TF_CPP_MIN_LOG_LEVEL="2")
    output = tmp_path / "coarseseg_pipeline.yaml"
    code = ("import sys; sys.path.insert(0, 'pipeline'); import kubeflow_v2_runner as r; "
            f"r.compile_pipeline(output_file={str(output)!r}, image='example.org/coarseseg:test', "
            "pipeline_root='gs://example-bucket/root')")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]

    import yaml
    spec = yaml.safe_load(output.read_text())
    assert spec["pipelineInfo"]["name"] == "coarseseg-mnist"
    assert spec["defaultPipelineRoot"] == "gs://example-bucket/root"  # a run submitted without a root lands there
    assert set(COMPONENTS) <= set(spec["root"]["dag"]["tasks"])
    executors = spec["deploymentSpec"]["executors"]
    assert {e["container"]["image"] for e in executors.values()} == {"example.org/coarseseg:test"}
    # our component's executor is found by its import path inside the image
    arguments = executors["CoarseLabelGen_executor"]["container"]["args"]
    executor_class = arguments[arguments.index("--executor_class_path") + 1]
    assert executor_class.startswith("components.coarse_label_gen."), executor_class

    from kfp import components
    assert components.load_component_from_file(str(output)).name == "coarseseg-mnist"

