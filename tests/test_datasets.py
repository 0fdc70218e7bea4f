"""Dataset readers on fixtures in the published layouts: decoded arrays checked pixel by pixel."""
import os

import numpy as np
import pytest
from PIL import Image

from coarseseg_tf import tiling
from coarseseg_tf.data.datasets import cityscapes, converters, folders, fundus
from coarseseg_tf.data.examples import decode_example
from coarseseg_tf.data.datasets.files import DatasetError, DatasetWarning
from fixtures_datasets import CITYSCAPES_FRAMES, write_cityscapes, write_image_folder, write_les_av

# the official train ids of the label ids the fixture uses, written out independently of the module
EXPECTED_TRAIN_ID = {0: 255, 1: 255, 7: 0, 8: 1, 9: 255, 11: 2, 17: 5, 20: 7, 21: 8, 23: 10, 24: 11, 26: 13}


def _train_ids(label_ids):
    return np.vectorize(EXPECTED_TRAIN_ID.__getitem__, otypes=[np.uint8])(label_ids)


def _read_tfrecord(path):
    import tensorflow as tf
    return [decode_example(r.numpy()) for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]


@pytest.fixture(scope="module")
def cityscapes_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cityscapes")
    return str(root), write_cityscapes(root)


@pytest.fixture(scope="module")
def les_av_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("LES-AV")
    return str(root), write_les_av(root)


# ---------------------------------------------------------------- Cityscapes
def test_label_table_has_the_19_train_ids_once():
    train_ids = sorted(t for _, _, t in cityscapes.LABELS if t != 255)
    assert train_ids == list(range(19))
    assert sorted(i for _, i, _ in cityscapes.LABELS) == [-1] + list(range(34))
    assert cityscapes.CLASS_NAMES[:3] == ("road", "sidewalk", "building")
    assert cityscapes.CLASS_NAMES[13] == "car" and cityscapes.CLASS_NAMES[18] == "bicycle"
    ids = np.arange(34, dtype=np.uint8).reshape(2, 17)
    mapped = cityscapes.to_train_ids(ids)
    assert mapped[0, 7] == 0 and mapped[1, 33 - 17] == 18 and mapped[0, 9] == 255  # road, bicycle, parking


def test_cityscapes_decodes_images_masks_and_coarse_drawings(cityscapes_root):
    root, written = cityscapes_root
    records = list(cityscapes.iter_records(root, "train"))
    assert [r.key for r in records] == sorted(CITYSCAPES_FRAMES["train"])
    for record in records:
        source = written[record.key]
        np.testing.assert_array_equal(record.image, source["image"])
        np.testing.assert_array_equal(record.mask, _train_ids(source["fine"]))
        np.testing.assert_array_equal(record.positive, _train_ids(source["coarse"]))
        # the negative drawing says "not ȳ" for one drawn class, only where the coarse annotation is
        drawn = record.negative != 255
        (target,) = np.unique(record.negative[drawn])
        assert target in np.unique(record.positive) and drawn.sum() > 100
        assert (record.positive[drawn] != 255).all()
        assert (record.positive[drawn] == target).mean() < 0.2
    again = list(cityscapes.iter_records(root, "train"))
    assert all((a.negative == b.negative).all() for a, b in zip(records, again))


def test_cityscapes_resize_uses_nearest_neighbour_and_crop_centres(cityscapes_root):
    root, written = cityscapes_root
    key = CITYSCAPES_FRAMES["val"][0]
    (record,) = [r for r in cityscapes.iter_records(root, "val", size=(32, 64), crop=(32, 48)) if r.key == key]
    assert record.image.shape == (32, 48, 3)
    full = Image.fromarray(_train_ids(written[key]["fine"])).resize((64, 32), Image.NEAREST)
    np.testing.assert_array_equal(record.mask, np.asarray(full)[:, 8:56])
    assert set(np.unique(record.mask)) <= set(EXPECTED_TRAIN_ID.values())


def test_negative_drawings_of_large_maps_are_made_at_the_work_size(cityscapes_root):
    coarse = _train_ids(cityscapes_root[1][CITYSCAPES_FRAMES["train"][0]]["coarse"])
    large = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)
    positive, negative = cityscapes.coarse_drawings(large, "frame", work_size=(64, 128))
    np.testing.assert_array_equal(positive, large)
    drawn = negative != 255
    assert negative.shape == large.shape and len(np.unique(negative[drawn])) == 1
    assert drawn.sum() > 400 and (large[drawn] != 255).all()


