"""Coarse-label synthesis as an Apache Beam job: tf.Examples with true masks in,
the same Examples with synthetic positive/negative drawings out.

This is the logic behind the pipeline's ``CoarseLabelGen`` component
(``components/coarse_label_gen.py``), usable without TFX through :func:`run_synthesis`.

Determinism. The drawings of an example are
:func:`coarseseg_tf.data.synthesis.draw.draw` ``(mask, key, config.style, ...,
config.seed)``: they depend only on the config and the example's key
(``image/filename``), never on its position in a file or the worker it lands on. So a
rerun, or a run with more workers or another Beam runner, writes the same multiset of
serialized records per split, byte for byte ("identical output" below), given the same
versions of numpy, scipy, scikit-image and Pillow (their arithmetic and PNG encoder
make the bytes). What may differ is how the records are spread over the
output shards and their order inside a shard: Beam decides both.

Examples that already carry drawings (a person's) pass through unchanged unless the
config says ``overwrite``; splits named in ``copy_splits`` get no drawings at all and
are rewritten record for record.

Bad input. An example that cannot be decoded (corrupt PNG, a mask of another size
than its image, not a tf.Example), whose mask holds labels outside
``[0, num_classes)``, or whose drawings come out empty (an all-255 mask: nothing to
learn from) is not fatal: it goes to a dead-letter file as a JSON line
``{"key", "split", "reason"}`` and is counted. So does an input file that is corrupt
or truncated: its records up to the damage are used, and the file counts as one bad
example keyed by its path. In a copied split such a file fails the run, naming it. After every good example is written
the run fails (:class:`TooManyBadExamplesError`) if a split's bad fraction is above
``config.max_bad_fraction``.

Layout written by :func:`run_synthesis`, per split:

- ``<output_dir_by_split[split]>/data_tfrecord-SSSSS-of-NNNNN.gz``: GZIP TFRecords,
  as TFX's ExampleGen writes them;
- ``<dead_letter_dir>/Split-<split>/dead_letters-SSSSS-of-NNNNN.jsonl``;
- ``<dead_letter_dir>/Split-<split>/counts.json``: ``{"good": .., "bad": ..,
  "passed_through": ..}`` (absent keys are zero).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Mapping, Sequence

import apache_beam as beam

from coarseseg_tf.data import examples
from coarseseg_tf.labels import IGNORE_LABEL
from coarseseg_tf.data.synthesis.draw import draw
from coarseseg_tf.data.synthesis.morpho import DrawingRecipe
from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES, DrawingStyle, RecipeStyle, get_style

GOOD, BAD, PASSED_THROUGH = "good", "bad", "passed_through"
OUTCOMES = (GOOD, BAD, PASSED_THROUGH)
COUNTER_NAMESPACE = "coarse_label_synthesis"
EXAMPLES_PREFIX = "data_tfrecord"  # TFX ExampleGen's file names: data_tfrecord-*.gz
DEAD_LETTERS_PREFIX = "dead_letters"
COUNTS_FILE = "counts.json"


# ---------------------------------------------------------------- config

class ConfigError(ValueError):
    """A synthesis config that is missing, malformed or out of range; names the field."""


def _check_number(field: str, value, integer: bool = False):
    # bool is an int in Python, but `"seed": true` is a mistake, not a seed
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"config field {field!r} must be {'an integer' if integer else 'a number'}, "
                          f"got {value!r}")
    return value


def _check_keys(where: str, value: dict, known: Sequence[str], required: Sequence[str] = ()):
    """Raises ConfigError when ``value`` lacks a required key or has one not in ``known``."""
    missing = [n for n in required if n not in value]
    if missing:
        raise ConfigError(f"{where}: field(s) {missing} missing; it has {list(known)}")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; it has {list(known)}")


def _recipe_from_dict(field: str, value) -> DrawingRecipe | None:
    """A JSON object of DrawingRecipe fields (missing ones take their defaults), or null."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"config field {field!r} must be an object of DrawingRecipe fields or null, "
                          f"got {value!r}")
    defaults = {f.name: f.default for f in dataclasses.fields(DrawingRecipe)}
    _check_keys(f"config field {field!r}", value, sorted(defaults))
    kwargs = {}
    for name, given in value.items():
        default, path = defaults[name], f"{field}.{name}"
        if isinstance(default, tuple):
            if not isinstance(given, (list, tuple)):
                raise ConfigError(f"config field {path!r} must be a list, got {given!r}")
            if all(isinstance(d, str) for d in default):
                if not all(isinstance(g, str) for g in given):
                    raise ConfigError(f"config field {path!r} must be a list of names, got {given!r}")
            else:  # a (low, high) range
                if len(given) != len(default):
                    raise ConfigError(f"config field {path!r} must have {len(default)} numbers, got {given!r}")
                for g in given:
                    _check_number(path, g)
            kwargs[name] = tuple(given)
        else:
            kwargs[name] = _check_number(path, given, integer=isinstance(default, int))
    try:
        return DrawingRecipe(**kwargs)
    except ValueError as error:  # DrawingRecipe's own range checks
        raise ConfigError(f"config field {field!r}: {error}") from error


