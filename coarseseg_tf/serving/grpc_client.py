"""GrpcServingClient: segment images through TF Serving's gRPC API (or the local stand-in's).

The same calls as :class:`~coarseseg_tf.serving.client.ServingClient` (``status``,
``metadata``, ``predict``, ``segment``) over TF Serving's PredictionService and
ModelService, with the ``tensorflow-serving-api`` package's stubs. Images travel as raw
bytes in a TensorProto (no base64, no JSON); ``segment`` asks for ``mask_png_bytes`` only
(``output_filter``). ``status`` and ``metadata`` return the REST client's JSON shapes, and
errors are the REST client's :class:`~coarseseg_tf.serving.client.ServingError`, with the
gRPC code beside the HTTP status TF Serving's REST API would give.
Importing this module loads TensorFlow (the serving protos are built on its TensorProto).
"""
from __future__ import annotations

import grpc
import numpy as np
from google.protobuf import json_format
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc,
                                     predict_pb2, prediction_service_pb2_grpc)

from coarseseg_tf.export.contract import IMAGE_BYTES_INPUT, MASK_PNG_OUTPUT
from coarseseg_tf.serving.client import ModelClient, ServingError, TryAgain
from coarseseg_tf.serving.grpc_messages import SIGNATURE_DEF_FIELD, http_status, model_spec, tensor_proto, tensor_values


class GrpcServingClient(ModelClient):
    """Client of one model on a TF Serving gRPC endpoint.

    Args:
      target: ``host:port``, e.g. ``localhost:8500``.
      model_name, version, timeout, retries, backoff, label: see
        :class:`~coarseseg_tf.serving.client.ModelClient`; a call is retried when its
        status is UNAVAILABLE (no connection, server starting).
      max_message_bytes: largest answer accepted (grpc's default is 4 MiB).
    """

    def __init__(self, target: str, model_name: str, version: int | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 0.2, label: str | None = None,
                 max_message_bytes: int = 256 * 1024 * 1024):
        super().__init__(model_name, version, timeout, retries, backoff, label)
        self.target = target
        self._channel = grpc.insecure_channel(target, options=[
            ("grpc.max_receive_message_length", int(max_message_bytes)),
            ("grpc.max_send_message_length", -1)])
        self._predictions = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _spec(self, signature_name: str = ""):
        return model_spec(self.model_name, self.version, self.label, signature_name)

    def _where(self) -> str:
        return f"grpc://{self.target} model {self.model_name}"

    def status(self) -> dict:
        """``{"model_version_status": [{"version", "state", "status"}, ...]}``, as over REST."""
        response = self._call("GetModelStatus", self._models.GetModelStatus,
                              get_model_status_pb2.GetModelStatusRequest(model_spec=self._spec()))
        return json_format.MessageToDict(response, preserving_proto_field_name=True,
                                         including_default_value_fields=True)

    def metadata(self) -> dict:
        """``{"model_spec": ..., "metadata": {"signature_def": {"signature_def": {...}}}}``, as over REST."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(model_spec=self._spec(),
                                                                 metadata_field=[SIGNATURE_DEF_FIELD])
        response = self._call("GetModelMetadata", self._predictions.GetModelMetadata, request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata[SIGNATURE_DEF_FIELD].Unpack(signatures)
        as_json = dict(preserving_proto_field_name=True, including_default_value_fields=True)
        return {"model_spec": json_format.MessageToDict(response.model_spec, **as_json),
                "metadata": {SIGNATURE_DEF_FIELD: json_format.MessageToDict(signatures, **as_json)}}

    def predict(self, inputs: dict, signature_name: str = "", output_filter=()) -> dict:
        """A raw predict call: {input name: batched array-like} -> {output name: numpy array}.

        ``output_filter``: the outputs to return (all when empty).
        """
        request = predict_pb2.PredictRequest(model_spec=self._spec(signature_name), output_filter=list(output_filter))
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tensor_proto(value))
        response = self._call("Predict", self._predictions.Predict, request)
        return {name: tensor_values(name, proto) for name, proto in response.outputs.items()}

    def _mask_pngs(self, encoded: list[bytes]) -> list[bytes]:
        outputs = self.predict({IMAGE_BYTES_INPUT: np.array(encoded, dtype=object)},
                               output_filter=[MASK_PNG_OUTPUT])
        return list(outputs[MASK_PNG_OUTPUT])

    def _call(self, name: str, method, request):
        """One unary call of RPC ``name`` with the retry policy; ServingError for a failed one."""
        where = f"{self._where()} {name}"

        def attempt(last: bool):
            try:
                return method(request, timeout=self.timeout)
            except grpc.RpcError as error:
                code = error.code()
                if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise ServingError(where, None, f"no answer within {self.timeout:g}s", code.name) from None
                if code != grpc.StatusCode.UNAVAILABLE or last:
                    raise ServingError(where, http_status(code), error.details() or code.name, code.name) from None
            raise TryAgain
        return self._retrying(attempt)