def test_negative_drawings_are_the_styles_seeded_by_the_frame_key(cityscapes_root):
    """What draw() makes for the frame's key: the target picked among the drawn classes by
    the key's generator, then the style's negative recipe with that same generator."""
    from coarseseg_tf.data.synthesis.draw import key_rng
    from coarseseg_tf.data.synthesis.morpho import synthesize_drawings
    from coarseseg_tf.data.synthesis.styles import STYLES
    coarse = _train_ids(cityscapes_root[1][CITYSCAPES_FRAMES["train"][0]]["coarse"])
    _, negative = cityscapes.coarse_drawings(coarse, "frame", seed=2, work_size=None)
    rng = key_rng("frame", 2)
    present = [c for c in range(cityscapes.NUM_CLASSES) if (coarse == c).any()]
    expected = synthesize_drawings(coarse, rng, cityscapes.NUM_CLASSES, int(rng.choice(present)),
                                   positive=None, negative=STYLES["morpho"].negative).negative
    np.testing.assert_array_equal(negative, np.where(coarse != 255, expected, 255))


def _copy_tree(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return str(dst)


def test_cityscapes_missing_label_file_is_named(cityscapes_root, tmp_path):
    root = _copy_tree(cityscapes_root[0], tmp_path / "cs")
    missing = os.path.join(root, "gtFine", "train", "aachen", "aachen_000001_000019_gtFine_labelIds.png")
    os.remove(missing)
    with pytest.raises(DatasetError, match="1 Cityscapes label file") as error:
        list(cityscapes.iter_records(root, "train"))
    assert missing in str(error.value)
    with pytest.raises(DatasetError, match="no Cityscapes images"):
        list(cityscapes.iter_records(root, "test"))


def test_cityscapes_unknown_id_warns_and_strict_raises(cityscapes_root, tmp_path):
    root = _copy_tree(cityscapes_root[0], tmp_path / "cs")
    path = os.path.join(root, "gtFine", "val", "lindau", "lindau_000000_000019_gtFine_labelIds.png")
    ids = np.asarray(Image.open(path)).copy()
    ids[5, 5] = 40
    Image.fromarray(ids).save(path)
    with pytest.warns(DatasetWarning, match=r"lindau_000000_000019_gtFine_labelIds.png: unknown .* \[40\]"):
        records = {r.key: r for r in cityscapes.iter_records(root, "val")}
    assert records["lindau_000000_000019"].mask[5, 5] == 255
    with pytest.raises(DatasetError, match="unknown Cityscapes label id"):
        list(cityscapes.iter_records(root, "val", strict=True))


def test_cityscapes_label_of_another_size_is_an_error(cityscapes_root, tmp_path):
    root = _copy_tree(cityscapes_root[0], tmp_path / "cs")
    path = os.path.join(root, "gtCoarse", "val", "frankfurt", "frankfurt_000000_000294_gtCoarse_labelIds.png")
    Image.fromarray(np.zeros((32, 64), np.uint8)).save(path)
    with pytest.raises(DatasetError, match="frankfurt_000000_000294_gtCoarse_labelIds.png is 64x32"):
        list(cityscapes.iter_records(root, "val"))


def test_low_rank_training_at_19_classes_and_miou_ignores_255(cityscapes_root):
    import coarseseg_tf
    from coarseseg_tf.metrics import confusion_matrix
    root, _ = cityscapes_root
    train = cityscapes.load_arrays(root, "train")
    val = cityscapes.load_arrays(root, "val")
    result = coarseseg_tf.fit(train["images"], train["positive"], train["negative"],
                              num_classes=cityscapes.NUM_CLASSES, method="cm", cm_form="low_rank", cm_rank=2,
                              epochs=1, batch_size=2, width=8, depth=2, verbose=0)
    assert np.isfinite(result.history.history["loss"]).all()
    predictions = result.model.segment(val["images"])
    assert predictions.shape == val["masks"].shape and predictions.max() < 19
    keep = val["masks"] != 255
    assert (~keep).sum() > 500  # ego vehicle, parking, pole tops: ignored pixels are there
    assert confusion_matrix(val["masks"], predictions, 19).sum() == keep.sum()
    assert coarseseg_tf.mean_iou(val["masks"], predictions, 19) == pytest.approx(
        coarseseg_tf.mean_iou(val["masks"][keep], predictions[keep], 19))


# ---------------------------------------------------------------- fundus
def test_fundus_masks_are_255_outside_the_field_of_view(les_av_root):
    root, written = les_av_root
    records = list(fundus.iter_records(root))
    assert [r.key for r in records] == sorted(written)
    for record in records:
        source = written[record.key]
        np.testing.assert_array_equal(record.image, source["image"])
        expected = np.where(source["fov"], source["vessels"].astype(np.uint8), 255)
        np.testing.assert_array_equal(record.mask, expected)
        assert record.positive is None and record.negative is None


def test_fundus_drawings_are_cut_to_the_field_of_view(les_av_root, tmp_path):
    root = _copy_tree(les_av_root[0], tmp_path / "les")
    fov = les_av_root[1]["12"]["fov"]
    drawing = np.full(fov.shape, 255, np.uint8)
    drawing[:10, :] = 1  # crosses the edge of the eye
    os.makedirs(os.path.join(root, "positive"))
    Image.fromarray(drawing).save(os.path.join(root, "positive", "12.png"))
    (record,) = [r for r in fundus.iter_records(root) if r.key == "12"]
    np.testing.assert_array_equal(record.positive, np.where(fov, drawing, 255))


def test_fundus_missing_fov_file_and_folder(les_av_root, tmp_path):
    root = _copy_tree(les_av_root[0], tmp_path / "les")
    os.remove(os.path.join(root, "masks", "15_mask.gif"))
    with pytest.raises(DatasetError, match=r"15.png has no file in .*masks"):
        list(fundus.iter_records(root))
    import shutil
    shutil.rmtree(os.path.join(root, "masks"))
    with pytest.warns(DatasetWarning, match="field-of-view"):
        records = list(fundus.iter_records(root))
    assert all((r.mask != 255).all() for r in records)
    with pytest.raises(DatasetError, match="field-of-view"):
        list(fundus.iter_records(root, strict=True))


def test_tiles_cover_the_image_and_skip_tiles_outside_the_fov():
    assert tiling.tile_starts(10, 4, 2) == [0, 2, 4, 6]
    assert tiling.tile_starts(11, 4, 1) == [0, 3, 6, 7]
    assert tiling.tile_starts(3, 4, 1) == [0]
    image = np.arange(6 * 7).reshape(6, 7)
    tiles, positions = tiling.tile_image(image, (4, 5), overlap=2)
    assert positions == [(0, 0), (0, 2), (2, 0), (2, 2)]
    for tile, (top, left) in zip(tiles, positions):
        np.testing.assert_array_equal(tile, image[top: top + 4, left: left + 5])
    from coarseseg_tf.data.examples import ImageRecord
    mask = np.full((8, 8), 255, np.uint8)
    mask[:4, :4] = 1
    record = ImageRecord("eye", np.zeros((8, 8, 3), np.uint8), mask=mask)
    kept = list(fundus.tile_record(record, 4))
    assert [r.key for r in kept] == ["eye@0,0"] and (kept[0].mask == 1).all()


class _ConstantPerTile:
    """A stand-in model: tile i predicts class probabilities (i, 1 - i) / ... everywhere."""

    depth = 0

    def predict(self, tiles, batch_size, verbose):
        values = np.arange(len(tiles), dtype=np.float32)[:, None, None, None]
        return np.concatenate([np.broadcast_to(values, tiles.shape[:3] + (1,)),
                               np.broadcast_to(10 - values, tiles.shape[:3] + (1,))], -1) / 10


def test_stitching_averages_overlapping_tiles():
    probabilities = tiling.predict_tiled(_ConstantPerTile(), np.zeros((6, 4), np.uint8), tile=4, overlap=2)
    # tile 0 covers rows 0-3 (value 0), tile 1 rows 2-5 (value 0.1): rows 2-3 hold their mean
    np.testing.assert_allclose(probabilities[:2, :, 0], 0.0)
    np.testing.assert_allclose(probabilities[2:4, :, 0], 0.05)
    np.testing.assert_allclose(probabilities[4:, :, 0], 0.1)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0)