def _style_from_json(value) -> str | RecipeStyle:
    """A style name (checked by SynthesisConfig), or an object of RecipeStyle fields."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise ConfigError(f"config field 'style' must be a style name or an object of RecipeStyle "
                          f"fields, got {value!r}")
    _check_keys("config field 'style'", value, [f.name for f in dataclasses.fields(RecipeStyle)],
                required=("positive", "negative"))
    recipes = {name: _recipe_from_dict(f"style.{name}", value[name]) for name in ("positive", "negative")}
    description = value.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"config field 'style.description' must be a string, got {description!r}")
    try:
        return RecipeStyle(**recipes, description=description)
    except ValueError as error:  # RecipeStyle's own checks
        raise ConfigError(f"config field 'style': {error}") from error


@dataclass(frozen=True)
class SynthesisConfig:
    """Which drawings to synthesize and how; travels as JSON through TFX parameters.

    Attributes:
      style: what to draw, as :func:`coarseseg_tf.data.synthesis.draw.draw` takes it: a
        name in :data:`~coarseseg_tf.data.synthesis.styles.STYLES` (written as the name)
        or a :class:`~coarseseg_tf.data.synthesis.styles.RecipeStyle` (written as its
        recipes); other kinds of style travel by name only. A drawing the style does
        not make is written all-255, "nothing drawn".
      num_classes: classes in the true masks; masks with other labels are bad examples.
      seed: combined with each example's key to seed its drawings.
      max_bad_fraction: the run fails when a split's bad / total is above this.
      overwrite: synthesize even for examples that already carry drawings (True), or
        keep those drawings and pass the example through unchanged (False).
    """

    style: str | DrawingStyle = DEFAULT_STYLE
    num_classes: int = 2
    seed: int = 0
    max_bad_fraction: float = 0.01
    overwrite: bool = False

    def __post_init__(self):
        try:
            style = get_style(self.style)
        except ValueError as error:
            raise ConfigError(f"config field 'style': {error}") from error
        if not isinstance(self.style, str) and not isinstance(style, RecipeStyle):
            # only recipes have a JSON form; a brush style is known by its name
            raise ConfigError(f"config field 'style': a {type(style).__name__} is given by its name "
                              f"in STYLES ({sorted(STYLES)}), not as an object")
        if _check_number("num_classes", self.num_classes, integer=True) < 2:
            raise ConfigError(f"config field 'num_classes' must be >= 2, got {self.num_classes}")
        if _check_number("seed", self.seed, integer=True) < 0:  # numpy seeds are non-negative
            raise ConfigError(f"config field 'seed' must be >= 0, got {self.seed}")
        if not 0.0 <= _check_number("max_bad_fraction", self.max_bad_fraction) <= 1.0:
            raise ConfigError(f"config field 'max_bad_fraction' must be in [0, 1], got {self.max_bad_fraction}")
        if not isinstance(self.overwrite, bool):
            raise ConfigError(f"config field 'overwrite' must be true or false, got {self.overwrite!r}")

    def to_json(self) -> str:
        """Every field, the style as its name or as an object of recipes (null for no
        drawing); keys sorted."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SynthesisConfig":
        """Parses :meth:`to_json`'s format; every top-level field must be present.

        Recipe objects may leave fields out (DrawingRecipe's defaults apply), a style
        object its description. The format written before styles, with top-level
        ``positive`` and ``negative`` recipes instead of ``style``, is read as that style.
        Raises :class:`ConfigError` naming the missing, unknown or malformed field.
        """
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("the synthesis config is missing (empty config_json); "
                              "write one with SynthesisConfig(...).to_json()")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"the synthesis config is not valid JSON: {error}") from error
        if not isinstance(value, dict):
            raise ConfigError(f"the synthesis config must be a JSON object, got {value!r}")
        if "style" not in value and {"positive", "negative"} <= set(value):
            value["style"] = {"positive": value.pop("positive"), "negative": value.pop("negative")}
        names = [f.name for f in dataclasses.fields(cls)]
        _check_keys("config", value, names, required=names)
        value["style"] = _style_from_json(value["style"])
        return cls(**value)


