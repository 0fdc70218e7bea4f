"""TF Serving's REST JSON conventions, shared by the client and the local server.

- Binary strings travel as ``{"b64": "<base64>"}`` (an object with that one key); a
  plain JSON string is taken as UTF-8 text.
- Outputs whose name ends in ``_bytes`` are returned base64-encoded the same way.
- Errors are ``{"error": "<message>"}`` with a 4xx/5xx status.
- Predict requests carry either ``"instances"`` (row format: one entry per batch
  element, an object of named inputs or, for a one-input signature, the bare value)
  or ``"inputs"`` (columnar: an object of named batched inputs, or the bare batch),
  never both; responses mirror them with ``"predictions"`` / ``"outputs"``.
"""
from __future__ import annotations

import base64
import binascii

B64_KEY = "b64"
BYTES_SUFFIX = "_bytes"


class RestError(Exception):
    """A request the server answers with ``{"error": message}`` and HTTP ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def b64_object(data: bytes) -> dict:
    return {B64_KEY: base64.b64encode(data).decode("ascii")}


def is_b64_object(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(B64_KEY), str)


def decode_b64_object(value) -> bytes:
    """``{"b64": ...}`` -> bytes; RestError 400 when the text is not valid base64."""
    try:
        return base64.b64decode(value[B64_KEY], validate=True)
    except (binascii.Error, ValueError) as error:
        raise RestError(400, f"Unable to base64 decode: {error}") from None


def json_to_python(value):
    """A JSON request value -> nested lists of Python scalars, b64 objects decoded to bytes."""
    if isinstance(value, list):
        return [json_to_python(item) for item in value]
    if isinstance(value, dict):
        if is_b64_object(value):
            return decode_b64_object(value)
        raise RestError(400, f"JSON object {_short(value)} is not a value: binary data must be "
                             f'{{"{B64_KEY}": "<base64>"}} and nothing else')
    if isinstance(value, str):
        return value.encode("utf-8")
    return value


def python_to_json(name: str, value):
    """One output value (nested lists of Python scalars/bytes) -> JSON, by TF Serving's rules."""
    if isinstance(value, list):
        return [python_to_json(name, item) for item in value]
    if isinstance(value, bytes):
        return b64_object(value) if name.endswith(BYTES_SUFFIX) else value.decode("utf-8", "replace")
    return value


def _short(value, limit=80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
