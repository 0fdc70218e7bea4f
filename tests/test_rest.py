"""coarseseg_tf.serving.rest: TF Serving's JSON rules, without TensorFlow or a server."""
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from coarseseg_tf.export.contract import (EXAMPLES_SIGNATURE, IMAGE_BYTES_INPUT, MASK_OUTPUT, MASK_PNG_OUTPUT,
                                          SERVING_SIGNATURE)
from coarseseg_tf.serving import rest
from coarseseg_tf.serving.rest import RestError

ROOT = os.path.join(os.path.dirname(__file__), "..")
PNG_A, PNG_B = b"\x89PNG a", b"\x89PNG b"


def _inputs(request, names=(IMAGE_BYTES_INPUT,)):
    return rest.batched_inputs(rest.parse_predict_body(json.dumps(request).encode()), names)


def _b64(data):
    return rest.b64_object(data)


def test_row_and_columnar_bodies_give_the_same_inputs():
    expected = {IMAGE_BYTES_INPUT: [PNG_A, PNG_B]}
    assert _inputs({"instances": [{IMAGE_BYTES_INPUT: _b64(PNG_A)}, {IMAGE_BYTES_INPUT: _b64(PNG_B)}]}) == expected
    assert _inputs({"instances": [_b64(PNG_A), _b64(PNG_B)]}) == expected  # one input: bare values
    assert _inputs({"inputs": {IMAGE_BYTES_INPUT: [_b64(PNG_A), _b64(PNG_B)]}}) == expected
    assert _inputs({"inputs": [_b64(PNG_A), _b64(PNG_B)]}) == expected


def test_row_instances_of_columns_parse_back_to_the_columns():
    columns = {"a": [1, 2], "b": [_b64(PNG_A), _b64(PNG_B)]}
    assert rest.row_instances(columns) == [{"a": 1, "b": _b64(PNG_A)}, {"a": 2, "b": _b64(PNG_B)}]
    assert _inputs({"instances": rest.row_instances(columns)}, ("a", "b")) == {"a": [1, 2], "b": [PNG_A, PNG_B]}
    with pytest.raises(ValueError, match="one batch size"):
        rest.row_instances({"a": [1, 2], "b": [1]})


