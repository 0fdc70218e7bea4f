"""Coarse-label synthesis as a Beam job, and the CoarseLabelGen TFX component.

Outputs are compared as sorted lists of serialized records per split: Beam chooses
how records are spread over shards and in which order, never their bytes.
"""
import dataclasses
import glob
import json
import os

import numpy as np
import pytest

from coarseseg_tf.data.synthesis import beam as bs
from coarseseg_tf.data import examples
from coarseseg_tf.data.synthesis.draw import key_rng
from coarseseg_tf.data.synthesis.morpho import DrawingRecipe
from coarseseg_tf.data.synthesis.styles import STYLES, RecipeStyle, get_style

ONE_WORKER = ["--direct_num_workers=1", "--direct_running_mode=in_memory"]
TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
CONFIG = bs.SynthesisConfig(style=RecipeStyle(DrawingRecipe(), DrawingRecipe(num_fractures=4)),
                            seed=7, max_bad_fraction=0.1)


# ---------------------------------------------------------------- inputs

def good(digits, i, prefix="train"):
    return examples.make_example(digits.images[i], digits.masks[i], key=f"{prefix}-{i:03d}").SerializeToString()


def corrupt_png(digits, key):
    example = examples.make_example(digits.images[0], digits.masks[0], key=key)
    example.features.feature[examples.IMAGE_KEY].bytes_list.value[:] = [b"\x89PNG\r\n\x1a\n truncated"]
    return example.SerializeToString()


def mask_of_other_size(digits, key):
    example = examples.make_example(digits.images[1], digits.masks[1], key=key)
    example.features.feature[examples.MASK_KEY].bytes_list.value[:] = [
        examples.encode_png(np.zeros((14, 14), np.uint8))]
    return example.SerializeToString()


def user_drawn(digits, key):
    """Drawings from a person and no true mask: nothing to synthesize from."""
    drawn = np.where(digits.masks[2] == 1, 1, 255).astype(np.uint8)
    return examples.make_example(digits.images[2], positive=drawn, key=key).SerializeToString()


def write_split(directory, records):
    os.makedirs(directory, exist_ok=True)
    examples.write_tfrecord(os.path.join(directory, "data.tfrecord.gz"), records)
    return os.path.join(directory, "*")


def read_split(directory):
    import tensorflow as tf
    files = sorted(glob.glob(os.path.join(directory, f"{bs.EXAMPLES_PREFIX}-*.gz")))
    assert files, f"no output in {directory}"
    return sorted(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())


def without_drawings(serialized):
    import tensorflow as tf
    example = tf.train.Example.FromString(serialized)
    for key in (examples.POSITIVE_KEY, examples.NEGATIVE_KEY):
        if key in example.features.feature:
            del example.features.feature[key]
    return example.SerializeToString(deterministic=True)


def key_of(serialized):
    """The example's key, read without decoding its images (some are corrupt)."""
    import tensorflow as tf
    return tf.train.Example.FromString(serialized).features.feature[examples.FILENAME_KEY].bytes_list.value[0].decode()


def assert_drawn_from_key(serialized, config, original):
    """The record carries exactly the drawings the key-seeded generator makes, and
    every other feature of the input."""
    record = examples.decode_example(serialized)
    expected = get_style(config.style).draw(record.mask, key_rng(record.key, config.seed), config.num_classes)
    np.testing.assert_array_equal(record.positive, expected.positive)
    np.testing.assert_array_equal(record.negative, expected.negative)
    assert without_drawings(serialized) == without_drawings(original)


def run(tmp_path, splits, config=CONFIG, args=ONE_WORKER, name="run", copy_splits=()):
    inputs = {split: write_split(str(tmp_path / "in" / split), records) for split, records in splits.items()}
    outputs = {split: str(tmp_path / name / split) for split in splits}
    dead = str(tmp_path / name / "dead")
    counts = bs.run_synthesis(inputs, outputs, config, args, dead_letter_dir=dead, copy_splits=copy_splits)
    return counts, outputs, dead


# ---------------------------------------------------------------- config

