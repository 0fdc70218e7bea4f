"""Drawings from people: PNG overlays, LabelMe and COCO polygons -> positive/negative maps."""
import json

import numpy as np
import pytest
from PIL import Image

from coarseseg_tf.data.datasets import drawings_import as di
from coarseseg_tf.data.datasets.files import DatasetError, DatasetWarning

H, W = 12, 16


def _overlay(path, alpha=True):
    """Red positive box rows 2-4 x cols 3-6, blue negative stroke row 9, an anti-aliased red pixel."""
    layer = np.zeros((H, W, 4), np.uint8)
    layer[2:5, 3:7] = (255, 0, 0, 255)
    layer[9, 1:15] = (0, 0, 255, 255)
    layer[5, 3] = (230, 20, 25, 200)  # blended edge: within tolerance
    layer[0, 0] = (255, 0, 0, 60)  # faint fringe: below the alpha threshold, not drawn
    if alpha:
        Image.fromarray(layer).save(path)
    else:
        Image.fromarray(layer[..., :3]).save(path)
    return layer


def test_overlay_with_alpha_decodes_pixel_by_pixel(tmp_path):
    _overlay(tmp_path / "a.png")
    maps = di.read_overlay(str(tmp_path / "a.png"))
    positive = np.full((H, W), 255, np.uint8)
    positive[2:5, 3:7] = 1
    positive[5, 3] = 1
    negative = np.full((H, W), 255, np.uint8)
    negative[9, 1:15] = 1
    np.testing.assert_array_equal(maps["positive"], positive)
    np.testing.assert_array_equal(maps["negative"], negative)


def test_overlay_without_alpha_uses_the_background_and_custom_classes(tmp_path):
    layer = _overlay(tmp_path / "a.png", alpha=False)
    colors = di.OverlayColors(positive={2: "#ff0000"}, negative={3: (0, 0, 255)}, tolerance=30)
    maps = di.read_overlay(str(tmp_path / "a.png"), colors)
    np.testing.assert_array_equal(maps["positive"] == 2, (layer[..., 0] > 200) & (layer[..., 2] < 30))
    np.testing.assert_array_equal(maps["negative"] == 3, layer[..., 2] == 255)
    assert set(np.unique(maps["positive"])) == {2, 255}


def test_overlay_problems_name_the_file(tmp_path):
    layer = _overlay(tmp_path / "a.png")
    layer[7, 7] = (0, 255, 0, 255)
    Image.fromarray(layer).save(tmp_path / "stray.png")
    with pytest.warns(DatasetWarning, match=r"stray.png: 1 drawn pixel\(s\) .* \(0, 255, 0\) at x=7, y=7"):
        maps = di.read_overlay(str(tmp_path / "stray.png"))
    assert maps["positive"][7, 7] == 255 and maps["negative"][7, 7] == 255
    with pytest.raises(DatasetError, match="stray.png: 1 drawn pixel"):
        di.read_overlay(str(tmp_path / "stray.png"), strict=True)
    with pytest.raises(DatasetError, match=r"a.png is 16x12 \(WxH\) but img.png is 20x12"):
        di.read_overlay(str(tmp_path / "a.png"), image_shape=(12, 20, 3), image_path="img.png")
    Image.fromarray(np.zeros((H, W, 4), np.uint8)).save(tmp_path / "blank.png")
    with pytest.warns(DatasetWarning, match="blank.png: the drawing is empty"):
        di.read_overlay(str(tmp_path / "blank.png"))
    with pytest.raises(ValueError, match="within twice the tolerance"):
        di.OverlayColors(positive={1: "red"}, negative={1: "#e01010"})


def _labelme(path, shapes, height=H, width=W):
    data = {"version": "5.4.1", "flags": {}, "shapes": shapes, "imagePath": "a.jpg", "imageData": None,
            "imageHeight": height, "imageWidth": width}
    path.write_text(json.dumps(data))


def _shape(label, points, shape_type="polygon"):
    return {"label": label, "points": points, "group_id": None, "description": "",
            "shape_type": shape_type, "flags": {}}


def test_labelme_shapes_become_maps(tmp_path):
    _labelme(tmp_path / "a.json", [
        _shape("vessel", [[2, 3], [10, 3], [10, 8], [2, 8]]),
        _shape("not vessel", [[0, 11], [15, 11]], "line"),
        _shape("2", [[12, 0], [14, 2]], "rectangle"),
    ])
    maps = di.read_labelme(str(tmp_path / "a.json"), di.LabelNames(classes={"vessel": 1}), line_width=1)
    positive = np.full((H, W), 255, np.uint8)
    positive[3:9, 2:11] = 1  # filled with its outline, as LabelMe rasterises
    positive[0:3, 12:15] = 2
    negative = np.full((H, W), 255, np.uint8)
    negative[11, 0:16] = 1
    np.testing.assert_array_equal(maps["positive"], positive)
    np.testing.assert_array_equal(maps["negative"], negative)


