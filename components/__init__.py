"""TFX components of the coarseseg pipeline: thin wrappers over :mod:`coarseseg_tf`.

Custom artifact types live here, at the package's top level, because Kubeflow V2
finds a custom type's class by its ``TYPE_NAME`` read as an import path, and accepts
only names of the form ``module.ClassName`` (one dot).
"""
from tfx.types import artifact


class SynthesisDeadLetters(artifact.Artifact):
    """Examples the coarse-label synthesis could not use, and per-split counts.

    Files: ``Split-<name>/dead_letters-*.jsonl`` (JSON lines {"key", "split",
    "reason"}) and ``Split-<name>/counts.json`` ({"good", "bad", "passed_through"}).
    Custom properties: ``counts`` (JSON {split: counts}) and ``num_bad``.

    An artifact of its own, not files beside the Examples: readers of an Examples
    split take every file in ``Split-<name>/`` as data.
    """

    TYPE_NAME = "components.SynthesisDeadLetters"
