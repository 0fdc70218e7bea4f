"""ServingClient: segment images through TF Serving's REST API (or the local stand-in).

The transport is the standard library (urllib, json): no HTTP dependency to pin beside
the TensorFlow stack. The JSON rules are :mod:`coarseseg_tf.serving.rest`'s and the
signature and tensor names :mod:`coarseseg_tf.export.contract`'s; importing this module
does not load TensorFlow. What both protocols' clients share (images in, masks out,
:class:`ServingError`) is here too; the gRPC client is
:class:`~coarseseg_tf.serving.grpc_client.GrpcServingClient`.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.request

import numpy as np

from coarseseg_tf.export.contract import IMAGE_BYTES_INPUT, MASK_PNG_OUTPUT
from coarseseg_tf.serving import rest


class ServingError(RuntimeError):
    """A request that failed.

    Attributes:
      url: where it went (a URL, or a gRPC target and method).
      status: the HTTP status (None: no answer); over gRPC, the status TF Serving's REST
        API gives the same error (INVALID_ARGUMENT: 400, NOT_FOUND: 404, ...), so callers
        handle both protocols alike.
      message: the server's message.
      code: the gRPC status code's name (``"INVALID_ARGUMENT"``), None over REST.
    """

    def __init__(self, url: str, status, message: str, code: str | None = None):
        if code is not None:
            where = f"{url} -> {code}"
        else:
            where = f"{url} -> HTTP {status}" if status is not None else url
        super().__init__(f"{where}: {message}")
        self.url, self.status, self.message, self.code = url, status, message, code


class _NoDelayConnection(http.client.HTTPConnection):
    """An HTTP connection that sends each write at once (TCP_NODELAY).

    http.client sends a body over 2 KiB in a second write after the headers; with Nagle's
    algorithm that write waits for the server to acknowledge the headers, which a Linux
    peer delays by up to 40 ms. That was most of the gap between REST and in-process at
    256×256 (one PNG of a few tens of KiB per request).
    """

    def connect(self):
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _NoDelayHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_NoDelayConnection, req)


#: urllib for ``http://`` URLs without Nagle's delay (``https://`` goes through urllib's own handler)
_OPENER = urllib.request.build_opener(_NoDelayHandler)


class TryAgain(Exception):
    """Raised by one attempt of a call that may succeed later (the server is not ready yet)."""


class ModelClient:
    """What the REST and gRPC clients share: the model they address, how they retry, ``segment()``.

    Args:
      model_name: the served model's name.
      version: a version number to pin, or None for the latest.
      timeout: seconds to wait for each answer.
      retries: extra attempts when the server cannot be reached or answers that it is not
        ready (HTTP 503, gRPC UNAVAILABLE: model loading, server starting); other errors
        are not retried.
      backoff: seconds before the first retry, doubled for each further one.
      label: a version label (``stable``, ``canary``) instead of a version number.
    """

    def __init__(self, model_name: str, version: int | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.2, label: str | None = None):
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.model_name, self.version, self.label = model_name, version, label
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)

    def _retrying(self, attempt):
        """``attempt(last: bool)``'s result; an attempt that raises :class:`TryAgain` is repeated
        after the backoff, up to ``retries`` times (the last one raises its own error instead)."""
        for number in range(self.retries + 1):
            try:
                return attempt(number == self.retries)
            except TryAgain:
                time.sleep(self.backoff * 2 ** number)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _mask_pngs(self, encoded: list[bytes]) -> list[bytes]:
        """The ``mask_png_bytes`` of ``serving_default`` for encoded images: the protocol's part."""
        raise NotImplementedError

    def _where(self) -> str:
        """The endpoint and model, as errors name them."""
        raise NotImplementedError

    def segment(self, images) -> list[np.ndarray]:
        """Masks of images: one (H, W) uint8 array of class ids per image, at its own size.

        Args:
          images: a sequence whose items are PNG/JPEG bytes, a path to such a file, or
            an array (H, W) / (H, W, C) of uint8 or float in [0, 1] (sent as PNG).
        """
        from coarseseg_tf.data.examples import decode_png
        encoded = [_encoded_image(image) for image in images]
        if not encoded:
            return []
        pngs = self._mask_pngs(encoded)
        if len(pngs) != len(encoded):
            raise ServingError(self._where(), 200, f"sent {len(encoded)} images, got {len(pngs)} masks")
        return [decode_png(png, MASK_PNG_OUTPUT) for png in pngs]


