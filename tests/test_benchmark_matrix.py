"""The matrix benchmark's plumbing: cells run, are cached, resumed and reported."""
import importlib.util
import json
import os
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "drawing_styles.py")


def _load():
    spec = importlib.util.spec_from_file_location("drawing_styles", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quick_matrix_runs_caches_and_resumes(tmp_path, capsys):
    bench = _load()
    output = str(tmp_path / "matrix")
    bench.main(["--quick", "--output", output])
    with open(output + ".json") as f:
        runs = json.load(f)["runs"]
    assert len(runs) == 6 and all("miou" in r and 0 <= r["miou"] <= 100 for r in runs.values()), runs
    # supervised never sees the drawings: the second style reuses the first style's run
    reused = {k: r["same_run_as"] for k, r in runs.items() if "same_run_as" in r}
    assert reused == {"mnist_clean|morpho|supervised|0": "mnist_clean|loose_fill|supervised|0"}, reused
    text = open(output + ".md").read()
    assert "| mnist_clean | morpho |" in text and "runs done 6/6" in text
    assert os.path.getsize(output + ".png") > 10_000
    capsys.readouterr()
    bench.main(["--quick", "--output", output, "--resume"])  # nothing left to run
    assert "seed 0:" not in capsys.readouterr().out
    with open(output + ".json") as f:
        assert json.load(f)["runs"] == runs


def test_protocol_says_which_runs_had_precise_batch_norms():
    bench = _load()
    runs = {"nuclei|loose_fill|grabcut|0": {"finished": "2026-11-30T02:00:00"},
            "mnist_clean|loose_fill|grabcut|0": {"finished": "2026-11-30T02:00:00"},
            "mnist_clean|loose_fill|naive|0": {"finished": "2026-11-29T10:00:00"},
            "scenes|loose_fill|grabcut|0": {"error": "refused"}}
    line = bench.batch_norm_protocol(runs)
    assert "2 of 3 runs" in line and "all the runs of 1 cells (nuclei/loose_fill)" in line, line
    runs.pop("mnist_clean|loose_fill|naive|0")
    line = bench.batch_norm_protocol(runs)
    assert "all 2 runs finished after" in line and "moving averages" not in line, line


def test_cells_are_checked():
    bench = _load()
    with pytest.raises(SystemExit):
        bench.main(["--cells", "mnist_clean:no_such_style", "--report", "--output", "/nonexistent/x"])


def test_columns_are_methods_or_the_defaults_ablations():
    bench = _load()
    columns = bench.methods()
    default = bench.DEFAULT_METHOD
    assert columns.count(default) == 1 and f"{default}+cm_steering" in columns
    assert bench.parse_column(f"{default}+cm_steering") == (default, {"cm_steering": True})
    assert bench.parse_column(f"{default}+positive_only") == (default, {"negative": None})
    assert bench.parse_column(f"{default}+uniform_weights") == (default, {"class_boundary_weight": 1.0})
    assert bench.parse_column(f"{default}+fixed_edges_uniform_weights")[1]["edge_reference"] == "intensity"
    assert bench.parse_column("naive") == ("naive", {})
    for bad in ("nope", f"{default}+nope"):
        with pytest.raises(Exception, match="column"):
            bench.parse_column(bad)


def test_plan_runs_each_ablation_at_its_seeds_and_datasets():
    """One-seed ablations run at seed 0 only, positive_only on the scenes only, and an
    ablation without listed seeds (a former default's column) at every seed of the cell."""
    bench = _load()
    default = bench.DEFAULT_METHOD
    columns = [f"{default}+cm_steering", f"{default}+positive_only", f"{default}+uniform_weights"]
    cells = [("mnist_clean", "loose_fill"), ("scenes", "scribbles")]  # a headline cell: 3 seeds
    plan = {(cell, column): sorted(s for d, st, c, s in bench.planned_runs(cells, columns, None)
                                   if (d, st) == cell and c == column)
            for cell in cells for column in columns}
    assert plan[(cells[0], columns[0])] == [0] and plan[(cells[1], columns[0])] == [0]
    assert plan[(cells[0], columns[1])] == [] and plan[(cells[1], columns[1])] == [0]
    assert plan[(cells[0], columns[2])] == list(bench.HEADLINE_SEEDS)
    assert plan[(cells[1], columns[2])] == list(bench.SEEDS)
    assert bench.planned_runs(cells[:1], columns[:1], [1, 2]) == [("mnist_clean", "loose_fill", columns[0], 1),
                                                                  ("mnist_clean", "loose_fill", columns[0], 2)]


def test_readme_headline_is_the_committed_matrix():
    """The README's headline rows are copied from the generated table, not typed by hand."""
    root = os.path.join(os.path.dirname(__file__), "..")
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    generated = open(os.path.join(root, "benchmarks", "results", "drawing_styles.md"), encoding="utf-8").read()
    goals = generated.split("against its goals", 1)[1]
    rows = [line for line in readme.splitlines() if line.startswith("| mnist_") or line.startswith("| nuclei")
            or line.startswith("| scenes")]
    assert rows, "the README has no matrix rows"
    for row in rows:
        assert row in goals.splitlines(), row
    summary = [line for line in goals.splitlines() if line.startswith("Mean gap closed")]
    assert len(summary) == 1 and summary[0] in readme.splitlines()


def test_dev_data_share_no_image_with_the_matrix_test_sets():
    """The dev protocol chooses the default; it must not see an image the matrix scores."""
    import numpy as np
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import dev_styles
    matrix = _load()

    def keys(images):
        return {np.asarray(image).tobytes() for image in images}
    dev = dev_styles.dev_split()
    dev_images = keys(dev.train_images) | keys(dev.test_images)
    for seed in matrix.HEADLINE_SEEDS:
        assert not dev_images & keys(matrix.load_split("mnist_clean", seed, False).test_images)
    nuclei = dev_styles.nuclei_dev_split()
    nuclei_test = keys(matrix.load_split("nuclei", 0, False).test_images)
    assert len(nuclei.train_images) == len(nuclei.test_images) == 16
    assert not (keys(nuclei.train_images) | keys(nuclei.test_images)) & nuclei_test
    scenes = dev_styles.scenes_dev_split(8, 4)
    assert scenes.num_classes == 11 and scenes.train_images.shape[1:3] == (64, 64)


def test_drawn_classes_bound_keeps_background_and_the_drawn_classes_only():
    import numpy as np
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import dev_styles
    masks = np.array([[[0, 1], [2, 3]], [[0, 2], [2, 3]]], np.uint8)
    positive = np.array([[[1, 255], [255, 255]], [[255, 3], [255, 2]]], np.uint8)
    kept = dev_styles.drawn_classes_masks(masks, positive)
    np.testing.assert_array_equal(kept, [[[0, 1], [255, 255]], [[0, 2], [2, 3]]])


def test_dev_settings_are_checked_training_config_fields():
    import argparse
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import dev_styles
    assert dev_styles.parse_setting("edge_blur=1") == ("edge_blur", 1)
    assert dev_styles.column_label("appearance_crf", {"edge_blur": 1}) == "appearance_crf[edge_blur=1]"
    for bad in ("no_such_field=1", "edge_blur=-1"):
        with pytest.raises(argparse.ArgumentTypeError, match=bad.split("=")[0]):
            dev_styles.parse_setting(bad)