# ---------------------------------------------------------------- one example

def _fallback_key(serialized: bytes) -> str:
    """The name of an example without ``image/filename``: a digest of its bytes.

    Content-derived, so it is the same on every worker and rerun, unlike a position.
    """
    return "sha256:" + hashlib.sha256(serialized).hexdigest()[:16]


@dataclass(frozen=True)
class Outcome:
    """What became of one input example.

    kind: GOOD (``record`` holds the example with drawings), PASSED_THROUGH
    (``record`` is the input, unchanged) or BAD (``record`` is None, ``reason`` says why).
    """

    kind: str
    key: str
    record: bytes | None = None
    reason: str = ""


def synthesize_example(serialized: bytes, config: SynthesisConfig) -> Outcome:
    """Adds synthetic drawings to one serialized tf.Example.

    - a mask and no drawings (or ``config.overwrite``): drawings are synthesized (GOOD);
    - drawings already there and not overwriting, or drawings but no mask: the user's
      drawings are kept, the record passes through byte for byte (PASSED_THROUGH);
    - undecodable, neither mask nor drawings, mask labels outside the classes, or
      drawings with no drawn pixel (an all-255 mask): BAD.
    """
    fallback = _fallback_key(serialized)
    try:
        record = examples.decode_example(serialized, index=fallback)
    except examples.CorruptExampleError as error:
        return Outcome(BAD, _key_of_undecodable(serialized, fallback), reason=str(error))
    has_drawings = record.positive is not None or record.negative is not None
    if has_drawings and (record.mask is None or not config.overwrite):
        return Outcome(PASSED_THROUGH, record.key, record=serialized)
    if record.mask is None:
        return Outcome(BAD, record.key, reason=f"{record.key}: neither a true mask "
                       f"({examples.MASK_KEY}) nor drawings to learn from")
    try:
        drawings = draw(record.mask, record.key, config.style, config.num_classes, config.seed)
    except ValueError as error:  # labels outside [0, num_classes): a data problem, not a bug
        return Outcome(BAD, record.key, reason=f"{record.key}: {examples.MASK_KEY}: {error}")
    if all(d is None or (d == IGNORE_LABEL).all() for d in (drawings.positive, drawings.negative)):
        return Outcome(BAD, record.key, reason=f"{record.key}: the drawings came out empty (no pixel drawn; "
                       f"is the mask all {IGNORE_LABEL}?): nothing to learn from")
    return Outcome(GOOD, record.key,
                   record=examples.with_drawings(serialized, drawings.positive, drawings.negative))


def _key_of_undecodable(serialized: bytes, fallback: str) -> str:
    """The key of a record decode_example rejected: its filename if it parses that far."""
    import tensorflow as tf
    try:
        features = tf.train.Example.FromString(serialized).features.feature
        name = features[examples.FILENAME_KEY].bytes_list.value
        return name[0].decode("utf-8", "replace") if name and name[0] else f"record {fallback}"
    except Exception:  # not a tf.Example at all: the digest is all there is
        return f"record {fallback}"


# ---------------------------------------------------------------- Beam

