"""Serving masks over TF Serving's REST and gRPC APIs: the clients and a local stand-in server.

Production runs the official ``tensorflow/serving`` image (``serving/`` at the
repository root); :class:`LocalModelServer` answers the same REST (and, with
``grpc_port``, gRPC) calls for local use and tests, where the model server binary is not
available. :class:`ServingClient` speaks REST without loading TensorFlow;
``GrpcServingClient`` (imported on first use: it loads grpc and TensorFlow) speaks gRPC.
"""
from coarseseg_tf.lazy import lazy_exports
from coarseseg_tf.serving.client import ServingClient, ServingError  # noqa: F401
from coarseseg_tf.serving.server import LocalModelServer  # noqa: F401

__getattr__, __dir__ = lazy_exports(__name__, {"GrpcServingClient": "coarseseg_tf.serving.grpc_client"})
