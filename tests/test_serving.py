"""REST and gRPC contract: the clients against the local server (and a real tensorflow_model_server when on PATH).

Every test talks real HTTP or gRPC on loopback to a server that loads real SavedModels.
"""
import base64
import http.client
import io
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from coarseseg_tf import CoarseSegModel
from coarseseg_tf.data.examples import encode_png, make_example, to_uint8_image
from coarseseg_tf.export import export_saved_model, serving_functions, segment_image_bytes
from coarseseg_tf.data.examples import decode_png
from coarseseg_tf.export.contract import (ARRAYS_SIGNATURE, DEFAULT_MODEL_NAME, EXAMPLES_INPUT, EXAMPLES_SIGNATURE,
                                          IMAGE_BYTES_INPUT, IMAGE_SIZE_OUTPUT, MASK_OUTPUT, MASK_PNG_OUTPUT,
                                          SERVING_SIGNATURE)
from coarseseg_tf.serving import LocalModelServer, ServingClient, ServingError

MODEL = DEFAULT_MODEL_NAME
MAX_PIXELS = 200 * 200  # the local server's limit in these tests


def _model(seed):
    import keras
    keras.utils.set_random_seed(seed)
    model = CoarseSegModel(num_classes=2, input_channels=1, width=8, depth=2)
    model.build()
    return model


def _wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, digits):
    """A model, its SavedModel as version 1 under a base path, and in-process reference masks."""
    model = _model(seed=3)
    base = tmp_path_factory.mktemp("models") / MODEL
    export_saved_model(model, str(base / "1"))
    images = [to_uint8_image(digits.images[i])[..., 0] for i in range(3)]  # real digits, 28x28
    images.append(np.random.default_rng(0).integers(0, 256, (45, 31), dtype=np.uint8))
    encoded = [encode_png(image) for image in images]
    reference = segment_image_bytes(serving_functions(model)[SERVING_SIGNATURE], encoded)
    return {"model": model, "base": base, "encoded": encoded, "reference": reference}


def _local_server(base, **kwargs):
    kwargs.setdefault("max_image_pixels", MAX_PIXELS)
    return LocalModelServer(MODEL, str(base), port=0, **kwargs).start()


#: a server under test: its kind, REST base URL and gRPC target (host:port)
Endpoint = namedtuple("Endpoint", "kind url grpc")