class SynthesizeDrawingsFn(beam.DoFn):
    """Serialized tf.Example -> main output: serialized tf.Example (GOOD or PASSED_THROUGH);
    tagged ``DEAD_LETTER``: JSON line {"key", "split", "reason"}; tagged ``OUTCOME``:
    the outcome name of every input, for the counts file. Increments Beam counters
    ``good``, ``bad``, ``passed_through`` in namespace ``coarse_label_synthesis``.
    """

    DEAD_LETTER = "dead_letter"
    OUTCOME = "outcome"

    def __init__(self, config: SynthesisConfig, split: str):
        self._config = config
        self._split = split
        self._counters = {kind: beam.metrics.Metrics.counter(COUNTER_NAMESPACE, kind) for kind in OUTCOMES}

    def process(self, serialized: bytes):
        outcome = synthesize_example(serialized, self._config)
        self._counters[outcome.kind].inc()
        yield beam.pvalue.TaggedOutput(self.OUTCOME, outcome.kind)
        if outcome.kind == BAD:
            yield beam.pvalue.TaggedOutput(self.DEAD_LETTER, json.dumps(
                {"key": outcome.key, "split": self._split, "reason": outcome.reason}, sort_keys=True))
        else:
            yield outcome.record


class CorruptShardError(ValueError):
    """An input TFRecord file that cannot be read to its end; the message names it."""


def read_shard(path: str):
    """Serialized records of one TFRecord file (GZIP when named ``*.gz``), in order.

    Raises :class:`CorruptShardError` naming the file and the records read before the
    damage, instead of the reader's own message (a hex dump of the bytes).
    """
    import tensorflow as tf
    count = 0
    try:
        for record in tf.data.TFRecordDataset(path, compression_type="GZIP" if path.endswith(".gz") else ""):
            yield record.numpy()
            count += 1
    except (tf.errors.DataLossError, tf.errors.OutOfRangeError, tf.errors.InvalidArgumentError) as error:
        raise CorruptShardError(f"{path}: corrupt or truncated TFRecord file: {count} record(s) read, "
                                f"then {type(error).__name__}") from None


class ReadShardsFn(beam.DoFn):
    """File path -> its serialized records; with ``dead_letters``, a corrupt file also
    yields tagged ``SynthesizeDrawingsFn.DEAD_LETTER`` and ``OUTCOME`` items (one bad
    example keyed by the path) instead of failing the run."""

    def __init__(self, split: str, dead_letters: bool):
        self._split, self._dead_letters = split, dead_letters

    def process(self, path: str):
        try:
            yield from read_shard(path)
        except CorruptShardError as error:
            if not self._dead_letters:
                raise
            beam.metrics.Metrics.counter(COUNTER_NAMESPACE, BAD).inc()
            yield beam.pvalue.TaggedOutput(SynthesizeDrawingsFn.OUTCOME, BAD)
            yield beam.pvalue.TaggedOutput(SynthesizeDrawingsFn.DEAD_LETTER, json.dumps(
                {"key": path, "split": self._split, "reason": str(error)}, sort_keys=True))


def _read_files(pipeline, pattern: str, split: str, dead_letters: bool):
    """The files ``pattern`` matches, read by :class:`ReadShardsFn`; FileNotFoundError if none."""
    files = _glob(pattern)
    if not files:
        raise FileNotFoundError(f"split {split!r}: no input files match {pattern}")
    fn = ReadShardsFn(split, dead_letters)
    return (pipeline | "Files" >> beam.Create(files)
            | "Read" >> beam.ParDo(fn).with_outputs(SynthesizeDrawingsFn.DEAD_LETTER,
                                                    SynthesizeDrawingsFn.OUTCOME, main="records"))


def _write_examples(output_dir: str):
    # ".gz": GZIP, as ExampleGen writes and the Trainer reads
    return beam.io.WriteToTFRecord(os.path.join(output_dir, EXAMPLES_PREFIX),
                                   coder=beam.coders.BytesCoder(), file_name_suffix=".gz")


class CopySplit(beam.PTransform):
    """TFRecord files of a split that gets no drawings -> the same records, GZIP, ExampleGen names."""

    def __init__(self, input_pattern: str, output_dir: str, split: str = ""):
        super().__init__()
        self._input_pattern, self._output_dir, self._split = input_pattern, output_dir, split

    def expand(self, pipeline):
        read = _read_files(pipeline, self._input_pattern, self._split, dead_letters=False)
        return read.records | "Write" >> _write_examples(self._output_dir)


