"""Every user mistake on the command line: exit status 2 and one ``error:`` line naming it.

The table runs each subcommand on bad input through ``main`` in-process; one case runs
the installed ``coarseseg`` script to see the status a shell sees.
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from coarseseg_tf.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{name: path} of good and bad inputs, made once."""
    from coarseseg_tf import CoarseSegModel
    root = tmp_path_factory.mktemp("cli_errors")
    model = CoarseSegModel(width=4, depth=1)
    model.build()
    model.save(root / "model.keras")
    images = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
    labels = np.ones((2, 8, 8), np.uint8)
    np.savez(root / "data.npz", images=images, positive=labels, masks=labels)
    np.savez(root / "no_masks.npz", images=images)
    np.savez(root / "no_images.npz", masks=labels)
    np.savez(root / "pixels_255.npz", images=images * 255, positive=labels, masks=labels)
    np.savez(root / "rgb.npz", images=np.zeros((2, 8, 8, 3), np.uint8), masks=labels)
    np.savez(root / "small_masks.npz", images=images, masks=labels[:, :4])
    np.savez(root / "label_7.npz", images=images, positive=labels * 7)
    np.save(root / "array.npy", images)
    os.rename(root / "array.npy", root / "array.npz")
    (root / "corrupt.npz").write_bytes((root / "data.npz").read_bytes()[:60])
    (root / "text.npz").write_bytes(b"not a zip archive")
    (root / "garbage.keras").write_bytes(b"not a model")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "good.png")
    (root / "text.png").write_bytes(b"not a png at all")
    (root / "truncated.png").write_bytes((root / "good.png").read_bytes()[:40])
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "image.tif")
    (root / "folder" / "images").mkdir(parents=True)
    (root / "versions" / "1").mkdir(parents=True)
    (root / "versions" / "1" / "saved_model.pb").write_bytes(b"")
    return {path.name: str(path) for path in root.iterdir()} | {
        "missing.npz": str(root / "missing.npz"), "out.keras": str(root / "out.keras"),
        "root": str(root), "no_dir/out.keras": str(root / "no_dir" / "out.keras")}