def test_labelme_problems(tmp_path):
    _labelme(tmp_path / "a.json", [_shape("tree", [[2, 3], [10, 3], [10, 8]]),
                                   _shape("positive", [[1, 1], [3, 3]], "cuboid")])
    with pytest.warns(DatasetWarning) as caught:
        maps = di.read_labelme(str(tmp_path / "a.json"))
    messages = " ".join(str(w.message) for w in caught)
    assert "unknown label 'tree'" in messages and "'cuboid' is not supported" in messages
    assert "a.json: the drawing is empty" in messages and (maps["positive"] == 255).all()
    with pytest.raises(DatasetError, match="unknown label 'tree'"):
        di.read_labelme(str(tmp_path / "a.json"), strict=True)
    _labelme(tmp_path / "b.json", [_shape("positive", [[1, 1], [3, 3], [1, 3]])])
    with pytest.raises(DatasetError, match=r"b.json is 16x12 \(WxH\) but the image is 16x10"):
        di.read_labelme(str(tmp_path / "b.json"), image_shape=(10, 16))
    (tmp_path / "c.json").write_text("{not json")
    with pytest.raises(DatasetError, match="c.json: not valid JSON"):
        di.read_labelme(str(tmp_path / "c.json"))


def _coco(path):
    data = {"images": [{"id": 1, "file_name": "street/a.png", "height": H, "width": W},
                       {"id": 2, "file_name": "b.png", "height": 8, "width": 8}],
            "categories": [{"id": 1, "name": "car", "supercategory": ""},
                           {"id": 2, "name": "not car", "supercategory": ""}],
            "annotations": [
                {"id": 10, "image_id": 1, "category_id": 1, "iscrowd": 0,
                 "segmentation": [[2, 3, 10, 3, 10, 8, 2, 8]], "bbox": [2, 3, 8, 5], "area": 40},
                {"id": 11, "image_id": 1, "category_id": 2, "iscrowd": 0,
                 "segmentation": [[12, 0, 15, 0, 15, 11, 12, 11]], "bbox": [12, 0, 3, 11], "area": 33},
                {"id": 12, "image_id": 2, "category_id": 1, "iscrowd": 1,
                 "segmentation": {"counts": "abc", "size": [8, 8]}, "bbox": [0, 0, 1, 1], "area": 1}]}
    path.write_text(json.dumps(data))


def test_coco_polygons_become_maps_per_image(tmp_path):
    _coco(tmp_path / "instances.json")
    with pytest.warns(DatasetWarning) as caught:
        maps = di.read_coco(str(tmp_path / "instances.json"), di.LabelNames(classes={"car": 1}))
    messages = " ".join(str(w.message) for w in caught)
    assert "annotation 2 (id 12): RLE" in messages and "image 'b': the drawing is empty" in messages
    positive = np.full((H, W), 255, np.uint8)
    positive[3:9, 2:11] = 1
    negative = np.full((H, W), 255, np.uint8)
    negative[0:12, 12:16] = 1
    np.testing.assert_array_equal(maps["a"]["positive"], positive)
    np.testing.assert_array_equal(maps["a"]["negative"], negative)
    assert maps["b"]["positive"].shape == (8, 8)


def test_import_folder_writes_maps_and_reports_coverage(tmp_path, capsys):
    from coarseseg_tf.cli import main
    (tmp_path / "overlays").mkdir()
    (tmp_path / "images").mkdir()
    for stem in ("a", "b"):
        _overlay(tmp_path / "overlays" / f"{stem}.png")
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(tmp_path / "images" / f"{stem}.png")
    main(["import-drawings", str(tmp_path / "overlays"), "--images", str(tmp_path / "images"),
          "-o", str(tmp_path), "--report", str(tmp_path / "coverage.json")])
    out = capsys.readouterr().out
    # 13 positive and 14 negative pixels of 192
    assert "a: positive 6.8 %, negative 7.3 % of pixels" in out
    report = json.loads((tmp_path / "coverage.json").read_text())
    assert report[1] == {"key": "b", "positive": 13 / 192, "negative": 14 / 192}
    written = np.asarray(Image.open(tmp_path / "positive" / "a.png"))
    assert written.shape == (H, W) and (written == 1).sum() == 13
    # the output is an image folder that the folder reader takes as is
    from coarseseg_tf.data.datasets import folders
    assert [r.key for r in folders.iter_records(str(tmp_path))] == ["a", "b"]
    Image.fromarray(np.zeros((H, W + 1, 3), np.uint8)).save(tmp_path / "images" / "b.png")
    with pytest.raises(SystemExit, match="b.png is 16x12"):
        main(["import-drawings", str(tmp_path / "overlays"), "--images", str(tmp_path / "images"),
              "-o", str(tmp_path / "x")])


def test_cli_import_labelme_with_named_classes_and_strict(tmp_path, capsys):
    from coarseseg_tf.cli import main
    (tmp_path / "json").mkdir()
    _labelme(tmp_path / "json" / "a.json", [_shape("car", [[2, 3], [10, 3], [10, 8], [2, 8]])])
    _labelme(tmp_path / "json" / "b.json", [_shape("bus", [[2, 3], [10, 3], [10, 8]])])
    with pytest.warns(DatasetWarning, match="unknown label 'bus'"):
        main(["import-drawings", str(tmp_path / "json"), "--format", "labelme", "--label", "car=13",
              "-o", str(tmp_path / "out")])
    assert "a: positive 28.1 %, negative 0.0 %" in capsys.readouterr().out
    assert set(np.unique(np.asarray(Image.open(tmp_path / "out" / "positive" / "a.png")))) == {13, 255}
    with pytest.raises(SystemExit, match="unknown label 'bus'"):
        main(["import-drawings", str(tmp_path / "json"), "--format", "labelme", "--label", "car=13",
              "-o", str(tmp_path / "out"), "--strict"])