@pytest.fixture(scope="module", params=["local", "tensorflow_model_server"])
def endpoint(request, exported):
    """An Endpoint serving ``exported`` over REST and gRPC; the real server only when installed."""
    if request.param == "local":
        server = _local_server(exported["base"], version_labels={"stable": 1}, poll_seconds=0.2, grpc_port=0)
        yield Endpoint("local", server.url, server.grpc_target)
        server.stop()
        return
    binary = shutil.which("tensorflow_model_server")
    if binary is None:
        pytest.skip("tensorflow_model_server is not on PATH (no package or Docker engine on this machine); "
                    "the contract suite ran against the local server only")
    port, grpc_port = _free_port(), _free_port()
    process = subprocess.Popen([binary, f"--rest_api_port={port}", f"--port={grpc_port}", f"--model_name={MODEL}",
                                f"--model_base_path={exported['base']}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    client = ServingClient(url, MODEL, retries=0, timeout=2)

    def ready():
        try:
            return client.status()["model_version_status"][0]["state"] == "AVAILABLE"
        except ServingError:
            return False
    try:
        _wait_for(ready, 60, "tensorflow_model_server to load the model")
        yield Endpoint("tensorflow_model_server", url, f"127.0.0.1:{grpc_port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _post(url, body, path=f"/v1/models/{MODEL}:predict"):
    """(status, parsed JSON) of a raw POST; body is bytes or a JSON-able object."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _b64(data):
    return {"b64": base64.b64encode(data).decode()}


# ---------------------------------------------------------------- contract suite
def test_status_and_metadata(endpoint):
    url = endpoint.url
    client = ServingClient(url, MODEL)
    status = client.status()["model_version_status"]
    assert [(s["version"], s["state"], s["status"]["error_code"]) for s in status] == [("1", "AVAILABLE", "OK")]
    metadata = client.metadata()
    assert metadata["model_spec"]["name"] == MODEL and metadata["model_spec"]["version"] == "1"
    signatures = metadata["metadata"]["signature_def"]["signature_def"]
    assert {SERVING_SIGNATURE, EXAMPLES_SIGNATURE} <= set(signatures)
    assert {SERVING_SIGNATURE, EXAMPLES_SIGNATURE, ARRAYS_SIGNATURE} <= set(signatures)
    default = signatures[SERVING_SIGNATURE]
    assert default["inputs"][IMAGE_BYTES_INPUT]["dtype"] == "DT_STRING"
    # each mask once, as a PNG; the arrays have their own signature
    assert set(default["outputs"]) == {MASK_PNG_OUTPUT, IMAGE_SIZE_OUTPUT}
    assert default["outputs"][MASK_PNG_OUTPUT]["dtype"] == "DT_STRING"
    assert default["method_name"] == "tensorflow/serving/predict"
    arrays = signatures[ARRAYS_SIGNATURE]
    assert set(arrays["outputs"]) == {MASK_OUTPUT, IMAGE_SIZE_OUTPUT}
    assert arrays["outputs"][MASK_OUTPUT]["dtype"] == "DT_UINT8"
    assert ServingClient(url, MODEL, version=1).status()["model_version_status"][0]["version"] == "1"


@pytest.mark.parametrize("columnar", [False, True])
def test_segment_mixed_sizes_gives_the_in_process_masks(endpoint, exported, columnar):
    url = endpoint.url
    masks = ServingClient(url, MODEL, columnar=columnar).segment(exported["encoded"])
    assert [m.shape for m in masks] == [(28, 28)] * 3 + [(45, 31)]
    for mask, reference in zip(masks, exported["reference"]):
        np.testing.assert_array_equal(mask, reference)


def test_segment_takes_paths_and_arrays(endpoint, exported, tmp_path):
    url = endpoint.url
    path = tmp_path / "digit.png"
    path.write_bytes(exported["encoded"][0])
    array = np.asarray(Image.open(io.BytesIO(exported["encoded"][1])))
    masks = ServingClient(url, MODEL, version=1).segment([str(path), array / 255.0])
    np.testing.assert_array_equal(masks[0], exported["reference"][0])
    np.testing.assert_array_equal(masks[1], exported["reference"][1])


def test_raw_row_and_columnar_responses_follow_tf_serving_json(endpoint, exported):
    url = endpoint.url
    encoded = exported["encoded"][2:]  # 28x28 and 45x31
    status, row = _post(url, {"instances": [{IMAGE_BYTES_INPUT: _b64(e)} for e in encoded]})
    assert status == 200 and len(row["predictions"]) == 2
    first = row["predictions"][0]
    assert set(first) == {MASK_PNG_OUTPUT, IMAGE_SIZE_OUTPUT}
    assert first[IMAGE_SIZE_OUTPUT] == [28, 28] and set(first[MASK_PNG_OUTPUT]) == {"b64"}
    np.testing.assert_array_equal(decode_png(base64.b64decode(first[MASK_PNG_OUTPUT]["b64"])), exported["reference"][2])
    # a one-input signature also takes bare values, and columnar may be a bare list
    status, bare = _post(url, {"instances": [_b64(e) for e in encoded]})
    assert status == 200 and bare == row
    status, columnar = _post(url, {"inputs": [_b64(e) for e in encoded]})
    assert status == 200 and columnar["outputs"][IMAGE_SIZE_OUTPUT] == [[28, 28], [45, 31]]
    # the arrays signature: the masks padded to the batch's largest size, as JSON numbers
    status, arrays = _post(url, {"signature_name": ARRAYS_SIGNATURE, "instances": [_b64(e) for e in encoded]})
    assert status == 200 and set(arrays["predictions"][0]) == {MASK_OUTPUT, IMAGE_SIZE_OUTPUT}
    mask = np.array(arrays["predictions"][0][MASK_OUTPUT])
    assert mask.shape == (45, 31) and (mask[28:] == 255).all() and (mask[:, 28:] == 255).all()
    np.testing.assert_array_equal(mask[:28, :28], exported["reference"][2])


def _bad_requests(encoded):
    """(what, path, body, expected status, text the local server's message must contain)."""
    predict = f"/v1/models/{MODEL}:predict"
    image = _b64(encoded[0])
    return [
        ("invalid JSON", predict, b'{"instances": [', 400, "JSON Parse error"),
        ("both keys", predict, {"instances": [image], "inputs": [image]}, 400, "only one of"),
        ("neither key", predict, {"signature_name": SERVING_SIGNATURE}, 400, "Missing 'inputs' or 'instances'"),
        ("bad base64", predict, {"instances": [{IMAGE_BYTES_INPUT: {"b64": "%%%not base64"}}]}, 400, "base64"),
        ("not an image", predict, {"instances": [_b64(b"GIF89a? no, just text")]}, 400,
         f"{IMAGE_BYTES_INPUT} holds bytes that are not a PNG or JPEG image, at index 0"),
        ("empty batch", predict, {"instances": []}, 400, "No values in 'instances'"),
        ("empty columnar batch", predict, {"inputs": {IMAGE_BYTES_INPUT: []}}, 400, "empty"),
        ("wrong signature", predict, {"signature_name": "nope", "instances": [image]}, 400, '"nope" not found'),
        ("wrong input name", predict, {"instances": [{"image": image}]}, 400, IMAGE_BYTES_INPUT),
        ("unknown model", "/v1/models/nope:predict", {"instances": [image]}, 404, "nope"),
        ("unknown version", f"/v1/models/{MODEL}/versions/7:predict", {"instances": [image]}, 404, "7"),
    ]


def test_each_bad_request_gets_a_4xx_naming_the_problem(endpoint, exported):
    kind, url = endpoint.kind, endpoint.url
    for what, path, body, expected, text in _bad_requests(exported["encoded"]):
        status, reply = _post(url, body, path)
        assert status == expected, (what, status, reply)
        assert isinstance(reply.get("error"), str) and reply["error"], what
        if kind == "local":
            assert text in reply["error"], (what, reply["error"])


def test_client_errors_quote_the_server(endpoint):
    url = endpoint.url
    with pytest.raises(ServingError, match="not a PNG or JPEG") as caught:
        ServingClient(url, MODEL).segment([b"plain text, not an image"])
    assert caught.value.status == 400
    with pytest.raises(ServingError) as caught:
        ServingClient(url, "nope").status()
    assert caught.value.status == 404 and "nope" in caught.value.message


# ---------------------------------------------------------------- gRPC contract
def _stub(endpoint):
    """TF Serving's own PredictionService stub (tensorflow-serving-api) on the endpoint's gRPC port."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc
    return prediction_service_pb2_grpc.PredictionServiceStub(grpc.insecure_channel(endpoint.grpc))


def _predict_request(encoded, model=MODEL, version=None):
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    request.inputs[IMAGE_BYTES_INPUT].CopyFrom(tf.make_tensor_proto(encoded))
    return request


def test_grpc_predict_gives_the_rest_masks(endpoint, exported):
    import tensorflow as tf
    response = _stub(endpoint).Predict(_predict_request(exported["encoded"]), timeout=60)
    assert set(response.outputs) == {MASK_PNG_OUTPUT, IMAGE_SIZE_OUTPUT}
    assert response.model_spec.name == MODEL and response.model_spec.version.value == 1
    assert tf.make_ndarray(response.outputs[IMAGE_SIZE_OUTPUT]).tolist() == [[28, 28]] * 3 + [[45, 31]]
    over_rest = ServingClient(endpoint.url, MODEL).segment(exported["encoded"])
    pngs = tf.make_ndarray(response.outputs[MASK_PNG_OUTPUT])
    for png, rest_mask, reference in zip(pngs, over_rest, exported["reference"]):
        np.testing.assert_array_equal(decode_png(png), rest_mask)
        np.testing.assert_array_equal(rest_mask, reference)


def test_grpc_errors_are_status_codes(endpoint, exported):
    import grpc
    stub = _stub(endpoint)
    cases = [("not an image", _predict_request([exported["encoded"][0], b"GIF89a? no, just text"]),
              grpc.StatusCode.INVALID_ARGUMENT, f"{IMAGE_BYTES_INPUT} holds bytes that are not a PNG or JPEG image"),
             ("unknown model", _predict_request(exported["encoded"][:1], model="nope"),
              grpc.StatusCode.NOT_FOUND, "nope"),
             ("unknown version", _predict_request(exported["encoded"][:1], version=7),
              grpc.StatusCode.NOT_FOUND, "7")]
    for what, request, code, text in cases:
        with pytest.raises(grpc.RpcError) as caught:
            stub.Predict(request, timeout=60)
        assert caught.value.code() == code, (what, caught.value.code(), caught.value.details())
        if endpoint.kind == "local":
            assert text in caught.value.details(), (what, caught.value.details())


def test_grpc_client_matches_the_rest_client(endpoint, exported):
    from coarseseg_tf.serving import GrpcServingClient
    rest_client = ServingClient(endpoint.url, MODEL)
    with GrpcServingClient(endpoint.grpc, MODEL, retries=0) as client:
        assert client.status() == rest_client.status()
        signatures = client.metadata()["metadata"]["signature_def"]["signature_def"]
        assert set(signatures[SERVING_SIGNATURE]["outputs"]) == {MASK_PNG_OUTPUT, IMAGE_SIZE_OUTPUT}
        for mask, reference in zip(client.segment(exported["encoded"]), exported["reference"]):
            np.testing.assert_array_equal(mask, reference)
        arrays = client.predict({IMAGE_BYTES_INPUT: exported["encoded"][2:]}, signature_name=ARRAYS_SIGNATURE)
        assert arrays[MASK_OUTPUT].shape == (2, 45, 31) and (arrays[MASK_OUTPUT][0, 28:] == 255).all()
        with pytest.raises(ServingError, match="not a PNG or JPEG") as caught:
            client.segment([b"plain text, not an image"])
        assert (caught.value.status, caught.value.code) == (400, "INVALID_ARGUMENT")
    with GrpcServingClient(endpoint.grpc, MODEL, version=7, retries=0) as client:
        with pytest.raises(ServingError) as caught:
            client.segment(exported["encoded"][:1])
        assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")


def test_grpc_client_retries_then_names_the_unreachable_server():
    from coarseseg_tf.serving import GrpcServingClient
    started = time.time()
    with GrpcServingClient(f"127.0.0.1:{_free_port()}", MODEL, retries=2, backoff=0.01, timeout=5) as client:
        with pytest.raises(ServingError) as caught:
            client.status()
    assert caught.value.code == "UNAVAILABLE" and caught.value.status == 503
    assert time.time() - started < 20


# ---------------------------------------------------------------- local server only
@pytest.fixture(scope="module")
def local(exported):
    server = _local_server(exported["base"], version_labels={"stable": 1, "canary": 5},
                           max_request_bytes=2_000_000, grpc_port=0)
    yield server
    server.stop()


def test_local_limits_labels_and_urls(local, exported):
    big = encode_png(np.zeros((256, 256), np.uint8))
    status, reply = _post(local.url, {"instances": [_b64(exported["encoded"][0]), _b64(big)]})
    assert status == 400 and f"{IMAGE_BYTES_INPUT}[1] is too large: 256x256" in reply["error"]
    examples = [make_example(np.zeros((28, 28), np.uint8)), make_example(np.zeros((256, 256), np.uint8))]
    status, reply = _post(local.url, {"signature_name": EXAMPLES_SIGNATURE,
                                      "instances": [_b64(e.SerializeToString()) for e in examples]})
    assert status == 400 and f"{EXAMPLES_INPUT}[1] (image/encoded) is too large: 256x256" in reply["error"]
    # the server reads a body a little over the limit before answering 413: no reset for urllib
    status, reply = _post(local.url, b"x" * 2_000_001)
    assert status == 413 and "exceeds the limit" in reply["error"]
    masks = ServingClient(local.url, MODEL, label="stable").segment(exported["encoded"][:1])
    np.testing.assert_array_equal(masks[0], exported["reference"][0])
    with pytest.raises(ServingError, match="Could not find version 5 of model coarseseg"):
        ServingClient(local.url, MODEL, label="canary").status()
    with pytest.raises(ServingError, match="Unrecognized servable version label: beta"):
        ServingClient(local.url, MODEL, label="beta").status()
    for method, path, expected in [("GET", "/v2/models", 404), ("POST", f"/v1/models/{MODEL}:classify", 404),
                                   ("GET", f"/v1/models/{MODEL}/versions/x", 400)]:
        request = urllib.request.Request(local.url + path, data=b"{}" if method == "POST" else None, method=method)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == expected and "error" in json.loads(caught.value.read())


def _raw(url, request: bytes, timeout=10.0):
    """(status, parsed JSON) of raw request bytes sent on a new connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("what, request_bytes, expected", [
    ("Content-Length not a number", b"POST /v1/models/coarseseg:predict HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400),
    ("negative Content-Length", b"POST /v1/models/coarseseg:predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400),
    ("declared body far over the limit, none sent",
     b"POST /v1/models/coarseseg:predict HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413),
    ("a Unicode digit as version", b"GET /v1/models/coarseseg/versions/\xb2 HTTP/1.1\r\n\r\n", 400),
    ("a 5,000-digit version", b"GET /v1/models/coarseseg/versions/" + b"9" * 5000 + b" HTTP/1.1\r\n\r\n", 400),
    ("JSON nested 50,000 deep", b"POST /v1/models/coarseseg:predict HTTP/1.1\r\nContent-Length: 50000\r\n\r\n"
                                + b"[" * 50_000, 400),
    ("an unknown method", b"DELETE /v1/models/coarseseg HTTP/1.1\r\n\r\n", 404),
])
def test_malformed_http_is_a_4xx_with_an_error(local, what, request_bytes, expected):
    status, reply = _raw(local.url, request_bytes)
    assert status == expected and isinstance(reply.get("error"), str), (what, status, reply)


@settings(max_examples=200, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD"]),
       path=st.text(st.characters(max_codepoint=255), max_size=40)
       | st.builds("/v1/models/{}{}".format,
                   st.sampled_from([MODEL, "x", ""]),
                   st.text(st.characters(max_codepoint=255), max_size=30)
                   | st.sampled_from(["/versions/1", "/versions/²", "/versions/" + "9" * 30, "/labels/stable",
                                      "/metadata", ":predict", "/versions/1/metadata", "/labels/x:predict"])),
       content_length=st.none() | st.text(max_size=6),
       body=st.binary(max_size=30))
def test_no_url_or_header_makes_the_app_fail(local, method, path, content_length, body):
    """ServingApp called directly (no socket): every answer is JSON, never a 500."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body)}
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    started = []
    payload = json.loads(b"".join(local.app(environ, lambda status, headers: started.append(status))))
    status = int(started[0].split()[0])
    assert status < 500, (status, payload)
    assert status == 200 or isinstance(payload.get("error"), str)


def test_slow_clients_hold_no_thread_and_time_out(exported):
    """20 half-sent requests stay open while a valid one is answered; silent ones are closed after the timeout."""
    server = _local_server(exported["base"], read_timeout=2, threads=2)
    host, port = server.url.removeprefix("http://").split(":")
    stalled = []
    try:
        for _ in range(20):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(b"POST /v1/models/coarseseg:predict HTTP/1.1\r\nContent-Length: 1000\r\n\r\n0123456789")
            stalled.append(sock)
        started = time.time()
        mask = ServingClient(server.url, MODEL, timeout=10, retries=0).segment(exported["encoded"][:1])[0]
        assert time.time() - started < 5
        np.testing.assert_array_equal(mask, exported["reference"][0])
        # silent for longer than read_timeout (2 s, looked for every second): the server hangs up
        assert stalled[0].recv(1024) == b""
        assert time.time() - started < 8
    finally:
        for sock in stalled:
            sock.close()
    try:
        mask = ServingClient(server.url, MODEL, timeout=10, retries=0).segment(exported["encoded"][:1])[0]
        np.testing.assert_array_equal(mask, exported["reference"][0])
    finally:
        server.stop()


def test_bad_requests_under_concurrent_load_leave_the_server_serving(local, exported):
    bad = _bad_requests(exported["encoded"])
    failures, done = [], threading.Event()

    def send_bad(worker):
        for i in range(60):
            what, path, body, expected, _ = bad[(worker + i) % len(bad)]
            status, reply = _post(local.url, body, path)
            if status != expected or "error" not in reply:
                failures.append((what, status, reply))

    def send_good():
        client = ServingClient(local.url, MODEL)
        while not done.is_set():
            for mask, reference in zip(client.segment(exported["encoded"]), exported["reference"]):
                if not np.array_equal(mask, reference):
                    failures.append(("good request got a wrong mask", None, None))

    good = [threading.Thread(target=send_good) for _ in range(2)]
    workers = [threading.Thread(target=send_bad, args=(w,)) for w in range(6)]
    for thread in good + workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    done.set()
    for thread in good:
        thread.join(timeout=60)
    assert not failures, failures[:5]
    masks = ServingClient(local.url, MODEL).segment(exported["encoded"])
    for mask, reference in zip(masks, exported["reference"]):
        np.testing.assert_array_equal(mask, reference)


def test_new_version_is_served_without_restart(tmp_path, exported):
    base = tmp_path / MODEL
    base.mkdir()
    server = _local_server(base, num_versions=2, poll_seconds=0.2)
    try:
        client = ServingClient(server.url, MODEL, retries=0)
        with pytest.raises(ServingError, match="Could not find any versions") as caught:
            client.status()
        assert caught.value.status == 404
        shutil.copytree(exported["base"] / "1", base / "1")
        _wait_for(lambda: server.models.versions() == [1], what="version 1")
        np.testing.assert_array_equal(client.segment(exported["encoded"][:1])[0], exported["reference"][0])

        newer = _model(seed=11)
        export_saved_model(newer, str(base / "2"))
        _wait_for(lambda: server.models.versions() == [1, 2], what="version 2")
        assert [s["version"] for s in client.status()["model_version_status"]] == ["2", "1"]
        expected = segment_image_bytes(serving_functions(newer)[SERVING_SIGNATURE], exported["encoded"])
        assert any(not np.array_equal(a, b) for a, b in zip(expected, exported["reference"])), \
            "the two versions should disagree somewhere, or this test proves nothing"
        for mask, reference in zip(client.segment(exported["encoded"]), expected):
            np.testing.assert_array_equal(mask, reference)
        pinned = ServingClient(server.url, MODEL, version=1).segment(exported["encoded"])
        np.testing.assert_array_equal(pinned[0], exported["reference"][0])

        # a broken push is reported and skipped: the versions it would replace keep serving
        (base / "3").mkdir()
        (base / "3" / "saved_model.pb").write_bytes(b"not a SavedModel")
        _wait_for(lambda: len(client.status()["model_version_status"]) == 3, what="version 3 to fail")
        status = client.status()["model_version_status"]
        assert status[0]["version"] == "3" and status[0]["state"] == "END"
        assert status[0]["status"]["error_message"]
        assert server.models.versions() == [1, 2]
        np.testing.assert_array_equal(client.segment(exported["encoded"][:1])[0], expected[0])
    finally:
        server.stop()


def test_half_written_version_serves_once_complete_and_status_follows_what_serves(tmp_path, exported):
    base = tmp_path / MODEL
    shutil.copytree(exported["base"] / "1", base / "1")
    server = _local_server(base, poll_seconds=0.2)
    try:
        client = ServingClient(server.url, MODEL, retries=0)
        # version 2 caught mid-copy: saved_model.pb there, variables not yet
        (base / "2").mkdir()
        shutil.copy(exported["base"] / "1" / "saved_model.pb", base / "2" / "saved_model.pb")
        _wait_for(lambda: len(client.status()["model_version_status"]) == 2, what="version 2 to fail")
        states = [(s["version"], s["state"]) for s in client.status()["model_version_status"]]
        assert states == [("2", "END"), ("1", "AVAILABLE")] and server.models.versions() == [1]
        for entry in exported["base"].joinpath("1").iterdir():
            if entry.is_dir():
                shutil.copytree(entry, base / "2" / entry.name)
        _wait_for(lambda: server.models.versions() == [2], what="version 2 to load once complete")
        status = client.status()["model_version_status"]
        assert [(s["version"], s["state"], s["status"]["error_code"]) for s in status] == [
            ("2", "AVAILABLE", "OK"), ("1", "END", "OK")]
        np.testing.assert_array_equal(client.segment(exported["encoded"][:1])[0], exported["reference"][0])

        # every version deleted: nothing serves, and nothing says AVAILABLE
        shutil.rmtree(base / "1")
        shutil.rmtree(base / "2")
        _wait_for(lambda: server.models.versions() == [], what="version 2 to unload")
        assert {s["state"] for s in client.status()["model_version_status"]} == {"END"}
        for call in (client.metadata, lambda: client.segment(exported["encoded"][:1])):
            with pytest.raises(ServingError) as caught:
                call()
            assert caught.value.status == 404
        assert ServingClient(server.url, MODEL, version=2).status()["model_version_status"][0]["state"] == "END"
    finally:
        server.stop()


# ---------------------------------------------------------------- client transport
class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first ``failures`` requests, then a model status; sleeps when told."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        server = self.server
        server.seen += 1
        time.sleep(server.delay)
        status, body = (503, {"error": "model is loading"}) if server.seen <= server.failures \
            else (200, {"model_version_status": []})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def flaky():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    server.seen, server.failures, server.delay = 0, 0, 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_client_retries_503_a_bounded_number_of_times(flaky):
    url = f"http://127.0.0.1:{flaky.server_address[1]}"
    flaky.failures = 2
    assert ServingClient(url, MODEL, retries=2, backoff=0.01).status() == {"model_version_status": []}
    assert flaky.seen == 3
    flaky.seen, flaky.failures = 0, 10
    with pytest.raises(ServingError, match="model is loading") as caught:
        ServingClient(url, MODEL, retries=1, backoff=0.01).status()
    assert caught.value.status == 503 and flaky.seen == 2


def test_client_timeout_and_connection_errors(flaky):
    flaky.delay = 1.0
    with pytest.raises(ServingError, match="no answer within 0.2s"):
        ServingClient(f"http://127.0.0.1:{flaky.server_address[1]}", MODEL, timeout=0.2).status()
    started = time.time()
    with pytest.raises(ServingError, match="cannot connect after 3 attempts"):
        ServingClient(f"http://127.0.0.1:{_free_port()}", MODEL, retries=2, backoff=0.01).status()
    assert time.time() - started < 5


# ---------------------------------------------------------------- CLI
def test_cli_predict_via_server_equals_via_model(local, exported, tmp_path):
    from coarseseg_tf.cli import main
    image = tmp_path / "digit.png"
    image.write_bytes(exported["encoded"][3])
    keras_path = tmp_path / "model.keras"
    exported["model"].save(keras_path)
    outputs = {}
    for name, source in [("server", ["--server", local.url, "--model-name", MODEL]),
                         ("grpc", ["--server", f"grpc://{local.grpc_target}", "--model-name", MODEL]),
                         ("keras", ["--model", str(keras_path)]),
                         ("saved_model", ["--model", str(exported["base"])])]:
        outputs[name] = tmp_path / f"{name}.png"
        main(["predict", str(image), *source, "-o", str(outputs[name])])
    masks = {name: np.asarray(Image.open(path)) for name, path in outputs.items()}
    np.testing.assert_array_equal(masks["server"], exported["reference"][3])
    np.testing.assert_array_equal(masks["keras"], masks["server"])
    np.testing.assert_array_equal(masks["saved_model"], masks["server"])
    np.testing.assert_array_equal(masks["grpc"], masks["server"])
    (tmp_path / "bad.png").write_bytes(b"not an image")
    for server in (local.url, f"grpc://{local.grpc_target}"):
        with pytest.raises(SystemExit, match="cannot read image .*not a PNG or JPEG"):
            main(["predict", str(tmp_path / "bad.png"), "--server", server, "--model-name", MODEL,
                  "-o", str(tmp_path / "x.png")])


def test_cli_export_writes_the_next_version(exported, tmp_path):
    from coarseseg_tf.cli import main
    keras_path = tmp_path / "model.keras"
    exported["model"].save(keras_path)
    base = tmp_path / "base"
    main(["export", "--model", str(keras_path), "-o", str(base)])
    assert (base / "1" / "saved_model.pb").exists()
    with pytest.raises(SystemExit, match="never overwritten"):
        main(["export", "--model", str(keras_path), "-o", str(base), "--version", "1"])