def test_segment_tiled_matches_whole_image_segmentation(les_av_root):
    from coarseseg_tf import CoarseSegModel
    model = CoarseSegModel(num_classes=2, input_channels=3, width=4, depth=2)
    model.build()
    image = les_av_root[1]["111"]["image"][:56, :64]
    whole = model.predict(image[None].astype(np.float32) / 255, verbose=0)[0]
    np.testing.assert_allclose(tiling.predict_tiled(model, image, tile=(56, 64)), whole, atol=1e-5)
    tiled = tiling.segment_tiled(model, image, tile=32, overlap=8)
    assert tiled.shape == (56, 64) and tiled.dtype == np.uint8
    with pytest.raises(ValueError, match="divisible by 4"):
        tiling.segment_tiled(model, image, tile=30)


# ---------------------------------------------------------------- image folders
def test_folder_reads_every_map_by_stem(tmp_path):
    written = write_image_folder(tmp_path)
    records = list(folders.iter_records(str(tmp_path), num_classes=3))
    assert [r.key for r in records] == ["a", "b", "c"]
    for record in records:
        source = written[record.key]
        for name in ("image", "mask", "positive", "negative"):
            if source[name] is None:
                assert getattr(record, name) is None
            else:
                np.testing.assert_array_equal(getattr(record, name), source[name])
    arrays = folders.load_arrays(str(tmp_path), num_classes=3)
    assert arrays["images"].shape == (3, 24, 32, 3) and (arrays["negative"][2] == 255).all()


