"""One predict call of the local server: request body -> tensors -> signature -> response body.

The JSON rules are :mod:`coarseseg_tf.serving.rest`'s and the version lookup is
:mod:`coarseseg_tf.serving.versions`'; what is left here needs TensorFlow (imported per
call, so that importing the server stays light): typing the values against the
signature's input specs, the pixel limit on each image, and op errors as clients read them.
"""
from __future__ import annotations

import re

from coarseseg_tf.serving import rest
from coarseseg_tf.serving.image_limits import check_image_pixels
from coarseseg_tf.serving.rest import RestError
from coarseseg_tf.serving.versions import ModelVersions

DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096


class Predictor:
    """Answers ``:predict`` requests for the versions of one model.

    Args:
      models: the served versions.
      max_image_pixels: largest width × height of a PNG/JPEG in a request, bare or inside a
        tf.Example, read from its header before the signature decodes it (TF Serving has no
        such limit): see :mod:`~coarseseg_tf.serving.image_limits`.
    """

    def __init__(self, models: ModelVersions, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS):
        self.models, self.max_image_pixels = models, int(max_image_pixels)

    def predict(self, name: str, version: int | None, label: str | None, body: bytes) -> dict:
        """A predict request body -> the response JSON; RestError for what the client got wrong."""
        import tensorflow as tf
        request = rest.parse_predict_body(body)
        served = self.models.get(name, version, label)
        signature_name = rest.requested_signature(request)
        function = served.signature(signature_name)
        specs = function.structured_input_signature[1]
        tensors = {}
        for input_name, value in rest.batched_inputs(request, specs).items():
            check_image_pixels(input_name, value, self.max_image_pixels)
            tensors[input_name] = _tensor(input_name, value, specs[input_name], signature_name)
        try:
            outputs = function(**tensors)
        except tf.errors.InvalidArgumentError as error:
            raise RestError(400, op_error_message(error)) from None
        except tf.errors.OpError as error:
            raise RestError(500, op_error_message(error)) from None
        return rest.predict_response({key: value.numpy().tolist() for key, value in outputs.items()},
                                     rest.is_row_format(request))


def _tensor(input_name: str, value, spec, signature_name: str):
    """A batched nested list -> a tensor of ``spec``'s dtype; RestError 400 when it does not fit ``spec``."""
    import tensorflow as tf
    try:
        tensor = tf.constant(value, dtype=spec.dtype)
    except (TypeError, ValueError) as error:
        raise RestError(400, f"input {input_name}: cannot make a {spec.dtype.name} tensor "
                             f"of shape {spec.shape} from the JSON value ({error})") from None
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
