"""ServingClient: segment images through TF Serving's REST API (or the local stand-in).

The transport is the standard library (urllib, json): no HTTP dependency to pin beside
the TensorFlow stack. The JSON rules are :mod:`coarseseg_tf.serving.rest`'s and the
signature and tensor names :mod:`coarseseg_tf.export.contract`'s; importing this module
does not load TensorFlow.
"""
from __future__ import annotations

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
    """A request that failed; ``status`` is the HTTP status (None: no answer), ``message`` the server's."""

    def __init__(self, url: str, status, message: str):
        where = f"{url} -> HTTP {status}" if status is not None else url
        super().__init__(f"{where}: {message}")
        self.url, self.status, self.message = url, status, message


class ServingClient:
    """Client of one model on a TF Serving REST endpoint.

    Args:
      base_url: e.g. ``http://localhost:8501``.
      model_name: the served model's name.
      version: a version number to pin, or None for the latest.
      timeout: seconds to wait for each answer.
      retries: extra attempts after a connection error or an HTTP 503 (model loading,
        server starting); other errors are not retried.
      backoff: seconds before the first retry, doubled for each further one.
      label: a version label (``stable``, ``canary``) instead of a version number.
    """

    def __init__(self, base_url: str, model_name: str, version: int | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.2, label: str | None = None):
        if version is not None and label is not None:
            raise ValueError("give a version or a label, not both")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.base_url = base_url.rstrip("/")
        self.model_name, self.version, self.label = model_name, version, label
        self.timeout, self.retries, self.backoff = float(timeout), int(retries), float(backoff)

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

    def segment(self, images, columnar: bool = False) -> list[np.ndarray]:
        """Masks of images: one (H, W) uint8 array of class ids per image, at its own size.

        Args:
          images: a sequence whose items are PNG/JPEG bytes, a path to such a file, or
            an array (H, W) / (H, W, C) of uint8 or float in [0, 1] (sent as PNG).
          columnar: send ``{"inputs": ...}`` instead of ``{"instances": ...}``.
        """
        from coarseseg_tf.data.examples import decode_png
        encoded = [_encoded_image(image) for image in images]
        if not encoded:
            return []
        columns = {IMAGE_BYTES_INPUT: [rest.b64_object(e) for e in encoded]}
        response = self.predict(inputs=columns) if columnar else self.predict(instances=rest.row_instances(columns))
        pngs = rest.output_column(response, MASK_PNG_OUTPUT)
        if len(pngs) != len(encoded):
            raise ServingError(self.model_url, 200, f"sent {len(encoded)} images, got {len(pngs)} masks")
        return [decode_png(rest.decode_b64_object(png) if rest.is_b64_object(png) else png, MASK_PNG_OUTPUT)
                for png in pngs]

    # ---------------------------------------------------------------- transport
    def _request(self, method: str, url: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode("utf-8")
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                message = _server_message(error)
                if error.code != 503 or attempt == self.retries:
                    raise ServingError(url, error.code, message) from None
            except (socket.timeout, TimeoutError):
                raise ServingError(url, None, f"no answer within {self.timeout:g}s") from None
            except (urllib.error.URLError, ConnectionError) as error:
                reason = getattr(error, "reason", error)
                if isinstance(reason, (socket.timeout, TimeoutError)):
                    raise ServingError(url, None, f"no answer within {self.timeout:g}s") from None
                if attempt == self.retries:
                    raise ServingError(url, None, f"cannot connect after {attempt + 1} attempts: {reason}") from None
            time.sleep(self.backoff * 2 ** attempt)
        raise AssertionError("unreachable: the loop returns or raises")


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