# (argv with {names} of files, what stderr's error line must contain)
CASES = [
    # train
    ("train --data {missing.npz} -o {out.keras}", "data file {missing.npz} does not exist"),
    ("train --data {corrupt.npz} -o {out.keras}", "data file {corrupt.npz} is not a readable .npz archive"),
    ("train --data {text.npz} -o {out.keras}", "is not a readable .npz archive"),
    ("train --data {array.npz} -o {out.keras}", "it holds one array, not named arrays"),
    ("train --data {folder} -o {out.keras}", "data file {folder} is a directory, not a file"),
    ("train --data {model.keras} -o {out.keras}", "must be a .npz file"),
    ("train --data {no_images.npz} -o {out.keras}", "has no images"),
    ("train --data {pixels_255.npz} -o {out.keras}", "pixels_255.npz: images[0] holds values in [0.6"),
    ("train --data {label_7.npz} -o {out.keras}", "positive[0] holds label 7"),
    ("train --data {data.npz} -o {out.keras} --epochs 0", "field 'epochs' must be an integer >= 1, got 0"),
    ("train --data {data.npz} -o {out.keras} --epochs -1", "field 'epochs' must be an integer >= 1, got -1"),
    ("train --data {data.npz} -o {out.keras} --batch-size 0", "field 'batch_size' must be an integer >= 1"),
    ("train --data {data.npz} -o {out.keras} --batch-size two", "argument --batch-size: invalid int value"),
    ("train --data {data.npz} -o {out.keras} --learning-rate nan", "field 'learning_rate' must be a number > 0"),
    ("train --data {data.npz} -o {no_dir/out.keras}", "the directory {root}/no_dir does not exist"),
    ("train --data {data.npz} -o {root}/model.h5", "must end with .keras"),
    ("train --data {data.npz} -o {folder}", "must end with .keras"),
    ("train --data {data.npz} --validation {no_masks.npz} -o {out.keras}", "validation file"),
    # evaluate
    ("evaluate --model {data.npz} --data {data.npz}", "model {data.npz} must be a .keras file"),
    ("evaluate --model {garbage.keras} --data {data.npz}", "model {garbage.keras} cannot be loaded"),
    ("evaluate --model {model.keras} --data {no_masks.npz}", "has no masks"),
    ("evaluate --model {model.keras} --data {rgb.npz}", "images have 3 channel(s) but the model takes 1"),
    ("evaluate --model {model.keras} --data {small_masks.npz}", "image and label sizes must match"),
    ("evaluate --model {model.keras} --data {data.npz} -o {root}/report.txt", "must end with .json"),
    # predict
    ("predict {text.png} --model {model.keras} -o {root}/m.png", "cannot read image {text.png}: not a PNG or JPEG image that can be decoded (cannot identify"),
    ("predict {truncated.png} --model {model.keras} -o {root}/m.png", "cannot read image {truncated.png}"),
    ("predict {image.tif} --model {model.keras} -o {root}/m.png", "a TIFF file, not a PNG or JPEG image"),
    ("predict {root}/none.png --model {model.keras} -o {root}/m.png", "image {root}/none.png does not exist"),
    ("predict {good.png} --model {model.keras} -o {root}/m.jpg", "must end with .png"),
    ("predict {good.png} --model {data.npz} -o {root}/m.png", "must be a .keras file"),
    ("predict {good.png} --model {folder} -o {root}/m.png", "neither a SavedModel directory"),
    ("predict {good.png} --model {versions} -o {root}/m.png", "cannot be loaded"),
    ("predict {good.png} --server http://x --model-version 0 -o {root}/m.png", "must be >= 1, got 0"),
    # export
    ("export --model {model.keras} -o {root}/base --version 0", "argument --version: must be >= 1, got 0"),
    ("export --model {model.keras} -o {root}/base --version -5", "argument --version: must be >= 1, got -5"),
    ("export --model {model.keras} -o {data.npz}", "is a file, not a directory"),
    ("export --model {model.keras} -o {versions} --version 1", "exists; versions are never overwritten"),
    ("export --model {data.npz} -o {root}/base", "must be a .keras file"),
    # synthesize, visualize, demo
    ("synthesize -o {root}/out.txt", "must end with .npz"),
    ("synthesize -o {root}/o.npz --num-train 0", "argument --num-train: must be >= 1, got 0"),
    ("synthesize -o {root}/o.npz --source {missing.npz}", "source {missing.npz} does not exist"),
    ("synthesize -o {root}/o.npz --ratio 2", "ratio must be in"),
    ("synthesize -o {root}/o.npz --noise-sigma -1", "argument --noise-sigma: must be >= 0.0"),
    ("visualize --model {model.keras} --data {data.npz} -o {root}/f.png --rows 0", "must be >= 1"),
    ("visualize --model {model.keras} --data {data.npz} -o {root}/f.pdf", "must end with .png"),
    ("demo --epochs 0", "field 'epochs' must be an integer >= 1"),
    ("demo --output-dir {no_dir/out.keras}", "does not exist"),
    # convert, import-drawings
    ("convert --format folder -o {root}/ds", "--format folder needs --source DIR"),
    ("convert --format folder --source {root}/nowhere -o {root}/ds", "is not a directory"),
    ("convert --format mnist -o {data.npz}", "is a file, not a directory"),
    ("convert --format folder --source {folder} -o {root}/ds --eval-fraction 1.5", "eval_fraction must be in"),
    ("convert --format folder --source {folder} -o {root}/ds --size 0 8", "argument --size: must be >= 1"),
    ("import-drawings {folder} -o {root}/d --line-width 0", "argument --line-width: must be >= 1"),
    ("import-drawings {folder} -o {root}/d --report {root}/r.txt", "must end with .json"),
    ("import-drawings {folder} -o {root}/d --label car", "--label 'car': expected NAME=ID"),
    ("import-drawings {root}/nowhere -o {root}/d --format labelme", "is not a directory"),
    ("import-drawings {folder} -o {root}/d --tolerance 200", "tolerance must be in [0, 128)"),
    # serve
    ("serve --model-base-path {versions} --port 70000", "argument --port: must be in [0, 65535]"),
    ("serve --model-base-path {versions} --num-versions 0", "argument --num-versions: must be >= 1"),
    ("serve --model-base-path {data.npz}", "is a file, not a directory"),
    ("serve --model-base-path {versions} --version-label stable", "--version-label must be LABEL=VERSION"),
    # no command, unknown command
    ("", "the following arguments are required: command"),
    ("fly", "invalid choice: 'fly'"),
]


def fill(text, files):
    """``text`` with each {name} replaced by the path of that file."""
    return re.sub(r"\{([^{}]+)\}", lambda match: files[match.group(1)], text)


def run_main(argv, capsys):
    """(exit status, stderr) of ``coarseseg argv`` run in-process."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return stopped.value.code, capsys.readouterr().err


@pytest.mark.parametrize("command, message", CASES, ids=[c for c, _ in CASES])
def test_a_mistake_exits_2_with_one_error_line(files, capsys, command, message):
    code, err = run_main(fill(command, files).split(), capsys)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1, err
    assert "Traceback" not in err and fill(message, files) in errors[0], err


def test_train_checks_its_output_before_training(files, capsys, monkeypatch):
    import coarseseg_tf.train.fit as fit_module
    monkeypatch.setattr(fit_module, "fit", lambda *a, **k: pytest.fail("trained before checking -o"))
    code, err = run_main(["train", "--data", files["data.npz"], "-o", files["no_dir/out.keras"]], capsys)
    assert code == 2 and "does not exist" in err


def test_the_installed_script_exits_2():
    script = os.path.join(os.path.dirname(sys.executable), "coarseseg")
    out = subprocess.run([script, "export", "--model", "m.keras", "-o", "base", "--version", "0"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.strip().splitlines()[-1].startswith("error: "), out.stderr
