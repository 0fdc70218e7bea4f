"""One predict call of the local server, for both protocols: inputs -> signature -> outputs.

The REST and gRPC front ends (:mod:`~coarseseg_tf.serving.server`,
:mod:`~coarseseg_tf.serving.grpc_server`) each turn their request into
``{input name: batched nested list}`` and call :meth:`Predictor.run`, so the version lookup
(:mod:`coarseseg_tf.serving.versions`), the checks of the inputs against the signature,
the pixel limit on each image and the mapping of op errors are written once. Errors are
:class:`~coarseseg_tf.serving.rest.RestError` with an HTTP status; the gRPC front end maps
that status to a gRPC code. TensorFlow is imported per call, so importing the server stays light.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from coarseseg_tf.serving import rest
from coarseseg_tf.serving.image_limits import check_image_pixels
from coarseseg_tf.serving.rest import RestError
from coarseseg_tf.serving.versions import ModelVersions, ServedVersion

DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096


@dataclass
class SignatureCall:
    """A signature a request resolved to: the served version, the signature's name and function."""

    served: ServedVersion
    name: str
    function: object

    @property
    def input_specs(self) -> dict:
        """{input name: tf.TensorSpec}."""
        return self.function.structured_input_signature[1]


class Predictor:
    """Answers predict requests for the versions of one model.

    Args:
      models: the served versions.
      max_image_pixels: largest width × height of a PNG/JPEG in a request, bare or inside a
        tf.Example, read from its header before the signature decodes it (TF Serving has no
        such limit): see :mod:`~coarseseg_tf.serving.image_limits`.
    """

    def __init__(self, models: ModelVersions, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS):
        self.models, self.max_image_pixels = models, int(max_image_pixels)

    def signature(self, name: str, version: int | None, label: str | None, signature_name: str) -> SignatureCall:
        """The signature a request names; RestError 404 for an unknown model or version, 400 for a signature."""
        served = self.models.get(name, version, label)
        return SignatureCall(served, signature_name, served.signature(signature_name))

    def run(self, call: SignatureCall, inputs: dict) -> dict:
        """{input name: batched nested list of Python values} -> {output name: numpy array}.

        RestError 400 for inputs that do not fit the signature, an image over the pixel
        limit, or bytes the signature refuses; 500 for another op error.
        """
        import tensorflow as tf
        specs = call.input_specs
        if sorted(inputs) != sorted(specs):
            raise RestError(400, f"signature {call.name} takes the inputs {sorted(specs)}, "
                                 f"the request has {sorted(inputs)}")
        tensors = {}
        for input_name, value in inputs.items():
            check_image_pixels(input_name, value, self.max_image_pixels)
            tensors[input_name] = _tensor(input_name, value, specs[input_name], call.name)
        try:
            outputs = call.function(**tensors)
        except tf.errors.InvalidArgumentError as error:
            raise RestError(400, op_error_message(error)) from None
        except tf.errors.OpError as error:
            raise RestError(500, op_error_message(error)) from None
        return {key: value.numpy() for key, value in outputs.items()}

    def predict_json(self, name: str, version: int | None, label: str | None, body: bytes) -> dict:
        """A REST predict request body -> the response JSON; RestError for what the client got wrong."""
        request = rest.parse_predict_body(body)
        call = self.signature(name, version, label, rest.requested_signature(request))
        outputs = self.run(call, rest.batched_inputs(request, call.input_specs))
        return rest.predict_response({key: value.tolist() for key, value in outputs.items()},
                                     rest.is_row_format(request))


def _tensor(input_name: str, value, spec, signature_name: str):
    """A batched nested list -> a tensor of ``spec``'s dtype; RestError 400 when it does not fit ``spec``."""
    import tensorflow as tf
    try:
        tensor = tf.constant(value, dtype=spec.dtype)
    except (TypeError, ValueError) as error:
        raise RestError(400, f"input {input_name}: cannot make a {spec.dtype.name} tensor "
                             f"of shape {spec.shape} from the request's value ({error})") from None
    if not spec.shape.is_compatible_with(tensor.shape):
        raise RestError(400, f"input {input_name} has shape {tensor.shape.as_list()} but signature "
                             f"{signature_name} expects {spec.shape}")
    return tensor


def op_error_message(error) -> str:
    """A TensorFlow op error as a client should read it.

    Drops the 'Graph execution error / Detected at node' preamble, the ``[[{{node ...}}]]``
    lines and the ``[Op:...]`` suffix, and turns an assertion's
    ``assertion failed: [message] [value]`` into ``message value``.
    """
    lines = [line for line in error.message.splitlines()
             if line.strip() and not line.strip().startswith("[[")
             and not line.startswith(("Graph execution error", "Detected at node", "<stack traces unavailable>"))]
    text = re.sub(r"\s*\[Op:[^\]]*\]\s*$", "", "\n".join(lines)).strip()
    assertion = re.fullmatch(r"assertion failed: \[(.*?)\]\s*\[(.*?)\]", text, re.DOTALL)
    if assertion:
        text = f"{assertion.group(1)} {assertion.group(2)}"
    return text or error.message
