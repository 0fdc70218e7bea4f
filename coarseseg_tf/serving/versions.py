"""The versions of one served model: loaded from a base path, refreshed by polling, looked up per request.

TF Serving's layout: ``<base_path>/<integer version>/saved_model.pb`` (what the TFX
Pusher and ``coarseseg export`` write). The newest ``num_versions`` that load are served;
a version that fails to load is reported by the status and skipped, so the versions it
would have replaced keep serving (TF Serving's availability-preserving policy). A failed
version is tried again at every refresh: one caught half-written (``saved_model.pb``
there, ``variables/`` still being copied) serves once it is complete.

The status follows TF Serving's servable state monitor: every version seen is listed,
``AVAILABLE`` while it serves and ``END`` once unloaded (its directory deleted, or newer
versions took its place) or when it failed to load (with the error). So the status
answers 200 with only ``END`` entries when nothing serves; a readiness check must look
for ``AVAILABLE``, or ask ``/metadata``, which answers 404 unless a version serves.
Lookups raise :class:`~coarseseg_tf.serving.rest.RestError` with TF Serving's 404 messages.
TensorFlow is imported when versions are loaded, not when this module is.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from coarseseg_tf.serving.rest import AVAILABLE, END, RestError, model_status

log = logging.getLogger(__name__)


@dataclass
class ServedVersion:
    """One loaded SavedModel version.

    Attributes:
      version: the integer directory name.
      path: the version directory.
      loaded: what ``tf.saved_model.load`` returned; ``loaded.signatures`` are the callables.
      signature_defs: {signature name: SignatureDef proto}, what the metadata calls report.
    """

    version: int
    path: str
    loaded: object
    signature_defs: dict

    def signature(self, name: str):
        """The concrete function of signature ``name``; RestError 400 when the model lacks it."""
        signatures = self.loaded.signatures
        if name not in signatures:
            raise RestError(400, f'Serving signature name: "{name}" not found in signature def '
                                 f"(this model has {sorted(signatures)})")
        return signatures[name]

    def signature_defs_json(self) -> dict:
        """{name: SignatureDef as JSON}, in the shape of TF Serving's REST ``/metadata``."""
        from google.protobuf import json_format
        return {name: json_format.MessageToDict(definition, preserving_proto_field_name=True,
                                                including_default_value_fields=True)
                for name, definition in self.signature_defs.items()}


def _signature_defs(saved_model_dir: str) -> dict:
    """{name: SignatureDef proto} of a SavedModel, without the internal init signature (as TF Serving)."""
    from tensorflow.core.protobuf import saved_model_pb2
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    return {name: definition for name, definition in proto.meta_graphs[0].signature_def.items()
            if not name.startswith("__")}


class ModelVersions:
    """The served versions of one model: loads new version directories, drops old ones.

    Thread-safe: request threads call :meth:`get` and :meth:`status` while a poller calls
    :meth:`refresh`.

    Args:
      name: the model name in URLs.
      base_path: directory of ``<version>/saved_model.pb`` subdirectories.
      num_versions: how many of the newest versions stay loaded.
      version_labels: {label: version}, for ``/labels/{label}`` URLs.
    """

    def __init__(self, name: str, base_path: str, num_versions: int = 1, version_labels=None):
        if num_versions < 1:
            raise ValueError(f"num_versions must be >= 1, got {num_versions}")
        self.name, self.base_path, self.num_versions = name, base_path, int(num_versions)
        self.version_labels = {label: int(v) for label, v in (version_labels or {}).items()}
        self._served: dict[int, ServedVersion] = {}
        self._ended: dict[int, str] = {}   # versions not serving: "" once unloaded, else the load error
        self._lock = threading.Lock()      # guards _served and _ended
        self._refresh_lock = threading.Lock()  # one refresh at a time

    def refresh(self) -> None:
        """Serves the newest ``num_versions`` versions that load, then unloads the others.

        Versions are tried newest first, failed ones included, until ``num_versions``
        serve; a version that fails does not count, so older ones keep serving.
        """
        from coarseseg_tf.export import saved_model_versions
        with self._refresh_lock:
            wanted = []
            for version in sorted(saved_model_versions(self.base_path), reverse=True):
                if len(wanted) == self.num_versions:
                    break
                if version in self._served or self._load(version):
                    wanted.append(version)
            with self._lock:
                for version in [v for v in self._served if v not in wanted]:
                    del self._served[version]
                    self._ended[version] = ""
                    log.info("unloaded model %s version %d", self.name, version)

    def _load(self, version: int) -> bool:
        """Loads one version; True when it serves, False (and its error recorded) otherwise."""
        import tensorflow as tf
        path = os.path.join(self.base_path, str(version))
        try:
            served = ServedVersion(version, path, tf.saved_model.load(path), _signature_defs(path))
        except Exception as error:  # a broken or half-written export must not stop the server
            message = f"{type(error).__name__}: {error}"
            with self._lock:
                repeated = self._ended.get(version) == message
                self._ended[version] = message
            if not repeated:  # retried at every poll: log a failure once, not once a second
                log.error("model %s version %d at %s failed to load (retried at every poll): %s",
                          self.name, version, path, message)
            return False
        with self._lock:
            self._served[version] = served
            self._ended.pop(version, None)
        log.info("serving model %s version %d from %s", self.name, version, path)
        return True

    def versions(self) -> list[int]:
        """The served version numbers, ascending."""
        with self._lock:
            return sorted(self._served)

    def _labelled(self, label: str) -> int:
        if label not in self.version_labels:
            raise RestError(404, f"Unrecognized servable version label: {label}")
        return self.version_labels[label]

    def get(self, name: str, version=None, label=None) -> ServedVersion:
        """The version a request asks for (the latest when it names none); RestError 404 otherwise."""
        if name != self.name:
            raise RestError(404, f"Servable not found for request: Latest({name})")
        if label is not None:
            version = self._labelled(label)
        with self._lock:
            if version is None:
                if not self._served:
                    raise RestError(404, f"Servable not found for request: Latest({name}): "
                                         f"no version under {self.base_path} serves")
                return self._served[max(self._served)]
            if version not in self._served:
                raise RestError(404, f"Servable not found for request: Specific({name}, {version})")
            return self._served[version]

    def status(self, name: str, version=None, label=None) -> dict:
        """TF Serving's GetModelStatus JSON: every version seen (or the one asked for), with its state.

        RestError 404 for another model, a version never seen, or no version seen at all.
        """
        if name != self.name:
            raise RestError(404, f"Could not find any versions of model {name}")
        if label is not None:
            version = self._labelled(label)
        with self._lock:
            states = {v: (END, message) for v, message in self._ended.items()}
            states.update({v: (AVAILABLE, "") for v in self._served})
        if version is not None:
            if version not in states:
                raise RestError(404, f"Could not find version {version} of model {name}")
            states = {version: states[version]}
        if not states:
            raise RestError(404, f"Could not find any versions of model {name}")
        return model_status(states)