def test_config_json_round_trip():
    style = RecipeStyle(DrawingRecipe(perturbations=("thin", "swell"), ratio=0.3), None, "thin strokes")
    config = bs.SynthesisConfig(style=style, num_classes=3, seed=11, max_bad_fraction=0.2, overwrite=True)
    assert bs.SynthesisConfig.from_json(config.to_json()) == config
    assert json.loads(config.to_json())["style"]["negative"] is None
    named = bs.SynthesisConfig(style="morpho")
    assert json.loads(named.to_json())["style"] == "morpho"
    assert bs.SynthesisConfig.from_json(named.to_json()) == named == bs.SynthesisConfig()


def test_brush_styles_travel_by_name():
    config = bs.SynthesisConfig(style="loose_fill", seed=2)
    assert json.loads(config.to_json())["style"] == "loose_fill"
    assert bs.SynthesisConfig.from_json(config.to_json()) == config
    with pytest.raises(bs.ConfigError, match="BrushStyle is given by its name"):
        bs.SynthesisConfig(style=STYLES["loose_fill"])


def test_config_written_before_styles_is_read_as_its_recipes():
    value = json.loads(bs.SynthesisConfig(seed=5).to_json())
    del value["style"]
    value["positive"], value["negative"] = {"ratio": 0.5}, None
    config = bs.SynthesisConfig.from_json(json.dumps(value))
    assert config == bs.SynthesisConfig(style=RecipeStyle(DrawingRecipe(ratio=0.5), None), seed=5)
    morpho = STYLES["morpho"]
    value["positive"], value["negative"] = (json.loads(json.dumps(dataclasses.asdict(recipe)))
                                            for recipe in (morpho.positive, morpho.negative))
    assert bs.SynthesisConfig.from_json(json.dumps(value)).style == morpho


def _config_with(**changes):
    value = json.loads(CONFIG.to_json())
    for path, new in changes.items():
        *parents, leaf = path.split("__")
        target = value
        for parent in parents:
            target = target[parent]
        if new is KeyError:
            del target[leaf]
        else:
            target[leaf] = new
    return json.dumps(value)


