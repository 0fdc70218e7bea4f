"""Malformed drawings files and label maps: a DatasetError/ValueError naming the problem, never another exception.

Named cases first (each message names the file and the index), then hypothesis
feeding arbitrary JSON-ish structures to the LabelMe and COCO importers and arbitrary
arrays to the label-map checks.
"""
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coarseseg_tf.data.datasets import drawings_import as di
from coarseseg_tf.data.datasets.files import DatasetError, DatasetWarning
from coarseseg_tf.labels import as_label_batch, check_label_map

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD_SHAPE = {"label": "positive", "points": [[1, 1], [6, 1], [6, 5]], "shape_type": "polygon"}


def _labelme(path, shapes, height=8, width=8):
    path.write_text(json.dumps({"shapes": shapes, "imageHeight": height, "imageWidth": width}))
    return str(path)


def _coco(path, images=None, categories=None, annotations=None):
    data = {"images": [{"id": 1, "file_name": "a.png", "height": 8, "width": 8}] if images is None else images,
            "categories": [{"id": 1, "name": "positive"}] if categories is None else categories,
            "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 6, 1, 6, 5]]}]
            if annotations is None else annotations}
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("shapes, height, message", [
    (["a polygon"], 8, r"shape 0 must be an object"),
    ([GOOD_SHAPE, {"label": "positive", "points": [1, 1, 6, 1, 6, 5]}], 8, r"shape 1 \('positive'\): points must be a list of \[x, y\] pairs"),
    ([{"label": "positive", "points": [[1, 1], ["a", 2], [3, 3]]}], 8, r"shape 0 .*coordinates must be numbers"),
    ([{"label": "positive", "points": [[1, 1], [float("nan"), 2], [3, 3]]}], 8, r"shape 0 .*must be finite"),
    ([{"label": "positive", "points": [[1, 1], [float("inf"), 2], [3, 3]]}], 8, r"shape 0 .*must be finite"),
    ([GOOD_SHAPE], 1000000, r"imageHeight/imageWidth: 1000000x1000000 \(WxH\) pixels is more than the 67108864"),
    ([GOOD_SHAPE], -3, r"imageHeight/imageWidth: the height must be an integer >= 1, got -3"),
    ([GOOD_SHAPE], "8", r"imageHeight/imageWidth: the height must be an integer >= 1, got '8'"),
])
def test_malformed_labelme_names_file_and_shape(tmp_path, shapes, height, message):
    path = _labelme(tmp_path / "x.json", shapes, height, 1000000 if height == 1000000 else 8)
    with pytest.raises(DatasetError, match="x.json: " + message):
        di.read_labelme(path)


@pytest.mark.parametrize("part, value, message", [
    ("categories", [{"name": "positive"}], r"category 0 must be an object with an integer 'id'"),
    ("categories", ["positive"], r"category 0 must be an object"),
    ("images", [{"id": 1, "file_name": "a.png", "width": 8}], r"image 0 \('a'\): the height must be an integer"),
    ("images", [{"id": 1, "height": 8, "width": 8}], r"image 0 must be an object with an integer 'id', a 'file_name'"),
    ("images", [{"id": 1, "file_name": "a.png", "height": 100000, "width": 100000}], r"image 0 \('a'\): .*more than"),
    ("annotations", [{"id": 5, "image_id": [1], "category_id": 1, "segmentation": []}], r"annotation 0 \(id 5\): image_id \[1\]"),
    ("annotations", [{"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 6, float("nan"), 6, 5]]}],
     r"annotation 0 \(id 5\), polygon 0: coordinates must be finite"),
    ("annotations", [{"id": 5, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 6]]}],
     r"annotation 0 \(id 5\), polygon 0: a polygon must be a flat list"),
    ("annotations", [{"id": 5, "image_id": 1, "category_id": 1, "segmentation": "abc"}],
     r"annotation 0 \(id 5\): segmentation must be a list of polygons"),
    ("annotations", [7], r"annotation 0 must be an object"),
])
def test_malformed_coco_names_file_and_index(tmp_path, part, value, message):
    path = _coco(tmp_path / "c.json", **{part: value})
    with pytest.raises(DatasetError, match="c.json: " + message):
        di.read_coco(path)