def test_folder_lists_unmatched_files(tmp_path):
    write_image_folder(tmp_path)
    Image.fromarray(np.zeros((24, 32), np.uint8)).save(tmp_path / "positive" / "orphan.png")
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(tmp_path / "images" / "lonely.png")
    with pytest.raises(DatasetError) as error:
        list(folders.iter_records(str(tmp_path), num_classes=3))
    assert "orphan.png" in str(error.value) and "lonely.png" in str(error.value)


def test_folder_bad_labels_are_named(tmp_path):
    write_image_folder(tmp_path)
    with pytest.raises(DatasetError, match=r"masks/a.png: unknown label id\(s\) \[2\]"):
        list(folders.iter_records(str(tmp_path), num_classes=2))
    Image.fromarray(np.full((20, 32), 1, np.uint8)).save(tmp_path / "positive" / "b.png")
    with pytest.raises(DatasetError, match=r"positive/b.png is 32x20 \(WxH\) but .*images/b.png is 32x24"):
        list(folders.iter_records(str(tmp_path), num_classes=3))
    Image.fromarray(np.full((24, 32), 255, np.uint8)).save(tmp_path / "positive" / "b.png")
    with pytest.warns(DatasetWarning, match="positive/b.png: the drawing is empty"):
        list(folders.iter_records(str(tmp_path), num_classes=3))
    with pytest.raises(DatasetError, match="the drawing is empty"):
        list(folders.iter_records(str(tmp_path), num_classes=3, strict=True))


def test_folder_binary_masks(tmp_path):
    write_image_folder(tmp_path)
    mask = np.zeros((24, 32), np.uint8)
    mask[3:7, 3:9] = 255
    for stem in "abc":
        Image.fromarray(mask).save(tmp_path / "masks" / f"{stem}.png")
    records = list(folders.iter_records(str(tmp_path), binary_masks=True))
    np.testing.assert_array_equal(records[0].mask, (mask > 0).astype(np.uint8))


# ---------------------------------------------------------------- converters and CLI
def test_convert_cityscapes_writes_train_and_eval(cityscapes_root, tmp_path):
    root, written = cityscapes_root
    paths = converters.convert_cityscapes(root, str(tmp_path), size=None)
    assert sorted(paths) == ["eval", "train"]
    train = _read_tfrecord(paths["train"])
    assert all(r.mask is None and r.positive is not None for r in train)  # drawings only: no supervised run
    decoded = _read_tfrecord(paths["eval"])
    assert [r.key for r in decoded] == sorted(CITYSCAPES_FRAMES["val"])
    for record in decoded:
        np.testing.assert_array_equal(record.image, written[record.key]["image"])
        np.testing.assert_array_equal(record.mask, _train_ids(written[record.key]["fine"]))
        np.testing.assert_array_equal(record.positive, _train_ids(written[record.key]["coarse"]))
        assert record.negative is not None


