"""What a pipeline run produced, read back from its ML Metadata store.

The runners print it after a run, the end-to-end tests assert on it, and users can
call :func:`latest_run_summary` on any SQLite store the local runner wrote. Every
number here is what ML Metadata recorded (times, cache hits, the threshold the
Evaluator was given), not what a runner believes it asked for.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from coarseseg_tf.evaluation.config import read_mean_iou, read_min_mean_iou
from coarseseg_tf.train.run_fn import TENSORBOARD_DIR

Execution = metadata_store_pb2.Execution


@dataclass
class ComponentRun:
    """One component's execution: its node id, final state and when it began and ended."""

    component: str
    state: str  # "COMPLETE", "CACHED" (outputs reused), "FAILED", "RUNNING", ...
    started: datetime.datetime
    finished: datetime.datetime

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()

    def describe(self) -> str:
        outcome = {"COMPLETE": "ran", "CACHED": "cached"}.get(self.state, self.state.lower())
        return (f"{self.component:<17} {outcome:<7} {self.seconds:7.1f} s   "
                f"{self.started:%H:%M:%S} → {self.finished:%H:%M:%S}")


@dataclass
class RunSummary:
    """The latest Evaluator/Pusher outcome, the latest run's components, every execution's state."""

    mean_iou: float | None = None
    min_mean_iou: float | None = None
    blessed: bool | None = None
    pushed: bool | None = None
    pushed_destination: str | None = None
    tensorboard_dir: str | None = None
    components: list = field(default_factory=list)  # [ComponentRun] of the latest run, in order
    executions: dict = field(default_factory=dict)  # component type -> [state names], oldest first

    def describe(self) -> str:
        """The outcome in a few lines; mIoU and its threshold as fractions in [0, 1]."""
        lines = []
        if self.mean_iou is not None:
            lines.append(f"mIoU on the eval split: {self.mean_iou:.3f} (fraction in [0, 1], background included)")
        if self.blessed is not None:
            threshold = "" if self.min_mean_iou is None else f" (threshold: mIoU >= {self.min_mean_iou:.3f})"
            lines.append(f"blessed: {'yes' if self.blessed else 'no'}{threshold}")
        if self.pushed:
            lines.append(f"pushed model: {self.pushed_destination}")
        elif self.pushed is not None:
            lines.append("pushed model: none (not blessed)")
        if self.tensorboard_dir:
            lines.append(f"training curves: tensorboard --logdir {self.tensorboard_dir}")
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


def _time(milliseconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(milliseconds / 1000)


def component_run(store, execution: Execution) -> ComponentRun:
    """The :class:`ComponentRun` of one execution; its node id comes from its node context."""
    nodes = [c.name for c in store.get_contexts_by_execution(execution.id) if c.type == "node"]
    # a node context is named "<pipeline name>.<node id>"
    component = nodes[0].rsplit(".", 1)[-1] if nodes else execution.type
    return ComponentRun(component, Execution.State.Name(execution.last_known_state),
                        _time(execution.create_time_since_epoch), _time(execution.last_update_time_since_epoch))


def read_component_run(sqlite_path: str, execution_id: int) -> ComponentRun:
    """The :class:`ComponentRun` of execution ``execution_id`` in an MLMD SQLite store."""
    store = open_store(sqlite_path)
    return component_run(store, store.get_executions_by_id([execution_id])[0])


def _latest_run_executions(store) -> list:
    runs = store.get_contexts_by_type("pipeline_run")
    if not runs:
        return []
    latest = max(runs, key=lambda c: c.id)
    return sorted(store.get_executions_by_context(latest.id), key=lambda e: e.id)


def latest_run_summary(sqlite_path: str) -> RunSummary:
    """Summarises the newest run, evaluation, blessing and push in an MLMD SQLite store."""
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
    model_run = _latest(store, "ModelRun")
    if model_run is not None and os.path.isdir(os.path.join(model_run.uri, TENSORBOARD_DIR)):
        summary.tensorboard_dir = os.path.join(model_run.uri, TENSORBOARD_DIR)
    for execution in _latest_run_executions(store):
        summary.components.append(component_run(store, execution))
        eval_config = execution.custom_properties.get("eval_config")
        if execution.type.endswith(".Evaluator") and eval_config is not None:
            summary.min_mean_iou = read_min_mean_iou(eval_config.string_value)
    types = {t.id: t.name for t in store.get_execution_types()}
    for execution in sorted(store.get_executions(), key=lambda e: e.id):
        state = Execution.State.Name(execution.last_known_state)
        summary.executions.setdefault(types[execution.type_id], []).append(state)
    return summary