class SynthesizeSplit(beam.PTransform):
    """TFRecord files of one split -> written Examples, dead letters and counts.

    Returns the dict of write results {"examples", "dead_letters", "counts"}.
    """

    def __init__(self, input_pattern: str, output_dir: str, dead_letter_dir: str,
                 config: SynthesisConfig, split: str):
        super().__init__()
        self._input_pattern, self._output_dir = input_pattern, output_dir
        self._dead_letter_dir, self._config, self._split = dead_letter_dir, config, split

    def expand(self, pipeline):
        fn = SynthesizeDrawingsFn(self._config, self._split)
        read = _read_files(pipeline, self._input_pattern, self._split, dead_letters=True)
        results = (
            read.records
            # a file is read whole by one worker; reshuffling spreads the
            # synthesis (the expensive part) over all workers
            | "Spread" >> beam.Reshuffle()
            | "Synthesize" >> beam.ParDo(fn).with_outputs(fn.DEAD_LETTER, fn.OUTCOME, main="examples"))
        dead_letters = (results[fn.DEAD_LETTER], read[fn.DEAD_LETTER]) | "AllDeadLetters" >> beam.Flatten()
        outcomes = (results[fn.OUTCOME], read[fn.OUTCOME]) | "AllOutcomes" >> beam.Flatten()
        return {
            "examples": results.examples | "WriteExamples" >> _write_examples(self._output_dir),
            "dead_letters": dead_letters | "WriteDeadLetters" >> beam.io.WriteToText(
                os.path.join(self._dead_letter_dir, DEAD_LETTERS_PREFIX), file_name_suffix=".jsonl"),
            "counts": (outcomes
                       | "Count" >> beam.combiners.Count.PerElement()
                       | "AsDict" >> beam.combiners.ToDict()
                       | "AsJson" >> beam.Map(json.dumps, sort_keys=True)
                       | "WriteCounts" >> beam.io.WriteToText(
                           os.path.join(self._dead_letter_dir, COUNTS_FILE),
                           num_shards=1, shard_name_template="")),
        }


# ---------------------------------------------------------------- running it

@dataclass(frozen=True)
class SplitCounts:
    """How many examples of a split were synthesized, passed through, or bad."""

    good: int = 0
    bad: int = 0
    passed_through: int = 0

    @property
    def total(self) -> int:
        return self.good + self.bad + self.passed_through

    @property
    def bad_fraction(self) -> float:
        return self.bad / self.total if self.total else 0.0


class TooManyBadExamplesError(RuntimeError):
    """More bad examples than ``max_bad_fraction`` allows; the good ones are written."""


def _glob(pattern: str) -> list[str]:
    import tensorflow as tf  # tf.io.gfile: local paths and gs:// alike
    return sorted(tf.io.gfile.glob(pattern))


def split_dead_letter_dir(dead_letter_dir: str, split: str) -> str:
    """Where a split's dead letters and counts go: ``<dead_letter_dir>/Split-<split>``."""
    return os.path.join(dead_letter_dir, f"Split-{split}")


def read_dead_letters(dead_letter_dir: str, split: str) -> list[dict]:
    """The dead letters of one split: [{"key", "split", "reason"}], sorted by key."""
    import tensorflow as tf
    pattern = os.path.join(split_dead_letter_dir(dead_letter_dir, split), f"{DEAD_LETTERS_PREFIX}-*")
    letters = []
    for path in _glob(pattern):
        with tf.io.gfile.GFile(path) as f:
            letters.extend(json.loads(line) for line in f if line.strip())
    return sorted(letters, key=lambda letter: letter["key"])


def read_counts(dead_letter_dir: str, split: str) -> SplitCounts:
    import tensorflow as tf
    with tf.io.gfile.GFile(os.path.join(split_dead_letter_dir(dead_letter_dir, split), COUNTS_FILE)) as f:
        return SplitCounts(**json.loads(f.read()))


