"""TF Serving's REST JSON rules, shared by the client and the local server.

Pure Python (json, base64): the client imports it, so it must not load TensorFlow.
Values cross this module as nested lists of Python scalars and ``bytes``; turning them
into tensors against a signature is :mod:`coarseseg_tf.serving.predict`'s job.

- Binary strings travel as ``{"b64": "<base64>"}`` (an object with that one key); a
  plain JSON string is taken as UTF-8 text.
- Outputs whose name ends in ``_bytes`` are returned base64-encoded the same way.
- Errors are ``{"error": "<message>"}`` with a 4xx/5xx status.
- Predict requests carry either ``"instances"`` (row format: one entry per batch
  element, an object of named inputs or, for a one-input signature, the bare value)
  or ``"inputs"`` (columnar: an object of named batched inputs, or the bare batch),
  never both, and optionally ``"signature_name"``; responses mirror them with
  ``"predictions"`` / ``"outputs"`` (bare, not an object, when there is one output).
- ``GET /v1/models/{name}`` answers ``{"model_version_status": [...]}``;
  ``GET .../metadata`` answers ``{"model_spec": ..., "metadata": {"signature_def": ...}}``.
"""
from __future__ import annotations

import base64
import binascii
import json

from coarseseg_tf.export.contract import SERVING_SIGNATURE

B64_KEY = "b64"
BYTES_SUFFIX = "_bytes"
ERROR_KEY = "error"
INSTANCES, INPUTS = "instances", "inputs"            # request: row / columnar
PREDICTIONS, OUTPUTS = "predictions", "outputs"      # response: row / columnar
SIGNATURE_NAME = "signature_name"
AVAILABLE, END = "AVAILABLE", "END"                  # version states: serving / not (unloaded or failed)
#: deepest nesting of arrays and objects a request may have: a batch of images as numbers
#: (B, H, W, C) inside ``instances`` is 6 deep; the limit keeps every recursive step
#: (json, conversion, tensor building) far from Python's recursion limit
MAX_JSON_DEPTH = 32


class RestError(Exception):
    """A request the server answers with ``{"error": message}`` and HTTP ``status``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def error_body(message: str) -> dict:
    return {ERROR_KEY: message}


# ---------------------------------------------------------------- values
def b64_object(data: bytes) -> dict:
    return {B64_KEY: base64.b64encode(data).decode("ascii")}


def is_b64_object(value) -> bool:
    """True for an object whose one key is ``b64``: TF Serving's binary value, not a named input."""
    return isinstance(value, dict) and len(value) == 1 and B64_KEY in value


def decode_b64_object(value: dict) -> bytes:
    """``{"b64": ...}`` -> bytes; RestError 400 when the text is not valid base64."""
    try:
        return base64.b64decode(value[B64_KEY], validate=True)
    except (binascii.Error, ValueError, TypeError) as error:
        raise RestError(400, f"Unable to base64 decode: {error}") from None


def json_to_python(value):
    """A JSON request value -> nested lists of Python scalars, b64 objects decoded to bytes."""
    if isinstance(value, list):
        return [json_to_python(item) for item in value]
    if isinstance(value, dict):
        if is_b64_object(value):
            return decode_b64_object(value)
        raise RestError(400, f"JSON object {shorten(value)} is not a value: binary data must be "
                             f'{{"{B64_KEY}": "<base64>"}} and nothing else')
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:  # JSON may escape a lone surrogate ("\\ud800"): not text
            raise RestError(400, f"JSON string {shorten(value)} is not valid Unicode text") from None
    return value


def python_to_json(name: str, value):
    """One output value (nested lists of Python scalars/bytes) -> JSON, by TF Serving's rules."""
    if isinstance(value, list):
        return [python_to_json(name, item) for item in value]
    if isinstance(value, bytes):
        return b64_object(value) if name.endswith(BYTES_SUFFIX) else value.decode("utf-8", "replace")
    return value


