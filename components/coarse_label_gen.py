"""CoarseLabelGen: the TFX component that adds synthetic coarse drawings to Examples.

A Beam component (``@component(use_beam=True)``): TFX builds its Beam pipeline from the
pipeline's (or the component's ``with_beam_pipeline_args``) ``beam_pipeline_args``, so
the same component runs on the DirectRunner, Dataflow, Flink or Spark. All logic is
in :mod:`coarseseg_tf.data.synthesis.beam`; this module maps artifacts to paths.

Inputs / parameters / outputs of :class:`CoarseLabelGen`::

    examples              Examples (e.g. from ImportExampleGen), tf.Example payload
    config_json           SynthesisConfig(...).to_json()
    splits                comma-separated splits that get drawings ("" = all); the
                          others are copied through unchanged
    labeled_examples      Examples, same splits, Split-<name>/data_tfrecord-*.gz
    dead_letters          SynthesisDeadLetters: Split-<name>/dead_letters-*.jsonl and
                          Split-<name>/counts.json for each synthesized split

The module must stay importable as ``components.coarse_label_gen`` wherever the
pipeline runs (Kubeflow containers included): the decorator registers the generated
executor class in this module, and compiled pipelines name it by that path. (No
``from __future__ import annotations`` here: TFX reads the annotations as objects.)
"""

import json

import apache_beam as beam
from tfx import v1 as tfx
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2

from coarseseg_tf.data.synthesis import beam as beam_synthesis
from components import SynthesisDeadLetters


def selected_splits(splits: str, available: list[str]) -> list[str]:
    """Parses the ``splits`` parameter ("train,eval"; "" for all) against the input's splits."""
    chosen = [name.strip() for name in splits.split(",") if name.strip()]
    if not chosen:
        return list(available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise ValueError(f"CoarseLabelGen splits={splits!r} names {unknown}, not among the "
                         f"input Examples' splits {available}")
    return chosen


@tfx.dsl.components.component(use_beam=True)
def synthesize_coarse_labels(
        examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
        labeled_examples: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.Examples],
        dead_letters: tfx.dsl.components.OutputArtifact[SynthesisDeadLetters],
        config_json: tfx.dsl.components.Parameter[str],
        splits: tfx.dsl.components.Parameter[str] = "",
        beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None):
    """The executor's body: artifacts to paths, then the Beam job; see :class:`CoarseLabelGen`."""
    config = beam_synthesis.SynthesisConfig.from_json(config_json)
    payload = examples_utils.get_payload_format(examples)
    if payload != example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE:
        raise ValueError(f"CoarseLabelGen reads tf.Examples; the input Examples hold "
                         f"{example_gen_pb2.PayloadFormat.Name(payload)}")
    names = list(examples.splits)
    drawn = selected_splits(splits, names)
    labeled_examples.splits = names
    labeled_examples.span = examples.span
    labeled_examples.version = examples.version
    examples_utils.set_payload_format(labeled_examples, payload)
    examples_utils.set_file_format(labeled_examples, "tfrecords_gzip")
    counts = beam_synthesis.run_synthesis(
        {name: f"{examples.path(split=name)}/*" for name in names},
        {name: labeled_examples.path(split=name) for name in names},
        config, dead_letter_dir=dead_letters.uri,
        copy_splits=[name for name in names if name not in drawn], pipeline=beam_pipeline)
    dead_letters.set_string_custom_property(
        "counts", json.dumps({name: vars(c) for name, c in counts.items()}, sort_keys=True))
    dead_letters.set_int_custom_property("num_bad", sum(c.bad for c in counts.values()))


class CoarseLabelGen(synthesize_coarse_labels):
    """Adds synthetic positive/negative drawings, made from the true masks, to Examples.

    Args:
      examples: channel of Examples (tf.Example payload).
      config_json: ``SynthesisConfig(...).to_json()``; checked here, so a malformed
        config fails when the pipeline is defined, naming the field, not hours later.
      splits: comma-separated splits to draw on ("" = all); the others are copied.

    Outputs ``labeled_examples`` (Examples) and ``dead_letters`` (SynthesisDeadLetters).
    The execution fails, after writing every good example, when a split's fraction of
    bad examples is above the config's ``max_bad_fraction``; see
    :func:`coarseseg_tf.data.synthesis.beam.run_synthesis`.
    """

    def __init__(self, *, examples, config_json, splits: str = "", **kwargs):
        if isinstance(config_json, str):  # a runtime placeholder is checked when it runs
            beam_synthesis.SynthesisConfig.from_json(config_json)
        super().__init__(examples=examples, config_json=config_json, splits=splits, **kwargs)
