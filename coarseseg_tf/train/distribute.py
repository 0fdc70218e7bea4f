"""Choosing the tf.distribute strategy from the environment, as the TFX Trainer runs us.

One machine: ``MirroredStrategy`` over all local devices (GPUs, or the CPU). Several
workers named in ``TF_CONFIG``: ``MultiWorkerMirroredStrategy``. Only the chief writes
the exported model; the others write to a scratch directory (saving can involve
collective ops, so every worker must take part).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class WorkerRole:
    """This process's place in the cluster: ``index`` among ``count`` workers."""

    index: int = 0
    count: int = 1

    @property
    def is_chief(self) -> bool:
        return self.index == 0


def worker_role(tf_config: str | None = None) -> WorkerRole:
    """Reads TF_CONFIG (or the given JSON). A "chief" task counts as worker 0."""
    raw = os.environ.get("TF_CONFIG", "") if tf_config is None else tf_config
    if not raw:
        return WorkerRole()
    try:
        config = json.loads(raw)
        cluster, task = config.get("cluster", {}), config.get("task", {})
        chiefs, workers = len(cluster.get("chief", [])), len(cluster.get("worker", []))
        kind, index = task.get("type", "worker"), int(task.get("index", 0))
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"TF_CONFIG is not valid cluster JSON ({error}): {raw[:200]}") from error
    if kind not in ("chief", "worker"):
        raise ValueError(f"TF_CONFIG task type {kind!r}: this trainer runs as 'chief' or 'worker'")
    return WorkerRole(index=index if kind == "chief" else chiefs + index, count=max(1, chiefs + workers))


def strategy_for(role: WorkerRole) -> tf.distribute.Strategy:
    """MultiWorkerMirroredStrategy for several workers, else MirroredStrategy (all local devices).

    Without GPUs, the replicas are the logical CPU devices: one on an ordinary machine,
    several when they were configured (as the tests do to exercise two replicas).
    """
    if role.count > 1:
        return tf.distribute.MultiWorkerMirroredStrategy()
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])