# ---------------------------------------------------------------- predict requests
def predict_body(instances=None, inputs=None, signature_name: str | None = None) -> dict:
    """A predict request of exactly one of ``instances`` (row) or ``inputs`` (columnar); ValueError otherwise."""
    if (instances is None) == (inputs is None):
        raise ValueError("give exactly one of instances (row format) or inputs (columnar format)")
    body = {INSTANCES: instances} if instances is not None else {INPUTS: inputs}
    if signature_name:
        body[SIGNATURE_NAME] = signature_name
    return body


def row_instances(columns: dict) -> list[dict]:
    """{input name: batch (list)} -> the row format's ``instances``: one {name: value} per batch element."""
    batches = {len(batch) for batch in columns.values()}
    if len(batches) != 1:
        raise ValueError(f"the row format needs one batch size for every input, got {sorted(batches)}")
    return [{name: batch[i] for name, batch in columns.items()} for i in range(batches.pop())]


def parse_predict_body(body: bytes) -> dict:
    """Request bytes -> the JSON object, checked to hold exactly one of ``instances``/``inputs``.

    Raises RestError 400 for an empty body, invalid JSON (an integer of more than 4,300
    digits included), nesting deeper than ``MAX_JSON_DEPTH``, a non-object, both keys or neither.
    """
    if not body:
        raise RestError(400, "JSON Parse error: The document is empty")
    try:
        request = json.loads(body)
    except RecursionError:
        raise RestError(400, f"JSON Parse error: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, int() digit limit
        raise RestError(400, f"JSON Parse error: {error}") from None
    if _nesting_depth(request) > MAX_JSON_DEPTH:
        raise RestError(400, f"JSON Parse error: nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(request, dict):
        raise RestError(400, "JSON Value: the request is not an object")
    if INSTANCES in request and INPUTS in request:
        raise RestError(400, "JSON Value: not formatted correctly: expecting only one of "
                             f"'{INPUTS}' or '{INSTANCES}' keys to exist")
    if INSTANCES not in request and INPUTS not in request:
        raise RestError(400, f"Missing '{INPUTS}' or '{INSTANCES}' key")
    return request


def _nesting_depth(value) -> int:
    """How deep arrays and objects nest in a parsed JSON value (0 for a scalar), without recursion."""
    containers = (list, dict)
    deepest, stack = 0, [(value, 1)] if isinstance(value, containers) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
                     if isinstance(child, containers))
    return deepest


def is_row_format(request: dict) -> bool:
    """True for ``instances`` (answered with ``predictions``), False for ``inputs`` (``outputs``)."""
    return INSTANCES in request


def requested_signature(request: dict) -> str:
    """The request's ``signature_name``; ``serving_default`` when it is absent or empty."""
    name = request.get(SIGNATURE_NAME, SERVING_SIGNATURE)
    if not isinstance(name, str):
        raise RestError(400, f"'{SIGNATURE_NAME}' key must be a string value")
    return name or SERVING_SIGNATURE


def batched_inputs(request: dict, input_names) -> dict:
    """A parsed predict request -> {input name: batched nested list}, for a signature's inputs.

    Args:
      request: from :func:`parse_predict_body`.
      input_names: the signature's input names.
    Row and columnar requests for the same batch give the same result; b64 objects become
    bytes, strings UTF-8 bytes. RestError 400 names what does not fit the signature.
    """
    names = sorted(input_names)
    if is_row_format(request):
        return _row_inputs(request[INSTANCES], names)
    return _columnar_inputs(request[INPUTS], names)


def _row_inputs(instances, names: list[str]) -> dict:
    if not isinstance(instances, list):
        raise RestError(400, f"Expecting '{INSTANCES}' to be a list/array")
    if not instances:
        raise RestError(400, f"No values in '{INSTANCES}' array")
    if not _is_named(instances[0]):
        if len(names) > 1:
            raise RestError(400, f"{INSTANCES} is a plain list, but expecting list of objects as "
                                 f"multiple input tensors required: {names}")
        return {names[0]: json_to_python(instances)}
    columns = {name: [] for name in names}
    for index, instance in enumerate(instances):
        if not isinstance(instance, dict) or sorted(instance) != names:
            keys = sorted(instance) if isinstance(instance, dict) else type(instance).__name__
            raise RestError(400, f"Failed to process element: {index} of '{INSTANCES}' list: "
                                 f"keys {keys} must be equal to {names}")
        for name in names:
            columns[name].append(json_to_python(instance[name]))
    return columns


def _columnar_inputs(inputs, names: list[str]) -> dict:
    if _is_named(inputs):
        missing = [name for name in names if name not in inputs]
        if missing:
            raise RestError(400, f"Missing named input: {missing[0]} in '{INPUTS}' object")
        return {name: json_to_python(inputs[name]) for name in names}
    if len(names) > 1:
        raise RestError(400, f"{INPUTS} is a plain value/list, but expecting an object as multiple "
                             f"input tensors required: {names}")
    return {names[0]: json_to_python(inputs)}


def _is_named(value) -> bool:
    """An object of named inputs (not a bare value, which may itself be a b64 object)."""
    return isinstance(value, dict) and not is_b64_object(value)


# ---------------------------------------------------------------- predict responses
def predict_response(outputs: dict, row_format: bool) -> dict:
    """{output name: nested list, batch first} -> the ``predictions`` or ``outputs`` JSON.

    The row format splits every output along its first axis, so all outputs need the same
    batch size (RestError 400 otherwise, as TF Serving answers).
    """
    if not row_format:
        if len(outputs) == 1:
            (name, value), = outputs.items()
            return {OUTPUTS: python_to_json(name, value)}
        return {OUTPUTS: {name: python_to_json(name, value) for name, value in outputs.items()}}
    batch = {len(value) if isinstance(value, list) else None for value in outputs.values()}
    if len(batch) != 1 or None in batch:
        raise RestError(400, "row format needs every output to have the same batch size; "
                             f"use the columnar format ('{INPUTS}')")
    if len(outputs) == 1:
        (name, value), = outputs.items()
        return {PREDICTIONS: python_to_json(name, value)}
    return {PREDICTIONS: [{name: python_to_json(name, value[i]) for name, value in outputs.items()}
                          for i in range(batch.pop())]}


def output_column(response: dict, name: str) -> list:
    """One output's batch from a predict response of either format (the inverse of :func:`predict_response`).

    A response with a single output carries it bare; it is returned whatever ``name`` is.
    """
    if PREDICTIONS in response:
        return [row[name] if isinstance(row, dict) else row for row in response[PREDICTIONS]]
    outputs = response[OUTPUTS]
    return outputs[name] if isinstance(outputs, dict) else outputs


# ---------------------------------------------------------------- status and metadata
def model_status(states: dict) -> dict:
    """TF Serving's GetModelStatus JSON, newest version first.

    Args:
      states: {version (int): (state, error message)}; state is ``AVAILABLE`` or ``END``
        (unloaded, or failed to load), the message is empty unless the version failed to load.
    """
    return {"model_version_status": [
        {"version": str(version), "state": state,
         "status": {"error_code": "UNKNOWN" if message else "OK", "error_message": message}}
        for version, (state, message) in sorted(states.items(), reverse=True)]}


def model_metadata(name: str, version: int, signature_defs: dict) -> dict:
    """TF Serving's GetModelMetadata JSON; ``signature_defs`` is {name: SignatureDef as JSON}."""
    return {"model_spec": {"name": name, "signature_name": "", "version": str(version)},
            "metadata": {"signature_def": {"signature_def": signature_defs}}}


def shorten(value, limit: int = 80) -> str:
    """repr(value), cut to ``limit`` characters: a value quoted in an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