class ServingClient(ModelClient):
    """Client of one model on a TF Serving REST endpoint.

    Args:
      base_url: e.g. ``http://localhost:8501``.
      model_name, version, timeout, retries, backoff, label: see :class:`ModelClient`.
      columnar: send ``{"inputs": ...}`` instead of ``{"instances": ...}`` in ``segment()``.
    """

    def __init__(self, base_url: str, model_name: str, version: int | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.2, label: str | None = None, columnar: bool = False):
        super().__init__(model_name, version, timeout, retries, backoff, label)
        self.base_url, self.columnar = base_url.rstrip("/"), bool(columnar)

    @property
    def model_url(self) -> str:
        url = f"{self.base_url}/v1/models/{self.model_name}"
        if self.version is not None:
            return f"{url}/versions/{int(self.version)}"
        return f"{url}/labels/{self.label}" if self.label is not None else url

    def status(self) -> dict:
        """``{"model_version_status": [{"version", "state", "status"}, ...]}``."""
        return self._request("GET", self.model_url)

    def metadata(self) -> dict:
        """``{"model_spec": ..., "metadata": {"signature_def": {"signature_def": {...}}}}``."""
        return self._request("GET", self.model_url + "/metadata")

    def predict(self, instances=None, inputs=None, signature_name: str | None = None) -> dict:
        """A raw predict call: exactly one of ``instances`` (row) or ``inputs`` (columnar)."""
        return self._request("POST", self.model_url + ":predict",
                             rest.predict_body(instances, inputs, signature_name))

    def _where(self) -> str:
        return self.model_url

    def _mask_pngs(self, encoded: list[bytes]) -> list[bytes]:
        columns = {IMAGE_BYTES_INPUT: [rest.b64_object(e) for e in encoded]}
        response = (self.predict(inputs=columns) if self.columnar
                    else self.predict(instances=rest.row_instances(columns)))
        return [rest.decode_b64_object(png) if rest.is_b64_object(png) else png
                for png in rest.output_column(response, MASK_PNG_OUTPUT)]

    # ---------------------------------------------------------------- transport
    def _request(self, method: str, url: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")

        def attempt(last: bool) -> dict:
            request = urllib.request.Request(url, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            try:
                with _OPENER.open(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                message = _server_message(error)
                if error.code != 503 or last:
                    raise ServingError(url, error.code, message) from None
            except (socket.timeout, TimeoutError):
                raise ServingError(url, None, f"no answer within {self.timeout:g}s") from None
            except (urllib.error.URLError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                if isinstance(reason, (socket.timeout, TimeoutError)):
                    raise ServingError(url, None, f"no answer within {self.timeout:g}s") from None
                if last:
                    raise ServingError(url, None, f"cannot connect after {self.retries + 1} attempts: {reason}") from None
            raise TryAgain
        return self._retrying(attempt)


def _server_message(error: urllib.error.HTTPError) -> str:
    """The server's ``{"error": ...}`` text, else the raw body, else the HTTP reason."""
    try:
        body = error.read().decode("utf-8", "replace")
    except OSError:
        return error.reason
    try:
        return json.loads(body)[rest.ERROR_KEY]
    except (ValueError, KeyError, TypeError):
        return body.strip() or str(error.reason)


def _encoded_image(image) -> bytes:
    """bytes, a file path, or an image array -> encoded image bytes."""
    from coarseseg_tf.data.examples import encode_png, to_uint8_image
    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return f.read()
    return encode_png(to_uint8_image(image))