def test_split_keys_is_seeded_and_never_leaves_eval_empty():
    split = converters.split_keys(["a", "b", "c"], 0.2, seed=0)
    assert len(split["eval"]) == 1 and sorted(split["train"] + split["eval"]) == ["a", "b", "c"]
    assert split == converters.split_keys(["c", "b", "a"], 0.2, seed=0)
    assert converters.split_keys(["a", "b"], 0.0)["eval"] == []


def test_cli_convert_fundus_tiles_by_image(les_av_root, tmp_path, capsys):
    from coarseseg_tf.cli import main
    main(["convert", "--format", "fundus", "--source", les_av_root[0], "-o", str(tmp_path),
          "--tile", "32", "--overlap", "8", "--eval-fraction", "0.34"])
    out = capsys.readouterr().out
    assert "train: wrote" in out and "eval: wrote" in out
    keys = {split: {r.key.split("@")[0] for r in _read_tfrecord(tmp_path / split / "data.tfrecord.gz")}
            for split in ("train", "eval")}
    assert len(keys["eval"]) == 1 and not keys["train"] & keys["eval"]
    tiles = _read_tfrecord(tmp_path / "train" / "data.tfrecord.gz")
    assert all(t.image.shape == (32, 32, 3) and set(np.unique(t.mask)) <= {0, 1, 255} for t in tiles)


def test_cli_convert_folder_and_errors(tmp_path, capsys):
    from coarseseg_tf.cli import main
    write_image_folder(tmp_path / "data")
    main(["convert", "--format", "folder", "--source", str(tmp_path / "data"), "-o", str(tmp_path / "out"),
          "--num-classes", "3"])
    records = _read_tfrecord(tmp_path / "out" / "train" / "data.tfrecord.gz")
    records += _read_tfrecord(tmp_path / "out" / "eval" / "data.tfrecord.gz")
    assert sorted(r.key for r in records) == ["a", "b", "c"]
    with pytest.raises(SystemExit, match="unknown label id"):
        main(["convert", "--format", "folder", "--source", str(tmp_path / "data"), "-o", str(tmp_path / "x")])
    with pytest.raises(SystemExit, match="needs --source"):
        main(["convert", "--format", "cityscapes", "-o", str(tmp_path / "x")])


def test_sixteen_bit_images_are_refused_by_name(tmp_path):
    from coarseseg_tf.data.datasets.files import read_image
    Image.fromarray(np.full((4, 4), 4000, np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(DatasetError, match="deep.png: I;16 images are not supported"):
        read_image(str(tmp_path / "deep.png"))


def test_cli_help_of_the_dataset_commands(capsys):
    from coarseseg_tf.cli import build_parser
    for command in ("convert", "import-drawings"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        assert "usage: coarseseg " + command in capsys.readouterr().out


def _records(count, prefix):
    from coarseseg_tf.data.examples import ImageRecord
    return [ImageRecord(key=f"{prefix}{i}", image=np.full((4, 4, 1), i, np.uint8)) for i in range(count)]


def test_splits_appear_together_or_not_at_all(tmp_path):
    out = tmp_path / "dataset"
    converters.write_splits(str(out), {"train": _records(2, "old"), "eval": _records(1, "old")})
    before = {split: (out / split / converters.TFRECORD_NAME).read_bytes() for split in ("train", "eval")}

    def failing_eval():
        yield from _records(1, "new")
        raise DatasetError("eval image 2 is unreadable")
    with pytest.raises(DatasetError, match="eval image 2"):
        converters.write_splits(str(out), {"train": _records(3, "new"), "eval": failing_eval()})
    assert {split: (out / split / converters.TFRECORD_NAME).read_bytes() for split in before} == before
    assert sorted(os.listdir(tmp_path)) == ["dataset"]  # no temporary directory left behind

    paths = converters.write_splits(str(out), {"train": _records(3, "new"), "eval": _records(2, "new")})
    assert sorted(r.key for r in _read_tfrecord(paths["train"])) == ["new0", "new1", "new2"]
    assert sorted(os.listdir(tmp_path)) == ["dataset"]


def test_an_empty_split_warns_and_strict_refuses_it(tmp_path):
    with pytest.warns(DatasetWarning, match="the eval split is empty"):
        converters.write_splits(str(tmp_path / "a"), {"train": _records(1, "x"), "eval": []})
    with pytest.raises(DatasetError, match="the eval split is empty"):
        converters.write_splits(str(tmp_path / "b"), {"train": _records(1, "x"), "eval": []}, strict=True)
    assert not (tmp_path / "b").exists()