@pytest.mark.parametrize("text, field", [
    ("", "missing"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    (_config_with(seed=KeyError), "'seed'"),
    (_config_with(sede=3), "'sede'"),
    (_config_with(seed=True), "'seed'"),
    (_config_with(seed=-1), "'seed'"),
    (_config_with(num_classes="2"), "'num_classes'"),
    (_config_with(max_bad_fraction=1.5), "'max_bad_fraction'"),
    (_config_with(overwrite="yes"), "'overwrite'"),
    (_config_with(style="scribblez"), "'style': unknown drawing style 'scribblez'"),
    (_config_with(style=3), "'style'"),
    (_config_with(style__negative=KeyError), "'style': field(s) ['negative'] missing"),
    (_config_with(style__colour=3), "'style': unknown field(s) ['colour']"),
    (_config_with(style__description=3), "'style.description'"),
    (_config_with(style__positive=None, style__negative=None), "'style': positive and negative are both None"),
    (_config_with(style__positive=[1]), "'style.positive'"),
    (_config_with(style__positive__ratio=2.0), "'style.positive': ratio"),
    (_config_with(style__negative__num_fractures=2.5), "'style.negative.num_fractures'"),
    (_config_with(style__positive__thicken_amount=[0.5]), "'style.positive.thicken_amount'"),
    (_config_with(style__positive__perturbations=["melt"]), "'style.positive': unknown perturbation"),
    (_config_with(style__negative__colour=3), "'style.negative': unknown field(s) ['colour']"),
])
def test_malformed_config_names_the_field(text, field):
    with pytest.raises(bs.ConfigError) as error:
        bs.SynthesisConfig.from_json(text)
    assert field in str(error.value)


def test_recipe_fields_may_be_left_out():
    text = _config_with(style={"positive": {"ratio": 0.5}, "negative": None})
    assert bs.SynthesisConfig.from_json(text).style == RecipeStyle(DrawingRecipe(ratio=0.5), None)


# ---------------------------------------------------------------- one example

def test_outcome_of_each_kind_of_example(digits):
    original = good(digits, 0)
    outcome = bs.synthesize_example(original, CONFIG)
    assert (outcome.kind, outcome.key) == (bs.GOOD, "train-000")
    assert_drawn_from_key(outcome.record, CONFIG, original)

    drawn = user_drawn(digits, "by-hand")
    assert bs.synthesize_example(drawn, CONFIG) == bs.Outcome(bs.PASSED_THROUGH, "by-hand", record=drawn)
    # a mask and drawings: kept unless overwriting
    both = outcome.record
    assert bs.synthesize_example(both, CONFIG).record == both
    overwritten = bs.synthesize_example(both, bs.SynthesisConfig(seed=3, overwrite=True))
    assert overwritten.kind == bs.GOOD and overwritten.record != both

    png = bs.synthesize_example(corrupt_png(digits, "broken"), CONFIG)
    assert (png.kind, png.key) == (bs.BAD, "broken") and examples.IMAGE_KEY in png.reason
    size = bs.synthesize_example(mask_of_other_size(digits, "small-mask"), CONFIG)
    assert size.kind == bs.BAD and "sizes must match" in size.reason and examples.MASK_KEY in size.reason
    labels = examples.make_example(digits.images[3], np.where(digits.masks[3] == 1, 5, 0), key="five")
    wrong = bs.synthesize_example(labels.SerializeToString(), CONFIG)
    assert wrong.kind == bs.BAD and "label 5" in wrong.reason and wrong.reason.startswith("five:")
    unlabelled = bs.synthesize_example(examples.make_example(digits.images[4], key="bare").SerializeToString(), CONFIG)
    assert unlabelled.kind == bs.BAD and "neither a true mask" in unlabelled.reason
    junk = bs.synthesize_example(b"\xff\xff\xff\xff", CONFIG)
    assert junk.kind == bs.BAD and junk.key.startswith("record sha256:")
    unlabelled_mask = examples.make_example(digits.images[5], np.full((28, 28), 255, np.uint8), key="all-255")
    empty = bs.synthesize_example(unlabelled_mask.SerializeToString(), CONFIG)
    assert empty.kind == bs.BAD and empty.reason.startswith("all-255: the drawings came out empty")


# ---------------------------------------------------------------- Beam

@pytest.mark.slow  # 20-40 s: each worker process starts its own Python and TensorFlow
def test_two_worker_processes_write_the_same_records_as_one(tmp_path, digits):
    train = [good(digits, i) for i in range(30)]
    bad = {"broken-png": corrupt_png(digits, "broken-png"), "mask-14x14": mask_of_other_size(digits, "mask-14x14")}
    hand = user_drawn(digits, "by-hand")
    splits = {"train": train + list(bad.values()) + [hand], "eval": [good(digits, i, "eval") for i in range(30, 38)]}

    counts, outputs, dead = run(tmp_path, splits, args=ONE_WORKER, name="one")
    counts2, outputs2, dead2 = run(tmp_path, splits, args=TWO_PROCESSES, name="two")

    assert counts == counts2 == {"train": bs.SplitCounts(good=30, bad=2, passed_through=1),
                                 "eval": bs.SplitCounts(good=8)}
    for split in splits:
        records = read_split(outputs[split])
        assert records == read_split(outputs2[split])
        assert bs.read_dead_letters(dead, split) == bs.read_dead_letters(dead2, split)
    # the two processes really shared the work: each wrote its own shard
    assert len(glob.glob(os.path.join(outputs2["train"], "*.gz"))) == 2

    records = read_split(outputs["train"])
    assert hand in records and len(records) == 31
    originals = {key_of(r): r for r in train}
    for record in records:
        if record != hand:
            assert_drawn_from_key(record, CONFIG, originals[key_of(record)])
    letters = bs.read_dead_letters(dead, "train")
    assert [letter["key"] for letter in letters] == sorted(bad)
    assert all(letter["split"] == "train" and letter["reason"].startswith(letter["key"]) for letter in letters)


def test_above_the_bad_fraction_the_run_fails_after_writing_the_good_examples(tmp_path, digits):
    train = [good(digits, i) for i in range(6)]
    splits = {"train": train + [corrupt_png(digits, "broken-png"), mask_of_other_size(digits, "mask-14x14")],
              "eval": [good(digits, i, "eval") for i in range(6, 9)]}
    with pytest.raises(bs.TooManyBadExamplesError) as error:
        run(tmp_path, splits, copy_splits=["eval"])
    message = str(error.value)
    for part in ("'train'", "2 of 8", "25.00%", "10.00%", "broken-png", "mask-14x14"):
        assert part in message
    assert sorted(without_drawings(r) for r in read_split(str(tmp_path / "run" / "train"))) == \
        sorted(without_drawings(r) for r in train)
    # a copied split is written unchanged and is not checked
    assert read_split(str(tmp_path / "run" / "eval")) == sorted(splits["eval"])
    assert not os.path.exists(tmp_path / "run" / "dead" / "Split-eval")


def test_a_run_draws_a_style_given_by_name(tmp_path, digits):
    config = bs.SynthesisConfig(style="boundary_negatives", seed=3)
    train = [good(digits, i) for i in range(3)]
    counts, outputs, _ = run(tmp_path, {"train": train}, config=config)
    assert counts == {"train": bs.SplitCounts(good=3)}
    originals = {key_of(r): r for r in train}
    for record in read_split(outputs["train"]):
        assert_drawn_from_key(record, config, originals[key_of(record)])


def test_a_truncated_input_shard_is_a_dead_letter_named_by_its_file(tmp_path, digits):
    whole = os.path.join(write_split(str(tmp_path / "whole"), [good(digits, i) for i in range(3)])[:-1],
                         "data.tfrecord.gz")
    with open(whole, "rb") as f:
        data = f.read()
    truncated = tmp_path / "in" / "train" / "part-2.tfrecord.gz"
    os.makedirs(truncated.parent)
    truncated.write_bytes(data[: len(data) // 2])
    examples.write_tfrecord(str(tmp_path / "in" / "train" / "part-1.tfrecord.gz"), [good(digits, 5)])
    with pytest.raises(bs.CorruptShardError, match=r"part-2.tfrecord.gz: corrupt or truncated TFRecord file"):
        list(bs.read_shard(str(truncated)))

    config = dataclasses.replace(CONFIG, max_bad_fraction=1.0)
    counts = bs.run_synthesis({"train": str(tmp_path / "in" / "train" / "*")}, {"train": str(tmp_path / "out")},
                              config, ONE_WORKER, dead_letter_dir=str(tmp_path / "dead"))
    assert counts["train"].bad == 1 and counts["train"].good >= 1
    [letter] = bs.read_dead_letters(str(tmp_path / "dead"), "train")
    assert letter["key"] == str(truncated) and "\\x" not in letter["reason"]
    assert letter["reason"].startswith(f"{truncated}: corrupt or truncated TFRecord file")


def test_an_output_directory_with_earlier_shards_is_refused(tmp_path, digits):
    splits = {"train": [good(digits, 0)]}
    run(tmp_path, splits)
    with pytest.raises(FileExistsError, match="'train'"):
        run(tmp_path, splits)


def test_beam_counters(tmp_path, digits):
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    records = [good(digits, 0), good(digits, 1), corrupt_png(digits, "broken"), user_drawn(digits, "hand")]
    pattern = write_split(str(tmp_path / "in"), records)
    pipeline = beam.Pipeline(argv=ONE_WORKER)
    _ = pipeline | bs.SynthesizeSplit(pattern, str(tmp_path / "out"), str(tmp_path / "dead"), CONFIG, "train")
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed
                for c in result.metrics().query(MetricsFilter().with_namespace(bs.COUNTER_NAMESPACE))["counters"]}
    assert counters == {"good": 2, "bad": 1, "passed_through": 1}


# ---------------------------------------------------------------- TFX component

def _pipeline(root, data, config_json, beam_pipeline_args=()):
    from tfx import v1 as tfx

    from components.coarse_label_gen import CoarseLabelGen
    example_gen = tfx.components.ImportExampleGen(
        input_base=data, input_config=tfx.proto.Input(splits=[
            tfx.proto.Input.Split(name="train", pattern="train/*"),
            tfx.proto.Input.Split(name="eval", pattern="eval/*")]))
    coarse = CoarseLabelGen(examples=example_gen.outputs["examples"], config_json=config_json, splits="train")
    return tfx.dsl.Pipeline(
        pipeline_name="coarse-label-gen-test", pipeline_root=os.path.join(root, "pipeline"),
        components=[example_gen, coarse], enable_cache=False,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            os.path.join(root, "metadata.sqlite")),
        beam_pipeline_args=list(beam_pipeline_args))


def _latest(store, type_name):
    artifacts = store.get_artifacts_by_type(type_name)
    assert len(artifacts) == 1, f"expected one {type_name}, got {len(artifacts)}"
    return artifacts[0]


@pytest.mark.slow  # 20-40 s: two Beam jobs under a real TFX runner
def test_component_in_a_local_tfx_pipeline(tmp_path, digits):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2
    from tfx import v1 as tfx

    from coarseseg_tf.data.datasets.converters import convert_mnist
    from components import SynthesisDeadLetters

    data = str(tmp_path / "data")
    convert_mnist(data, num_train=24, num_eval=6)
    examples.write_tfrecord(os.path.join(data, "train", "broken.tfrecord.gz"), [corrupt_png(digits, "broken-png")])
    config = bs.SynthesisConfig(seed=5, max_bad_fraction=0.1)
    # two worker threads: CoarseLabelGen's Beam job must run with the pipeline's arguments
    tfx.orchestration.LocalDagRunner().run(_pipeline(
        str(tmp_path), data, config.to_json(),
        ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]))

    store = metadata_store.MetadataStore(tfx.orchestration.metadata.sqlite_metadata_connection_config(
        str(tmp_path / "metadata.sqlite")))
    states = {store.get_execution_types_by_id([e.type_id])[0].name.rsplit(".", 1)[-1]: e.last_known_state
              for e in store.get_executions()}
    assert states["CoarseLabelGen"] == metadata_store_pb2.Execution.COMPLETE, states
    labeled = [a for a in store.get_artifacts_by_type("Examples") if "CoarseLabelGen" in a.uri]
    assert len(labeled) == 1
    labeled = labeled[0]
    assert json.loads(labeled.properties["split_names"].string_value) == ["train", "eval"]
    assert labeled.custom_properties["file_format"].string_value == "tfrecords_gzip"
    dead = _latest(store, SynthesisDeadLetters.TYPE_NAME)
    assert dead.custom_properties["num_bad"].int_value == 1
    assert json.loads(dead.custom_properties["counts"].string_value) == {
        "train": {"good": 24, "bad": 1, "passed_through": 0}}
    assert [letter["key"] for letter in bs.read_dead_letters(dead.uri, "train")] == ["broken-png"]
    assert sorted(os.listdir(labeled.uri)) == ["Split-eval", "Split-train"]

    imported = [a for a in store.get_artifacts_by_type("Examples") if "ImportExampleGen" in a.uri][0]
    originals = {key_of(r): r for r in read_split(os.path.join(imported.uri, "Split-train"))}
    train = read_split(os.path.join(labeled.uri, "Split-train"))
    assert len(train) == 24
    for record in train:
        assert_drawn_from_key(record, config, originals[key_of(record)])
    # eval was not in `splits`: copied, byte for byte
    assert read_split(os.path.join(labeled.uri, "Split-eval")) == \
        read_split(os.path.join(imported.uri, "Split-eval"))
    assert len(glob.glob(os.path.join(labeled.uri, "Split-train", "*.gz"))) == 2


