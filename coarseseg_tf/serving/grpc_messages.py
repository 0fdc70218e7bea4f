"""TF Serving's gRPC messages, shared by the gRPC client and the local server's gRPC front end.

The messages are the ``tensorflow-serving-api`` package's protos (what TF Serving itself
compiles), so any TF Serving client talks to the local server and the other way round:

- tensors travel as ``TensorProto`` (:func:`tensor_proto`, :func:`tensor_values`);
- ``ModelSpec`` names the model, a version (``version``) or a label (``version_label``)
  and the signature (:func:`model_spec`, :func:`requested_model`);
- errors are gRPC status codes. The server picks the code for a
  :class:`~coarseseg_tf.serving.rest.RestError`'s HTTP status (:func:`grpc_code`); the
  client reports the HTTP status TF Serving's REST API gives the same code
  (:func:`http_status`), so code that handles REST errors handles gRPC errors too.

Importing this module loads TensorFlow (the serving protos are built on its TensorProto).
"""
from __future__ import annotations

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2

from coarseseg_tf.export.contract import SERVING_SIGNATURE
from coarseseg_tf.serving.rest import RestError

SIGNATURE_DEF_FIELD = "signature_def"  # the one GetModelMetadata field TF Serving knows
#: what the local server answers for each RestError status
_GRPC_CODES = {400: grpc.StatusCode.INVALID_ARGUMENT, 404: grpc.StatusCode.NOT_FOUND,
               413: grpc.StatusCode.RESOURCE_EXHAUSTED, 500: grpc.StatusCode.INTERNAL}
#: TF Serving's mapping of status codes to HTTP (its REST API answers these); others are 500
_HTTP_STATUSES = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.FAILED_PRECONDITION: 400,
                  grpc.StatusCode.OUT_OF_RANGE: 400, grpc.StatusCode.UNAUTHENTICATED: 401,
                  grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.NOT_FOUND: 404,
                  grpc.StatusCode.ALREADY_EXISTS: 409, grpc.StatusCode.ABORTED: 409,
                  grpc.StatusCode.RESOURCE_EXHAUSTED: 429, grpc.StatusCode.CANCELLED: 499,
                  grpc.StatusCode.UNIMPLEMENTED: 501, grpc.StatusCode.UNAVAILABLE: 503,
                  grpc.StatusCode.DEADLINE_EXCEEDED: 504}


def grpc_code(status: int) -> grpc.StatusCode:
    """The gRPC code of a RestError's HTTP status (INTERNAL for a status without one)."""
    return _GRPC_CODES.get(status, grpc.StatusCode.INTERNAL)


def http_status(code: grpc.StatusCode) -> int:
    """The HTTP status TF Serving's REST API answers for a gRPC code."""
    return _HTTP_STATUSES.get(code, 500)


def tensor_proto(values) -> "tf.core.framework.tensor_pb2.TensorProto":
    """A numpy array, or a (nested) list of numbers or bytes -> TensorProto."""
    return tf.make_tensor_proto(values)


def tensor_values(name: str, proto) -> np.ndarray:
    """TensorProto -> numpy array (strings as an object array of bytes); RestError 400 if unreadable."""
    try:
        return tf.make_ndarray(proto)
    except (TypeError, ValueError) as error:
        raise RestError(400, f"input {name}: not a readable TensorProto ({error})") from None


def model_spec(name: str, version: int | None = None, label: str | None = None,
               signature_name: str = "") -> model_pb2.ModelSpec:
    """A ModelSpec naming a version or a label (or neither: the latest)."""
    spec = model_pb2.ModelSpec(name=name, signature_name=signature_name)
    if version is not None:
        spec.version.value = int(version)
    elif label is not None:
        spec.version_label = label
    return spec


def requested_model(spec: model_pb2.ModelSpec) -> tuple[str, int | None, str | None, str]:
    """(name, version, label, signature name) of a request's ModelSpec; ``serving_default`` when unnamed."""
    choice = spec.WhichOneof("version_choice")
    version = spec.version.value if choice == "version" else None
    label = spec.version_label if choice == "version_label" else None
    return spec.name, version, label, spec.signature_name or SERVING_SIGNATURE