def run_synthesis(input_patterns_by_split: Mapping[str, str], output_dir_by_split: Mapping[str, str],
                  config: SynthesisConfig, beam_pipeline_args: Sequence[str] | None = None, *,
                  dead_letter_dir: str, copy_splits: Sequence[str] = (),
                  pipeline: beam.Pipeline | None = None) -> dict[str, SplitCounts]:
    """Synthesizes drawings for every split in one Beam pipeline and checks the bad fraction.

    Args:
      input_patterns_by_split: {split: glob of TFRecord files (GZIP if named *.gz)}.
      output_dir_by_split: {split: directory} for ``data_tfrecord-*.gz``; the
        directories must hold no such files yet.
      config: what to draw.
      beam_pipeline_args: e.g. ``["--direct_num_workers=2",
        "--direct_running_mode=multi_processing"]`` or a Dataflow/Flink runner's flags.
      dead_letter_dir: dead letters and counts go to ``<dead_letter_dir>/Split-<split>/``.
      copy_splits: splits that get no drawings: their records are written unchanged
        (GZIP, like the others), without dead letters or counts.
      pipeline: an unrun Beam pipeline to build into instead of making one from
        ``beam_pipeline_args`` (TFX hands its executors one made from the pipeline's
        Beam arguments); it is run here.

    Returns:
      {split: SplitCounts} for the synthesized splits.

    Raises:
      TooManyBadExamplesError: after the pipeline has finished and written every good
        example, when some split's bad fraction is above ``config.max_bad_fraction``.

    Identical output: a split's output is the same multiset of serialized records
    whatever the number of workers or the runner; the number of shards and the order
    of records in them are the runner's choice.
    """
    if set(input_patterns_by_split) != set(output_dir_by_split):
        raise ValueError(f"input splits {sorted(input_patterns_by_split)} and output splits "
                         f"{sorted(output_dir_by_split)} differ")
    unknown = sorted(set(copy_splits) - set(input_patterns_by_split))
    if unknown:
        raise ValueError(f"copy_splits {unknown} are not among the input splits {sorted(input_patterns_by_split)}")
    if pipeline is not None and beam_pipeline_args:
        raise ValueError("give either a pipeline or beam_pipeline_args, not both")
    for split, output_dir in output_dir_by_split.items():
        # shards of an earlier run would mix with this run's (their count may differ)
        stale = _glob(os.path.join(output_dir, f"{EXAMPLES_PREFIX}-*"))
        if stale:
            raise FileExistsError(f"split {split!r}: {output_dir} already holds {stale[0]} "
                                  f"(and {len(stale) - 1} more); write to an empty directory")
    if pipeline is None:
        pipeline = beam.Pipeline(argv=list(beam_pipeline_args or []))
    synthesized = sorted(set(input_patterns_by_split) - set(copy_splits))
    for split in sorted(input_patterns_by_split):
        if split in copy_splits:
            _ = pipeline | f"Copy[{split}]" >> CopySplit(input_patterns_by_split[split],
                                                          output_dir_by_split[split], split)
        else:
            _ = pipeline | f"Synthesize[{split}]" >> SynthesizeSplit(
                input_patterns_by_split[split], output_dir_by_split[split],
                split_dead_letter_dir(dead_letter_dir, split), config, split)
    pipeline.run().wait_until_finish()
    # counted from the pipeline's own output rather than from Beam metrics, which not
    # every runner reports back (the counters are for watching the job)
    counts = {split: read_counts(dead_letter_dir, split) for split in synthesized}
    _check_bad_fraction(counts, config.max_bad_fraction, dead_letter_dir)
    return counts


def _check_bad_fraction(counts: Mapping[str, SplitCounts], max_bad_fraction: float, dead_letter_dir: str):
    problems = []
    for split, c in counts.items():
        if c.bad_fraction > max_bad_fraction:
            keys = [letter["key"] for letter in read_dead_letters(dead_letter_dir, split)[:5]]
            problems.append(f"split {split!r}: {c.bad} of {c.total} examples are bad "
                            f"({c.bad_fraction:.2%}), above max_bad_fraction {max_bad_fraction:.2%}; "
                            f"e.g. {keys}; all in {split_dead_letter_dir(dead_letter_dir, split)}")
    if problems:
        raise TooManyBadExamplesError("coarse-label synthesis: " + "; ".join(problems)
                                      + ". The good examples were written.")