def test_two_inputs_row_and_columnar_agree_and_need_names():
    names = ("a", "b")
    row = _inputs({"instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}, names)
    assert row == _inputs({"inputs": {"a": [1, 2], "b": ["x", "y"]}}, names) == {"a": [1, 2], "b": [b"x", b"y"]}
    with pytest.raises(RestError, match="expecting list of objects"):
        _inputs({"instances": [1, 2]}, names)
    with pytest.raises(RestError, match="Missing named input: b"):
        _inputs({"inputs": {"a": [1]}}, names)
    with pytest.raises(RestError, match=r"element: 1 of 'instances' list: keys \['a'\]"):
        _inputs({"instances": [{"a": 1, "b": 2}, {"a": 1}]}, names)


@pytest.mark.parametrize("body, message", [
    (b"", "The document is empty"),
    (b'{"instances": [', "JSON Parse error"),
    (b"[1, 2]", "not an object"),
    (b'{"instances": [1], "inputs": [1]}', "expecting only one of 'inputs' or 'instances'"),
    (b'{"signature_name": "x"}', "Missing 'inputs' or 'instances' key"),
])
def test_malformed_bodies_are_400(body, message):
    with pytest.raises(RestError, match=message) as caught:
        rest.parse_predict_body(body)
    assert caught.value.status == 400


@pytest.mark.parametrize("value", [{"b64": "%%%not base64"}, {"b64": 123}])
def test_bad_base64_is_400(value):
    with pytest.raises(RestError, match="Unable to base64 decode") as caught:
        _inputs({"instances": [{IMAGE_BYTES_INPUT: value}]})
    assert caught.value.status == 400


def test_other_objects_are_not_values_and_empty_rows_are_refused():
    with pytest.raises(RestError, match="is not a value"):
        rest.json_to_python({"b64": "AA==", "extra": 1})
    with pytest.raises(RestError, match="No values in 'instances'"):
        _inputs({"instances": []})


def test_signature_name_defaults_and_must_be_a_string():
    assert rest.requested_signature({"instances": []}) == SERVING_SIGNATURE
    assert rest.requested_signature({"signature_name": "", "instances": []}) == SERVING_SIGNATURE
    assert rest.requested_signature({"signature_name": EXAMPLES_SIGNATURE}) == EXAMPLES_SIGNATURE
    with pytest.raises(RestError, match="must be a string"):
        rest.requested_signature({"signature_name": 3})


def test_responses_of_both_formats_read_back_to_the_same_columns():
    outputs = {MASK_OUTPUT: [[0, 1], [1, 1]], MASK_PNG_OUTPUT: [PNG_A, PNG_B]}
    row, columnar = rest.predict_response(outputs, True), rest.predict_response(outputs, False)
    assert row["predictions"][1] == {MASK_OUTPUT: [1, 1], MASK_PNG_OUTPUT: _b64(PNG_B)}  # *_bytes: base64
    assert columnar["outputs"][MASK_OUTPUT] == [[0, 1], [1, 1]]
    for response in (row, columnar):
        assert [rest.decode_b64_object(v) for v in rest.output_column(response, MASK_PNG_OUTPUT)] == [PNG_A, PNG_B]
    assert rest.predict_response({"text": [b"ok"]}, True) == {"predictions": ["ok"]}  # not *_bytes: UTF-8
    with pytest.raises(RestError, match="same batch size"):
        rest.predict_response({"a": [1, 2], "b": [1]}, True)


def test_client_bodies_hold_exactly_one_format():
    assert rest.predict_body(inputs=[1], signature_name="s") == {"inputs": [1], "signature_name": "s"}
    assert rest.predict_body(instances=[1]) == {"instances": [1]}
    for kwargs in ({}, {"instances": [1], "inputs": [1]}):
        with pytest.raises(ValueError, match="exactly one"):
            rest.predict_body(**kwargs)


def test_mask_png_is_returned_base64_by_the_bytes_suffix_rule():
    assert MASK_PNG_OUTPUT.endswith(rest.BYTES_SUFFIX)


def test_deep_nesting_huge_numbers_and_lone_surrogates_are_400():
    for body in (b"[" * 50_000, b'{"instances": ' + b"[" * 40 + b"1" + b"]" * 40 + b"}",
                 b'{"instances": [' + b"9" * 5_000 + b"]}"):
        with pytest.raises(RestError, match="JSON Parse error") as caught:
            rest.parse_predict_body(body)
        assert caught.value.status == 400
    with pytest.raises(RestError, match="not valid Unicode text"):
        _inputs({"instances": ["\ud800"]})


# ---------------------------------------------------------------- properties: RestError or a result, nothing else
# characters of every category, lone surrogates included (the default leaves them out)
_TEXT = st.text(st.characters(exclude_categories=()), max_size=8)
_KEYS = st.sampled_from([rest.INSTANCES, rest.INPUTS, rest.SIGNATURE_NAME, rest.B64_KEY, "a", "b"]) | _TEXT
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _TEXT | st.builds(_b64, st.binary(max_size=8)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=20)
_NAMES = st.lists(st.sampled_from(["a", "b", IMAGE_BYTES_INPUT]), min_size=1, max_size=3, unique=True)
_PROPERTY = settings(max_examples=200, deadline=None)


def _parse_all(body: bytes, names) -> None:
    """What the server does with a body before TensorFlow: parse, signature name, inputs."""
    request = rest.parse_predict_body(body)
    rest.requested_signature(request)
    rest.batched_inputs(request, names)


@_PROPERTY
@given(st.dictionaries(_KEYS, _JSON, max_size=4), _NAMES)
def test_any_json_request_gives_inputs_or_a_rest_error(request, names):
    try:
        _parse_all(json.dumps(request).encode(), names)
    except RestError as error:
        assert 400 <= error.status < 500 and error.message


@_PROPERTY
@given(st.binary(max_size=200) | _JSON.map(lambda value: json.dumps(value).encode()), _NAMES)
def test_any_bytes_give_inputs_or_a_rest_error(body, names):
    try:
        _parse_all(body, names)
    except RestError as error:
        assert 400 <= error.status < 500 and error.message


def test_contract_rest_and_client_import_without_tensorflow():
    code = ("import sys, coarseseg_tf.export.contract, coarseseg_tf.serving.rest, coarseseg_tf.serving.client; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    # a fresh interpreter: this one may have loaded TensorFlow for other tests; cwd=ROOT imports this checkout
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"