def _compile_for_kubeflow_v2(tmp_path, config_json):
    """The pipeline as KubeflowV2DagRunner writes it: the PipelineSpec as a dict."""
    import yaml
    from tfx import v1 as tfx
    output = str(tmp_path / "pipeline.yaml")
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image="coarseseg:test"),
        output_filename=output)
    runner.run(_pipeline(str(tmp_path / "kfp"), str(tmp_path / "data"), config_json), write_out=True)
    with open(output) as f:
        return yaml.safe_load(f)


EXECUTOR = "components.coarse_label_gen.synthesize_coarse_labels_Executor"


def test_component_compiles_for_kubeflow_v2(tmp_path):
    from tfx.utils import import_utils

    from components import SynthesisDeadLetters
    spec = _compile_for_kubeflow_v2(tmp_path, CONFIG.to_json())
    executor = spec["deploymentSpec"]["executors"]["CoarseLabelGen_executor"]["container"]
    assert executor["args"][executor["args"].index("--executor_class_path") + 1] == \
        EXECUTOR
    parameters = spec["root"]["dag"]["tasks"]["CoarseLabelGen"]["inputs"]["parameters"]
    assert bs.SynthesisConfig.from_json(
        parameters["config_json"]["runtimeValue"]["constantValue"]["stringValue"]) == CONFIG
    # the Kubeflow container finds the executor and a custom artifact class by these paths
    assert import_utils.import_class_by_path(EXECUTOR)
    assert import_utils.import_class_by_path(SynthesisDeadLetters.TYPE_NAME) is SynthesisDeadLetters


