"""A local stand-in for TF Serving's REST API over the SavedModels that the Pusher writes.

Production serves models with the official ``tensorflow/serving`` image (see
``serving/`` at the repository root). This server exists because the model server
binary cannot be installed on our development machines: it answers the same URLs with
the same JSON, so the client, the tests and the CLI run against either.

What it implements of TF Serving's REST API (``/v1``):

- ``GET  /v1/models/{name}[/versions/{v}|/labels/{l}]``: ``model_version_status``
- ``GET  /v1/models/{name}[/versions/{v}|/labels/{l}]/metadata``: signature defs
- ``POST /v1/models/{name}[/versions/{v}|/labels/{l}]:predict``: row (``instances``)
  and columnar (``inputs``) requests, ``signature_name``, ``{"b64": ...}`` binary
  values, ``*_bytes`` outputs base64-encoded
- ``<base_path>/<integer version>/saved_model.pb`` directories; the latest
  ``num_versions`` are served (TF Serving's default policy is the latest one); the
  base path is polled, so a newly pushed version is served without a restart
- errors as ``{"error": "..."}``: 400 for a bad request, 404 for an unknown model,
  version, label or URL, 413 for a body over ``max_request_bytes``, 500 otherwise

What it adds: a limit on the pixels of each PNG/JPEG in a request
(``max_image_pixels``, checked from the image header before decoding). What it leaves
out: gRPC, ``:classify`` / ``:regress``, several models per server, batching across
requests, monitoring endpoints.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import warnings
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from coarseseg_tf.serving.rest import RestError, json_to_python, python_to_json

log = logging.getLogger(__name__)

DEFAULT_SIGNATURE = "serving_default"
DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# /v1/models/{name}, optionally /versions/{v} or /labels/{l}, then /metadata or :predict
_URL = re.compile(r"^/v1/models/(?P<name>[^/:]+)"
                  r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                  r"(?P<verb>/metadata|:predict|:[a-z]+)?/?$")


@dataclass
class ServedVersion:
    """One loaded SavedModel version: its callables and what ``/metadata`` reports."""

    version: int
    path: str
    loaded: object
    signature_defs: dict

    def signature(self, name: str):
        signatures = self.loaded.signatures
        if name not in signatures:
            raise RestError(400, f'Serving signature name: "{name}" not found in signature def '
                                 f"(this model has {sorted(signatures)})")
        return signatures[name]


def _signature_defs_json(saved_model_dir: str) -> dict:
    """{name: SignatureDef as JSON} of a SavedModel, in TF Serving's metadata shape."""
    from google.protobuf import json_format
    from tensorflow.core.protobuf import saved_model_pb2
    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    # TF Serving hides the internal init signature too
    return {name: json_format.MessageToDict(definition, preserving_proto_field_name=True,
                                            including_default_value_fields=True)
            for name, definition in proto.meta_graphs[0].signature_def.items()
            if not name.startswith("__")}