def _only_refusals(call):
    """Runs ``call``; a refusal must be a DatasetError/ValueError with a message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DatasetWarning)
            call()
    except ValueError as error:  # DatasetError is one
        assert str(error).strip()


numbers = st.one_of(st.integers(-50, 50), st.floats(allow_nan=True, allow_infinity=True), st.integers())
leaves = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5))
json_ish = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
points = st.one_of(json_ish, st.lists(st.lists(numbers, min_size=2, max_size=2), max_size=5))
shapes = st.one_of(json_ish, st.fixed_dictionaries(
    {"label": st.one_of(st.sampled_from(["positive", "negative", "not 1", "3", "²"]), json_ish),
     "points": points, "shape_type": st.one_of(st.sampled_from(sorted(di._MIN_POINTS)), json_ish)}))
sizes = st.one_of(st.integers(-2, 40), json_ish, st.just(10 ** 6))


@SETTINGS
@given(shapes=st.one_of(json_ish, st.lists(shapes, max_size=4)), height=sizes, width=sizes)
def test_labelme_refuses_any_structure_with_a_clear_error(tmp_path, shapes, height, width):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"shapes": shapes, "imageHeight": height, "imageWidth": width}))
    _only_refusals(lambda: di.read_labelme(str(path)))


ids = st.one_of(st.integers(0, 3), json_ish)


@SETTINGS
@given(images=st.one_of(json_ish, st.lists(st.one_of(json_ish, st.fixed_dictionaries(
           {"id": ids, "file_name": st.one_of(st.sampled_from(["a.png", "b.jpg"]), json_ish),
            "height": sizes, "width": sizes})), max_size=3)),
       categories=st.one_of(json_ish, st.lists(st.one_of(json_ish, st.fixed_dictionaries(
           {"id": ids, "name": st.one_of(st.sampled_from(["positive", "not 2"]), json_ish)})), max_size=3)),
       annotations=st.one_of(json_ish, st.lists(st.one_of(json_ish, st.fixed_dictionaries(
           {"id": ids, "image_id": ids, "category_id": ids,
            "segmentation": st.one_of(json_ish, st.lists(st.lists(numbers, max_size=8), max_size=2))})),
           max_size=3)))
def test_coco_refuses_any_structure_with_a_clear_error(tmp_path, images, categories, annotations):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"images": images, "categories": categories, "annotations": annotations}))
    _only_refusals(lambda: di.read_coco(str(path)))


arrays = st.one_of(json_ish, st.lists(st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=3),
                                      min_size=1, max_size=2))


@SETTINGS
@given(labels=arrays, num_classes=st.integers(2, 300))
def test_label_checks_refuse_anything_with_a_clear_error(labels, num_classes):
    images = np.zeros((2, 3, 3, 1), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.VisibleDeprecationWarning)  # ragged lists
        _only_refusals(lambda: as_label_batch(labels, images, num_classes, "positive"))
        _only_refusals(lambda: check_label_map(labels, num_classes))


def test_label_checks_name_what_they_refuse():
    images = np.zeros((1, 2, 2, 1), np.float32)
    with pytest.raises(ValueError, match="positive must hold integer class labels, got dtype <U1"):
        as_label_batch([[["a", "b"], ["c", "d"]]], images, 2, "positive")
    with pytest.raises(ValueError, match=r"positive\[0\] holds label 1e\+300"):
        as_label_batch(np.full((1, 2, 2), 1e300), images, 2, "positive")
    with pytest.raises(ValueError, match="mask must hold integer class labels, got NaN"):
        check_label_map([[0.0, np.nan]], 2)
