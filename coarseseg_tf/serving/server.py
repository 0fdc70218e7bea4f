"""A local stand-in for TF Serving's REST (and gRPC) API over the SavedModels that the Pusher writes.

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
- the status lists every version seen: ``AVAILABLE`` while it serves, ``END`` once
  unloaded or when its load failed (TF Serving's servable state monitor); ``/metadata``
  and ``:predict`` answer 404 when no version serves
- errors as ``{"error": "..."}``: 400 for a bad request (malformed ``Content-Length``,
  JSON, version number ...), 404 for an unknown model, version, label or URL, 413 for a
  body over ``max_request_bytes``, 431 for headers over 256 KiB, 500 for a server fault

What it adds: a limit on the pixels of each PNG/JPEG in a request, bare or inside a
tf.Example (``max_image_pixels``, read from the image header before decoding), and the
connection limits of :mod:`~coarseseg_tf.serving.wsgi_server` (read timeout, worker
threads, open connections). With ``grpc_port`` it also answers TF Serving's gRPC
PredictionService and ModelService (:mod:`~coarseseg_tf.serving.grpc_server`) from the
same versions and predict path. What it leaves out: ``:classify`` / ``:regress``,
several models per server, batching across requests, monitoring endpoints.

This module routes: URL -> handler, HTTP status codes, as a WSGI application. The JSON
rules are in :mod:`~coarseseg_tf.serving.rest`, the versions in
:mod:`~coarseseg_tf.serving.versions`, a predict call in
:mod:`~coarseseg_tf.serving.predict`, HTTP itself (waitress) in
:mod:`~coarseseg_tf.serving.wsgi_server`.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from http import HTTPStatus

from coarseseg_tf.serving import rest
from coarseseg_tf.serving.predict import DEFAULT_MAX_IMAGE_PIXELS, Predictor
from coarseseg_tf.serving.rest import RestError
from coarseseg_tf.serving.versions import ModelVersions
from coarseseg_tf.serving.wsgi_server import WsgiServer

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # loopback only: a development server
DEFAULT_PORT = 8501         # TF Serving's REST port
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
DEFAULT_THREADS = 4            # predict calls at once; TensorFlow spreads each over the cores
DEFAULT_CONNECTION_LIMIT = 2000
DEFAULT_READ_TIMEOUT = 30      # seconds a connection may stay silent
#: bytes of a body over max_request_bytes that are still read before the 413, so that a client
#: that sends its body before reading the answer gets the answer, not a reset connection
DRAIN_BYTES = 16 * 1024 * 1024
# /v1/models/{name}, optionally /versions/{v} or /labels/{l}, then /metadata or :predict
_URL = re.compile(r"^/v1/models/(?P<name>[^/:]+)"
                  r"(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
                  r"(?P<verb>/metadata|:predict|:[a-z]+)?/?$")
_VERBS = {"GET": ("", "/metadata", "/"), "POST": (":predict",)}
_INT64_MAX = 2 ** 63 - 1  # TF Serving's versions are int64


def _version_number(text: str) -> int:
    """A version from a URL; RestError 400 unless it is ASCII digits within int64."""
    # isdigit() also accepts "²" and "٣"; int() of 5,000 digits raises ValueError
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= _INT64_MAX):
        raise RestError(400, f"Invalid version in URL: {rest.shorten(text)} is not an integer "
                             f"between 0 and {_INT64_MAX}")
    return int(text)


def _route(method: str, path: str):
    """(name, version, label, verb) of a request; RestError 404/400 for a URL this server does not answer."""
    match = _URL.match(path)
    verb = (match["verb"] or "") if match else None
    if verb not in _VERBS.get(method, ()):
        raise RestError(404, f"Malformed request: {method} {rest.shorten(path)}"
                             + (" (this server implements :predict only)" if method == "POST" else ""))
    version = None if match["version"] is None else _version_number(match["version"])
    return match["name"], version, match["label"], verb


def _body(environ, max_bytes: int) -> bytes:
    """The request body; RestError 400 for a malformed Content-Length, 413 over ``max_bytes``."""
    length = environ.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()):
        raise RestError(400, f"Content-Length is not a byte count: {rest.shorten(length)}")
    if len(length) > 18 or int(length) > max_bytes:
        raise RestError(413, f"request body of {length} bytes exceeds the limit of {max_bytes} bytes")
    return environ["wsgi.input"].read(int(length))


class ServingApp:
    """The WSGI application: TF Serving's REST URLs answered from one model's versions.

    Args:
      models: the served versions.
      predictor: answers ``:predict``.
      max_request_bytes: largest request body (413 above).
    """

    def __init__(self, models: ModelVersions, predictor: Predictor, max_request_bytes: int):
        self.models, self.predictor, self.max_request_bytes = models, predictor, int(max_request_bytes)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "")
        try:
            status, payload = 200, self._answer(method, environ.get("PATH_INFO", ""), environ)
        except RestError as error:
            status, payload = error.status, rest.error_body(error.message)
        except Exception as error:  # a fault of this server: answer, log, keep serving
            log.exception("unexpected error on %s %s", method, environ.get("PATH_INFO"))
            status, payload = 500, rest.error_body(f"internal error: {type(error).__name__}: {error}")
        body = json.dumps(payload).encode("utf-8")
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _answer(self, method: str, path: str, environ) -> dict:
        name, version, label, verb = _route(method, path)
        if verb == ":predict":
            return self.predictor.predict_json(name, version, label, _body(environ, self.max_request_bytes))
        if verb == "/metadata":
            served = self.models.get(name, version, label)
            return rest.model_metadata(name, served.version, served.signature_defs_json())
        return self.models.status(name, version, label)


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
      poll_seconds: how often the base path is checked for new versions (and failed
        ones are tried again).
      max_image_pixels: largest width × height of an image in a request.
      max_request_bytes: largest request body.
      threads: worker threads running requests; more requests wait their turn.
      connection_limit: open connections; more wait in the listen backlog.
      read_timeout: seconds a connection may stay silent before it is closed.
      grpc_port: also serve TF Serving's gRPC API on this port (TF Serving's is 8500; 0: a
        free one, see ``grpc_target``); None (the default): REST only. The gRPC side runs
        ``threads`` calls at once, refuses calls beyond ``connection_limit`` in progress,
        and messages over ``max_request_bytes``.
    """

    def __init__(self, model_name: str, model_base_path: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 num_versions: int = 1, version_labels=None, poll_seconds: float = DEFAULT_POLL_SECONDS,
                 max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, threads: int = DEFAULT_THREADS,
                 connection_limit: int = DEFAULT_CONNECTION_LIMIT, read_timeout: int = DEFAULT_READ_TIMEOUT,
                 grpc_port: int | None = None):
        self.models = ModelVersions(model_name, model_base_path, num_versions, version_labels)
        self.poll_seconds = float(poll_seconds)
        self.models.refresh()
        if not self.models.versions():
            log.warning("no loadable version under %s yet; polling every %.1fs",
                        model_base_path, self.poll_seconds)
        predictor = Predictor(self.models, max_image_pixels)
        self.app = ServingApp(self.models, predictor, max_request_bytes)
        self._http = WsgiServer(self.app, host, port, threads=threads, connection_limit=connection_limit,
                                read_timeout=read_timeout, max_body_bytes=int(max_request_bytes) + DRAIN_BYTES)
        self._grpc = None
        if grpc_port is not None:
            from coarseseg_tf.serving.grpc_server import GrpcServer  # loads grpc and TensorFlow: only when asked
            try:
                self._grpc = GrpcServer(predictor, host, grpc_port, threads=threads,
                                        max_concurrent_rpcs=connection_limit, max_request_bytes=max_request_bytes)
            except OSError:
                self._http.stop()  # the REST port is bound already: free it
                raise
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self._http.address
        return f"http://{host}:{port}"

    @property
    def grpc_target(self) -> str | None:
        """``host:port`` of the gRPC API, None when it is off."""
        return self._grpc.target if self._grpc else None

    def _poll(self):
        while not self._stop.wait(self.poll_seconds):
            try:
                self.models.refresh()
            except Exception:  # e.g. the base path vanished for a moment: keep serving what is loaded
                log.exception("polling %s failed", self.models.base_path)

    def _start_thread(self, target, name: str) -> None:
        thread = threading.Thread(target=target, daemon=True, name=name)
        thread.start()
        self._threads.append(thread)

    def _start_beside_http(self) -> None:
        """Starts what runs beside the REST loop: polling, and gRPC (on grpc's own threads)."""
        if self._grpc:
            self._grpc.start()
        self._start_thread(self._poll, "serving-poll")

    def start(self) -> "LocalModelServer":
        """Serves and polls from daemon threads; returns self."""
        self._start_beside_http()
        self._start_thread(self._http.serve_until_stopped, "serving-http")
        return self

    def serve_forever(self) -> None:
        """Serves REST in this thread, the rest beside it, until interrupted."""
        self._start_beside_http()
        try:
            self._http.serve_until_stopped()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._http.stop()
        if self._grpc:
            self._grpc.stop()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
