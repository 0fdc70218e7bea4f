"""Serving masks over TF Serving's REST API: the client and a local stand-in server.

Production runs the official ``tensorflow/serving`` image (``serving/`` at the
repository root); :class:`LocalModelServer` answers the same REST calls for local use
and tests, where the model server binary is not available.
"""
from coarseseg_tf.serving.client import ServingClient, ServingError  # noqa: F401
from coarseseg_tf.serving.server import LocalModelServer  # noqa: F401