@pytest.mark.slow  # 20-40 s: a fresh Python with TFX and a Beam job
def test_component_runs_in_the_kubeflow_v2_container_entrypoint(tmp_path, digits):
    """Runs the executor the way a Kubeflow V2 container does: TFX's entrypoint module,
    the compiled executor path and types, an ExecutorInput as KFP fills it in."""
    import subprocess
    import sys
    spec = _compile_for_kubeflow_v2(tmp_path, CONFIG.to_json())
    component = spec["components"]["CoarseLabelGen"]
    container = spec["deploymentSpec"]["executors"][component["executorLabel"]]["container"]

    def artifact(name, definitions, uri, **metadata):
        return {"artifacts": [{"name": name, "uri": uri, "metadata": metadata,
                               "type": definitions["artifacts"][name]["artifactType"]}]}

    source = tmp_path / "import"
    train = [good(digits, i) for i in range(10)] + [corrupt_png(digits, "broken-png")]  # 1/11 < 10%
    write_split(str(source / "Split-train"), train)
    write_split(str(source / "Split-eval"), [good(digits, 10, "eval")])
    outputs = {"labeled_examples": str(tmp_path / "labeled"), "dead_letters": str(tmp_path / "dead")}
    executor_input = {
        "inputs": {"artifacts": {"examples": artifact(
                       "examples", component["inputDefinitions"], str(source), split_names='["train", "eval"]',
                       payload_format="FORMAT_TF_EXAMPLE", file_format="tfrecords_gzip")},
                   "parameterValues": {"config_json": CONFIG.to_json(), "splits": "train"}},
        "outputs": {"artifacts": {name: artifact(name, component["outputDefinitions"], uri)
                                  for name, uri in outputs.items()},
                    "outputFile": str(tmp_path / "task" / "executor_output.json")}}
    args = [arg for arg in container["args"] if arg != "{{$}}"]
    args.insert(args.index("--json_serialized_invocation_args") + 1, json.dumps(executor_input))
    args += ["--json_serialized_inputs_spec_args", json.dumps(component["inputDefinitions"]),
             "--direct_num_workers=1"]
    assert container["command"][:2] == ["python", "-m"]
    done = subprocess.run([sys.executable, "-m", *container["command"][2:], *args], cwd=os.getcwd(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    assert len(read_split(os.path.join(outputs["labeled_examples"], "Split-train"))) == 10
    assert [letter["key"] for letter in bs.read_dead_letters(outputs["dead_letters"], "train")] == ["broken-png"]
    with open(tmp_path / "task" / "executor_output.json") as f:
        reported = json.load(f)["artifacts"]
    assert reported["labeled_examples"]["artifacts"][0]["metadata"]["split_names"] == '["train", "eval"]'
    assert reported["dead_letters"]["artifacts"][0]["metadata"]["num_bad"] == 1


def test_component_checks_its_config_when_the_pipeline_is_defined():
    from tfx import v1 as tfx

    from components.coarse_label_gen import CoarseLabelGen
    examples_channel = tfx.dsl.Channel(type=tfx.types.standard_artifacts.Examples)
    with pytest.raises(bs.ConfigError, match="'style.positive.ratio'"):
        CoarseLabelGen(examples=examples_channel, config_json=_config_with(style__positive__ratio="all"))
    component = CoarseLabelGen(examples=examples_channel, config_json=CONFIG.to_json())
    assert set(component.outputs) == {"labeled_examples", "dead_letters"}


def test_unknown_split_parameter_is_named():
    from components.coarse_label_gen import selected_splits
    assert selected_splits("", ["train", "eval"]) == ["train", "eval"]
    assert selected_splits(" eval ", ["train", "eval"]) == ["eval"]
    with pytest.raises(ValueError, match=r"\['test'\]"):
        selected_splits("train,test", ["train", "eval"])
