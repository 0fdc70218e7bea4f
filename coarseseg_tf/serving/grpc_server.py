"""The gRPC front end of the local server: TF Serving's PredictionService and ModelService.

It answers what TF Serving answers on its gRPC port (8500), with the messages of the
``tensorflow-serving-api`` package, from the same :class:`~coarseseg_tf.serving.predict.Predictor`
and :class:`~coarseseg_tf.serving.versions.ModelVersions` as the REST front end, so both
protocols give the same masks, limits and errors:

- ``PredictionService/Predict``: ``model_spec`` (name, ``version`` or ``version_label``,
  ``signature_name``, default ``serving_default``), ``inputs`` as TensorProtos, and
  ``output_filter`` (only those outputs are returned)
- ``PredictionService/GetModelMetadata``: ``metadata_field`` ``signature_def``
- ``ModelService/GetModelStatus``: the versions' states, as the REST status URL

Errors are status codes with the REST front end's messages: INVALID_ARGUMENT for a bad
request (400 over REST), NOT_FOUND for an unknown model, version or label (404),
RESOURCE_EXHAUSTED for a message over ``max_request_bytes`` (413; grpc checks it) or
calls beyond ``max_concurrent_rpcs``, INTERNAL for a fault of the server (500).
Not implemented (UNIMPLEMENTED): Classify, Regress, MultiInference, HandleReloadConfigRequest.
"""
from __future__ import annotations

import logging
from concurrent import futures

import grpc
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2, model_service_pb2_grpc,
                                     predict_pb2, prediction_service_pb2_grpc)

from coarseseg_tf.serving.grpc_messages import (SIGNATURE_DEF_FIELD, grpc_code, model_spec, requested_model,
                                                tensor_proto, tensor_values)
from coarseseg_tf.serving.predict import Predictor
from coarseseg_tf.serving.rest import RestError
from coarseseg_tf.serving.versions import ModelVersions

log = logging.getLogger(__name__)


def _answer(context, method: str, answer):
    """``answer()``, or the call aborted with the status code of what went wrong."""
    try:
        return answer()
    except RestError as error:
        context.abort(grpc_code(error.status), error.message)
    except Exception as error:  # a fault of this server: answer, log, keep serving
        log.exception("unexpected error in %s", method)
        context.abort(grpc.StatusCode.INTERNAL, f"internal error: {type(error).__name__}: {error}")


class _PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, predictor: Predictor):
        self.predictor = predictor

    def Predict(self, request, context):  # noqa: N802 (the proto's name)
        return _answer(context, "Predict", lambda: self._predict(request))

    def _predict(self, request) -> predict_pb2.PredictResponse:
        name, version, label, signature_name = requested_model(request.model_spec)
        call = self.predictor.signature(name, version, label, signature_name)
        inputs = {key: tensor_values(key, proto).tolist() for key, proto in request.inputs.items()}
        outputs = self.predictor.run(call, inputs)
        wanted = list(request.output_filter) or sorted(outputs)
        unknown = sorted(set(wanted) - set(outputs))
        if unknown:
            raise RestError(400, f"output_filter names {unknown}, which signature {call.name} does not "
                                 f"have (its outputs: {sorted(outputs)})")
        response = predict_pb2.PredictResponse(
            model_spec=model_spec(name, call.served.version, signature_name=call.name))
        for key in wanted:
            response.outputs[key].CopyFrom(tensor_proto(outputs[key]))
        return response

    def GetModelMetadata(self, request, context):  # noqa: N802
        return _answer(context, "GetModelMetadata", lambda: self._metadata(request))

    def _metadata(self, request) -> get_model_metadata_pb2.GetModelMetadataResponse:
        fields = list(request.metadata_field)
        if fields != [SIGNATURE_DEF_FIELD]:
            raise RestError(400, f"metadata_field must be ['{SIGNATURE_DEF_FIELD}'], got {fields}")
        name, version, label, _ = requested_model(request.model_spec)
        served = self.predictor.models.get(name, version, label)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        for key, definition in served.signature_defs.items():
            signatures.signature_def[key].CopyFrom(definition)
        response = get_model_metadata_pb2.GetModelMetadataResponse(model_spec=model_spec(name, served.version))
        response.metadata[SIGNATURE_DEF_FIELD].Pack(signatures)
        return response


class _ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, models: ModelVersions):
        self.models = models

    def GetModelStatus(self, request, context):  # noqa: N802
        def status():
            from google.protobuf import json_format
            name, version, label, _ = requested_model(request.model_spec)
            # the REST status JSON is the proto's JSON form: one shape for both protocols
            return json_format.ParseDict(self.models.status(name, version, label),
                                         get_model_status_pb2.GetModelStatusResponse())
        return _answer(context, "GetModelStatus", status)


class GrpcServer:
    """TF Serving's gRPC services for one model, on ``host:port``, served from grpc's own threads.

    Args:
      predictor: answers Predict (and holds the versions).
      host, port: where to listen (port 0: a free port, see ``port``).
      threads: worker threads running calls.
      max_concurrent_rpcs: calls in progress or waiting for a thread; more are refused
        with RESOURCE_EXHAUSTED.
      max_request_bytes: largest request message (RESOURCE_EXHAUSTED above).
    Raises OSError when the address cannot be bound.
    """

    def __init__(self, predictor: Predictor, host: str, port: int, threads: int, max_concurrent_rpcs: int,
                 max_request_bytes: int):
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="serving-grpc"),
            maximum_concurrent_rpcs=max_concurrent_rpcs,
            options=[("grpc.max_receive_message_length", int(max_request_bytes)),
                     ("grpc.max_send_message_length", -1),
                     ("grpc.so_reuseport", 0)])  # a port in use must fail, not be shared
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            _PredictionService(predictor), self._server)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelService(predictor.models), self._server)
        try:
            self.port = self._server.add_insecure_port(f"{host}:{port}")
        except RuntimeError as error:  # grpc raises RuntimeError("Failed to bind ...")
            raise OSError(f"gRPC: {error}") from None
        if not self.port:  # older grpc returns 0 instead of raising
            raise OSError(f"gRPC: cannot bind {host}:{port}")
        self.host = host

    @property
    def target(self) -> str:
        """``host:port``, what a gRPC channel connects to."""
        return f"{self.host}:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self, grace: float = 5.0) -> None:
        """Refuses new calls, lets running ones finish for up to ``grace`` seconds."""
        self._server.stop(grace).wait()
