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

This module routes: URL -> handler, HTTP status codes, threads. The JSON rules are in
:mod:`~coarseseg_tf.serving.rest`, the versions in :mod:`~coarseseg_tf.serving.versions`,
a predict call in :mod:`~coarseseg_tf.serving.predict`.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from coarseseg_tf.serving import rest
from coarseseg_tf.serving.predict import DEFAULT_MAX_IMAGE_PIXELS, Predictor
from coarseseg_tf.serving.rest import RestError
from coarseseg_tf.serving.versions import ModelVersions

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # loopback only: a development server
DEFAULT_PORT = 8501         # TF Serving's REST port
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
# /v1/models/{name}, optionally /versions/{v} or /labels/{l}, then /metadata or :predict
_URL = re.compile(r"^/v1/models/(?P<name>[^/:]+)"
                  r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                  r"(?P<verb>/metadata|:predict|:[a-z]+)?/?$")


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
            models = self.server.models
            if verb == ":predict":
                payload = self.server.predictor.predict(name, version, label, body)
            elif verb == "/metadata":
                served = models.get(name, version, label)
                payload = rest.model_metadata(name, served.version, served.signature_defs)
            else:
                payload = models.status(name, version, label)
            self._reply(200, payload)
        except RestError as error:
            self._reply(error.status, rest.error_body(error.message))
        except Exception as error:  # answer, log, keep serving
            log.exception("unexpected error on %s %s", method, self.path)
            self._reply(500, rest.error_body(f"internal error: {type(error).__name__}: {error}"))

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

    def __init__(self, model_name: str, model_base_path: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 num_versions: int = 1, version_labels=None, poll_seconds: float = DEFAULT_POLL_SECONDS,
                 max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES):
        self.models = ModelVersions(model_name, model_base_path, num_versions, version_labels)
        self.poll_seconds = float(poll_seconds)
        self.models.refresh()
        if not self.models.versions():
            log.warning("no loadable version under %s yet; polling every %.1fs",
                        model_base_path, self.poll_seconds)
        self._http = _HTTPServer((host, port), _RequestHandler)
        self._http.models = self.models
        self._http.predictor = Predictor(self.models, max_image_pixels)
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
