"""What a pipeline run produced, read back from its ML Metadata store.

The runners print it after a run, the end-to-end tests assert on it, and users can
call :func:`latest_run_summary` on any SQLite store the local runner wrote.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from coarseseg_tf.evaluation.config import read_mean_iou


@dataclass
class RunSummary:
    """The latest Evaluator/Pusher outcome and every execution's state, by component type."""

    mean_iou: float | None = None
    blessed: bool | None = None
    pushed: bool | None = None
    pushed_destination: str | None = None
    executions: dict = field(default_factory=dict)  # component type -> [state names], oldest first

    def describe(self) -> str:
        lines = []
        if self.mean_iou is not None:
            lines.append(f"mean IoU on the eval split: {100 * self.mean_iou:.1f}")
        if self.blessed is not None:
            lines.append(f"blessed: {'yes' if self.blessed else 'no (below the threshold)'}")
        if self.pushed:
            lines.append(f"pushed model: {self.pushed_destination}")
        elif self.pushed is not None:
            lines.append("pushed model: none (not blessed)")
        return "\n".join(lines)


def open_store(sqlite_path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = sqlite_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _latest(store, type_name):
    artifacts = store.get_artifacts_by_type(type_name)
    live = [a for a in artifacts if a.state == metadata_store_pb2.Artifact.LIVE]
    return max(live, key=lambda a: a.id) if live else None


def _custom_int(artifact, name):
    value = artifact.custom_properties.get(name)
    return None if value is None else int(value.int_value)


def latest_run_summary(sqlite_path: str) -> RunSummary:
    """Summarises the newest evaluation, blessing and push in an MLMD SQLite store."""
    store = open_store(sqlite_path)
    summary = RunSummary()
    evaluation = _latest(store, "ModelEvaluation")
    if evaluation is not None:
        summary.mean_iou = read_mean_iou(evaluation.uri)
    blessing = _latest(store, "ModelBlessing")
    if blessing is not None:
        summary.blessed = _custom_int(blessing, "blessed") == 1
    pushed = _latest(store, "PushedModel")
    if pushed is not None:
        summary.pushed = _custom_int(pushed, "pushed") == 1
        destination = pushed.custom_properties.get("pushed_destination")
        summary.pushed_destination = destination.string_value if destination else None
    types = {t.id: t.name for t in store.get_execution_types()}
    for execution in sorted(store.get_executions(), key=lambda e: e.id):
        state = metadata_store_pb2.Execution.State.Name(execution.last_known_state)
        summary.executions.setdefault(types[execution.type_id], []).append(state)
    return summary