class ModelVersions:
    """The served versions of one model: loads new version directories, drops old ones.

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
        self._failed: dict[int, str] = {}
        self._lock = threading.Lock()      # guards _served and _failed
        self._refresh_lock = threading.Lock()  # one refresh at a time

    def refresh(self) -> None:
        """Loads the newest versions not loaded yet, then unloads the ones that fell out.

        A version that fails to load is reported by ``status()`` and skipped (until a
        restart); it does not count among the newest, so the versions it would have
        replaced keep serving, as with TF Serving's availability-preserving policy.
        """
        from coarseseg_tf.export import saved_model_versions
        import tensorflow as tf
        with self._refresh_lock:
            on_disk = sorted(saved_model_versions(self.base_path), reverse=True)
            for version in on_disk:
                if version not in self._newest_loadable(on_disk) or version in self._served:
                    continue
                path = os.path.join(self.base_path, str(version))
                try:
                    served = ServedVersion(version, path, tf.saved_model.load(path), _signature_defs_json(path))
                except Exception as error:  # a broken export must not stop the server
                    log.error("model %s version %d at %s failed to load: %s", self.name, version, path, error)
                    with self._lock:
                        self._failed[version] = f"{type(error).__name__}: {error}"
                    continue
                with self._lock:
                    self._served[version] = served
                log.info("serving model %s version %d from %s", self.name, version, path)
            wanted = self._newest_loadable(on_disk)
            with self._lock:
                for version in [v for v in self._served if v not in wanted]:
                    del self._served[version]
                    log.info("unloaded model %s version %d", self.name, version)

    def _newest_loadable(self, on_disk: list[int]) -> list[int]:
        """The versions to serve: the newest ``num_versions`` of those that did not fail to load."""
        return [v for v in on_disk if v not in self._failed][:self.num_versions]

    def versions(self) -> list[int]:
        with self._lock:
            return sorted(self._served)

    def get(self, name: str, version=None, label=None) -> ServedVersion:
        """The version a request asks for (the latest when it names none); RestError 404 otherwise."""
        if name != self.name:
            raise RestError(404, f"Servable not found for request: Latest({name})")
        if label is not None:
            if label not in self.version_labels:
                raise RestError(404, f"Unrecognized servable version label: {label}")
            version = self.version_labels[label]
        with self._lock:
            if version is None:
                if not self._served:
                    raise RestError(404, f"Servable not found for request: Latest({name}): "
                                         f"no version under {self.base_path} has loaded")
                return self._served[max(self._served)]
            if version not in self._served:
                raise RestError(404, f"Servable not found for request: Specific({name}, {version})")
            return self._served[version]

    def status(self, name: str, version=None, label=None) -> dict:
        """TF Serving's GetModelStatus JSON for all served (or one) version(s)."""
        if version is not None or label is not None:
            served = [self.get(name, version, label).version]
        elif name != self.name:
            raise RestError(404, f"Could not find any versions of model {name}")
        else:
            served = self.versions()
        with self._lock:
            failed = dict(self._failed) if version is None and label is None else {}
        entries = [{"version": str(v), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
                   for v in served]
        entries += [{"version": str(v), "state": "END", "status": {"error_code": "UNKNOWN", "error_message": m}}
                    for v, m in failed.items()]
        if not entries:
            raise RestError(404, f"Could not find any versions of model {name}")
        return {"model_version_status": sorted(entries, key=lambda e: -int(e["version"]))}


class PredictHandler:
    """Turns a predict request body into a response body, by TF Serving's JSON rules."""

    def __init__(self, models: ModelVersions, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS):
        self.models, self.max_image_pixels = models, int(max_image_pixels)

    def metadata(self, name, version=None, label=None) -> dict:
        served = self.models.get(name, version, label)
        return {"model_spec": {"name": name, "signature_name": "", "version": str(served.version)},
                "metadata": {"signature_def": {"signature_def": served.signature_defs}}}

    def predict(self, name, version, label, body: bytes) -> dict:
        import numpy as np
        import tensorflow as tf
        request = self._parse(body)
        served = self.models.get(name, version, label)
        signature_name = request.get("signature_name", DEFAULT_SIGNATURE)
        if not isinstance(signature_name, str):
            raise RestError(400, "'signature_name' key must be a string value")
        function = served.signature(signature_name or DEFAULT_SIGNATURE)
        specs = function.structured_input_signature[1]
        row_format = "instances" in request
        values = self._row_inputs(request["instances"], specs) if row_format \
            else self._columnar_inputs(request["inputs"], specs)
        tensors = {}
        for input_name, value in values.items():
            spec = specs[input_name]
            self._check_images(input_name, value)
            try:
                tensor = tf.constant(value, dtype=spec.dtype)
            except (TypeError, ValueError) as error:
                raise RestError(400, f"input {input_name}: cannot make a {spec.dtype.name} tensor "
                                     f"of shape {spec.shape} from the JSON value ({error})") from None
            if not spec.shape.is_compatible_with(tensor.shape):
                raise RestError(400, f"input {input_name} has shape {tensor.shape.as_list()} but signature "
                                     f"{signature_name} expects {spec.shape}")
            tensors[input_name] = tensor
        try:
            outputs = {key: value.numpy() for key, value in function(**tensors).items()}
        except tf.errors.InvalidArgumentError as error:
            raise RestError(400, _op_error_message(error)) from None
        except tf.errors.OpError as error:
            raise RestError(500, _op_error_message(error)) from None
        as_lists = {key: value.tolist() for key, value in outputs.items()}
        if not row_format:
            if len(as_lists) == 1:
                (key, value), = as_lists.items()
                return {"outputs": python_to_json(key, value)}
            return {"outputs": {key: python_to_json(key, value) for key, value in as_lists.items()}}
        batch = {np.shape(value)[0] if np.ndim(value) else None for value in outputs.values()}
        if len(batch) != 1 or None in batch:
            raise RestError(400, "row format needs every output to have the same batch size; "
                                 "use the columnar format ('inputs')")
        if len(as_lists) == 1:
            (key, value), = as_lists.items()
            return {"predictions": python_to_json(key, value)}
        count = batch.pop()
        return {"predictions": [{key: python_to_json(key, value[i]) for key, value in as_lists.items()}
                                for i in range(count)]}

    # ---------------------------------------------------------------- request parsing
    @staticmethod
    def _parse(body: bytes) -> dict:
        if not body:
            raise RestError(400, "JSON Parse error: The document is empty")
        try:
            request = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RestError(400, f"JSON Parse error: {error}") from None
        if not isinstance(request, dict):
            raise RestError(400, "JSON Value: the request is not an object")
        if "instances" in request and "inputs" in request:
            raise RestError(400, "JSON Value: not formatted correctly: expecting only one of "
                                 "'inputs' or 'instances' keys to exist")
        if "instances" not in request and "inputs" not in request:
            raise RestError(400, "Missing 'inputs' or 'instances' key")
        return request

    @staticmethod
    def _row_inputs(instances, specs) -> dict:
        """Row format -> {input name: batched nested list}."""
        if not isinstance(instances, list):
            raise RestError(400, "Expecting 'instances' to be a list/array")
        if not instances:
            raise RestError(400, "No values in 'instances' array")
        names = sorted(specs)
        named = isinstance(instances[0], dict) and not (len(instances[0]) == 1 and "b64" in instances[0])
        if not named:
            if len(names) > 1:
                raise RestError(400, "instances is a plain list, but expecting list of objects as "
                                     f"multiple input tensors required: {names}")
            return {names[0]: json_to_python(instances)}
        columns = {name: [] for name in names}
        for index, instance in enumerate(instances):
            if not isinstance(instance, dict) or sorted(instance) != names:
                keys = sorted(instance) if isinstance(instance, dict) else type(instance).__name__
                raise RestError(400, f"Failed to process element: {index} of 'instances' list: "
                                     f"keys {keys} must be equal to {names}")
            for name in names:
                columns[name].append(json_to_python(instance[name]))
        return columns

    @staticmethod
    def _columnar_inputs(inputs, specs) -> dict:
        """Columnar format -> {input name: batched nested list}."""
        names = sorted(specs)
        if isinstance(inputs, dict) and not (len(inputs) == 1 and "b64" in inputs):
            missing = [name for name in names if name not in inputs]
            if missing:
                raise RestError(400, f"Missing named input: {missing[0]} in 'inputs' object")
            return {name: json_to_python(inputs[name]) for name in names}
        if len(names) > 1:
            raise RestError(400, "inputs is a plain value/list, but expecting an object as multiple "
                                 f"input tensors required: {names}")
        return {names[0]: json_to_python(inputs)}

    def _check_images(self, input_name, value) -> None:
        """RestError 400 for a PNG/JPEG over ``max_image_pixels`` (read from its header only)."""
        from PIL import Image
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if not isinstance(item, bytes) or not item.startswith(_IMAGE_MAGIC):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    with Image.open(io.BytesIO(item)) as image:
                        width, height = image.size
            except Image.DecompressionBombError as error:
                raise RestError(400, f"{input_name}[{index}] is too large: {error}") from None
            except Exception:
                continue  # unreadable: the signature's own check names the problem
            if width * height > self.max_image_pixels:
                raise RestError(400, f"{input_name}[{index}] is too large: {width}x{height} = "
                                     f"{width * height} pixels, the limit is {self.max_image_pixels}")


def _op_error_message(error) -> str:
    """A TensorFlow op error as a client should read it.

    Drops the 'Graph execution error / Detected at node' preamble, the ``[[{{node ...}}]]``
    lines and the ``[Op:...]`` suffix, and turns an assertion's
    ``assertion failed: [message] [value]`` into ``message value``.
    """
    lines = [line for line in error.message.splitlines()
             if line.strip() and not line.strip().startswith("[[")
             and not line.startswith(("Graph execution error", "Detected at node", "<stack traces unavailable>"))]
    text = re.sub(r"\s*\[Op:[^\]]*\]\s*$", "", "\n".join(lines)).strip()
    assertion = re.fullmatch(r"assertion failed: \[(.*?)\]\s*\[(.*?)\]", text, re.DOTALL)
    if assertion:
        text = f"{assertion.group(1)} {assertion.group(2)}"
    return text or error.message


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    server: "_HTTPServer"

    def log_message(self, format, *args):  # noqa: A002  (BaseHTTPRequestHandler's signature)
        log.debug("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, method):
        match = _URL.match(self.path.split("?", 1)[0])
        if not match:
            raise RestError(404, f"Malformed request: {method} {self.path}")
        version = match["version"]
        if version is not None and not version.isdigit():
            raise RestError(400, f"Invalid version in URL: {version!r} is not an integer")
        verb = match["verb"] or ""
        allowed = {"GET": ("", "/metadata", "/"), "POST": (":predict",)}[method]
        if verb not in allowed:
            raise RestError(404, f"Malformed request: {method} {self.path}"
                                 + (" (this server implements :predict only)" if method == "POST" else ""))
        return match["name"], None if version is None else int(version), match["label"], verb

    def _handle(self, method):
        try:
            body = self._read_body()
            name, version, label, verb = self._route(method)
            if verb == ":predict":
                payload = self.server.predictor.predict(name, version, label, body)
            elif verb == "/metadata":
                payload = self.server.predictor.metadata(name, version, label)
            else:
                payload = self.server.predictor.models.status(name, version, label)
            self._reply(200, payload)
        except RestError as error:
            self._reply(error.status, {"error": error.message})
        except Exception as error:  # answer, log, keep serving
            log.exception("unexpected error on %s %s", method, self.path)
            self._reply(500, {"error": f"internal error: {type(error).__name__}: {error}"})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_request_bytes:
            self.close_connection = True  # the unread body must not be parsed as the next request
            raise RestError(413, f"request body of {length} bytes exceeds the limit of "
                                 f"{self.server.max_request_bytes} bytes")
        return self.rfile.read(length) if length else b""

    def do_GET(self):  # noqa: N802  (http.server's naming)
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class LocalModelServer:
    """Serves one model's version directories over TF Serving's REST API.

    ``LocalModelServer(name, base_path, port=0).start()`` serves from a background
    thread (port 0 picks a free port: see ``url``); ``serve_forever()`` blocks.

    Args:
      model_name: the ``{name}`` in URLs.
      model_base_path: directory of ``<version>/saved_model.pb``.
      host, port: where to listen (``127.0.0.1``: loopback only).
      num_versions: newest versions kept loaded.
      version_labels: {label: version} for ``/labels/{label}`` URLs.
      poll_seconds: how often the base path is checked for new versions.
      max_image_pixels: largest width × height of an image in a request.
      max_request_bytes: largest request body.
    """

    def __init__(self, model_name: str, model_base_path: str, host: str = "127.0.0.1", port: int = 8501,
                 num_versions: int = 1, version_labels=None, poll_seconds: float = 1.0,
                 max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES):
        self.models = ModelVersions(model_name, model_base_path, num_versions, version_labels)
        self.poll_seconds = float(poll_seconds)
        self.models.refresh()
        if not self.models.versions():
            log.warning("no loadable version under %s yet; polling every %.1fs",
                        model_base_path, self.poll_seconds)
        self._http = _HTTPServer((host, port), _RequestHandler)
        self._http.predictor = PredictHandler(self.models, max_image_pixels)
        self._http.max_request_bytes = int(max_request_bytes)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def _poll(self):
        while not self._stop.wait(self.poll_seconds):
            try:
                self.models.refresh()
            except Exception:  # e.g. the base path vanished for a moment: keep serving what is loaded
                log.exception("polling %s failed", self.models.base_path)

    def start(self) -> "LocalModelServer":
        """Serves and polls from daemon threads; returns self."""
        for target in (self._http.serve_forever, self._poll):
            thread = threading.Thread(target=target, daemon=True, name=f"serving-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serves in this thread (polling in another) until interrupted."""
        poller = threading.Thread(target=self._poll, daemon=True, name="serving-poll")
        poller.start()
        self._threads.append(poller)
        try:
            self._http.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        if any(t.name.endswith("serve_forever") for t in self._threads):
            self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
