import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from coarseseg_tf.cli import UsageError, build_parser, drawing_style, main


def _subcommands():
    parser = build_parser()
    (sub,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return sub.choices


def test_help_explains_every_command(capsys):
    for command in _subcommands():
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        out = capsys.readouterr().out
        assert "usage: coarseseg " + command in out


def test_help_shows_every_default_once():
    for command, parser in _subcommands().items():
        formatter = parser._get_formatter()
        for action in parser._actions:
            if action.default in (None, False, [], argparse.SUPPRESS) or not action.option_strings:
                continue
            text = formatter._get_help_string(action).replace("%(default)s", str(action.default))
            assert text.count("default") == 1, (command, action.dest, text)
        words = " ".join(parser.format_help().split())
        assert "default: %(" not in words, command  # every %(default)s was filled in
    help_text = {command: " ".join(parser.format_help().split()) for command, parser in _subcommands().items()}
    assert "(default: 400)" in help_text["synthesize"] and "(default: 8501)" in help_text["serve"]
    assert "(default: coarseseg)" in help_text["predict"] and "(default: 3)" in help_text["import-drawings"]


def _readme_commands(*starts):
    """The README's command lines that begin with one of ``starts``, comments dropped."""
    with open(os.path.join(os.path.dirname(__file__), "..", "README.md")) as f:
        lines = [line.split("  #")[0].strip() for line in f]
    return [line for line in lines if line.startswith(starts)]


def test_readme_predict_example_runs_on_a_file_synthesize_wrote(tmp_path, monkeypatch, capsys):
    """The README's command-line sequence, made tiny: synthesize --png-dir, train, predict the first PNG."""
    import shlex
    commands = _readme_commands("coarseseg synthesize", "coarseseg train", "coarseseg predict pngs/")
    synthesize, train, predict = (next(c for c in commands if c.startswith(start)) for start in
                                  ("coarseseg synthesize", "coarseseg train", "coarseseg predict pngs/digit-00000.png --model"))
    monkeypatch.chdir(tmp_path)
    main(shlex.split(synthesize)[1:] + ["--num-train", "8", "--num-test", "3"])
    assert sorted(os.listdir("pngs")) == [f"digit-0000{i}.png" for i in range(3)]
    with np.load("test.npz") as archive:
        first = np.asarray(Image.open("pngs/digit-00000.png"))
        np.testing.assert_array_equal(first, np.round(archive["images"][0, ..., 0] * 255).astype(np.uint8))
    main(shlex.split(train)[1:] + ["--epochs", "1", "--batch-size", "4", "--width", "4"])
    main(shlex.split(predict)[1:])
    output = shlex.split(predict)[shlex.split(predict).index("-o") + 1]
    assert np.asarray(Image.open(output)).shape == (28, 28)
    assert "pixels per class" in capsys.readouterr().out


def test_png_dir_is_for_mnist_only(tmp_path, digits):
    source = tmp_path / "masks.npz"
    np.savez_compressed(source, images=digits.images[:2], masks=digits.masks[:2])
    with pytest.raises(SystemExit, match="--png-dir writes the held-out MNIST digits"):
        main(["synthesize", "--source", str(source), "-o", str(tmp_path / "o.npz"), "--png-dir", str(tmp_path / "p")])


def _synthesize_args(*options):
    return build_parser().parse_args(["synthesize", "-o", "out.npz", *options])


def test_synthesize_draws_the_style_changed_only_by_the_options_given(monkeypatch, tmp_path, digits):
    from dataclasses import replace

    from coarseseg_tf.data.datasets.converters import array_key
    from coarseseg_tf.data.synthesis import styles
    from coarseseg_tf.data.synthesis.draw import draw
    # a change to the default negative recipe, in a field no option sets
    morpho = styles.STYLES["morpho"]
    changed = replace(morpho, negative=replace(morpho.negative, thicken_amount=(1.5, 2.0)))
    monkeypatch.setitem(styles.STYLES, "morpho", changed)
    assert drawing_style(_synthesize_args()) == changed
    assert drawing_style(_synthesize_args("--ratio", "0.5")) == replace(
        changed, positive=replace(changed.positive, ratio=0.5), negative=replace(changed.negative, ratio=0.5))
    assert drawing_style(_synthesize_args("--drawings", "positive")) == replace(changed, negative=None)

    source, output = tmp_path / "masks.npz", tmp_path / "drawn.npz"
    np.savez_compressed(source, images=digits.images[:3], masks=digits.masks[:3])
    main(["synthesize", "--source", str(source), "-o", str(output), "--seed", "2"])
    with np.load(output) as archive:
        for i in range(3):
            expected = draw(digits.masks[i], array_key(i), changed, seed=2)
            np.testing.assert_array_equal(archive["positive"][i], expected.positive)
            np.testing.assert_array_equal(archive["negative"][i], expected.negative)
        unchanged = draw(digits.masks[0], array_key(0), morpho, seed=2)
        assert (archive["negative"][0] != unchanged.negative).any()


def test_synthesize_style_option(capsys):
    from coarseseg_tf.data.synthesis.styles import DEFAULT_STYLE, STYLES
    with pytest.raises(SystemExit):
        build_parser().parse_args(["synthesize", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    assert f"--style {{{','.join(sorted(STYLES))}}}" in words and f"(default {DEFAULT_STYLE})" in words
    assert drawing_style(_synthesize_args()) == STYLES[DEFAULT_STYLE]
    with pytest.raises(SystemExit):
        _synthesize_args("--style", "scribblez")
    with pytest.raises(UsageError, match="ratio must be in"):
        drawing_style(_synthesize_args("--ratio", "2"))


def test_recipe_options_are_refused_for_brush_styles():
    from dataclasses import replace

    from coarseseg_tf.data.synthesis.styles import STYLES
    assert drawing_style(_synthesize_args("--style", "loose_fill")) == STYLES["loose_fill"]
    assert drawing_style(_synthesize_args("--style", "scribbles", "--drawings", "negative")) == \
        replace(STYLES["scribbles"], positive=None)
    with pytest.raises(UsageError, match="--ratio change Morpho-MNIST recipes; --style loose_fill"):
        drawing_style(_synthesize_args("--style", "loose_fill", "--ratio", "0.5"))
    with pytest.raises(UsageError, match="area_ratio_0.3"):
        drawing_style(_synthesize_args("--style", "under_fill", "--perturbations", "thin"))


def test_missing_data_file_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        main(["train", "--data", str(tmp_path / "nope.npz"), "-o", str(tmp_path / "m.keras")])


@pytest.mark.slow
def test_synthesize_train_evaluate_predict_visualize(tmp_path, capsys):
    data, test, model = tmp_path / "train.npz", tmp_path / "test.npz", tmp_path / "model.keras"
    main(["synthesize", "--num-train", "48", "--num-test", "32", "-o", str(data),
          "--test-output", str(test), "--seed", "1"])
    with np.load(data) as archive:
        assert archive["positive"].shape == (48, 28, 28)
        assert set(np.unique(archive["negative"])) <= {0, 1}
    main(["train", "--data", str(data), "--validation", str(test), "-o", str(model),
          "--epochs", "2", "--batch-size", "16", "--log-dir", str(tmp_path / "logs")])
    assert (tmp_path / "model_curves.png").stat().st_size > 5_000
    assert list((tmp_path / "logs" / "train").glob("events.out.tfevents.*"))
    report_path = tmp_path / "report.json"
    main(["evaluate", "--model", str(model), "--data", str(test), "-o", str(report_path)])
    report = json.loads(report_path.read_text())
    assert 0.0 <= report["mean_iou"] <= 1.0 and len(report["per_class_iou"]) == 2

    with np.load(test) as archive:
        image = (archive["images"][0, ..., 0] * 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "digit.png")
    main(["predict", str(tmp_path / "digit.png"), "--model", str(model), "-o", str(tmp_path / "mask.png")])
    mask = np.asarray(Image.open(tmp_path / "mask.png"))
    assert mask.shape == (28, 28) and set(np.unique(mask)) <= {0, 1}

    main(["visualize", "--model", str(model), "--data", str(data), "-o", str(tmp_path / "fig.png"), "--rows", "3"])
    with Image.open(tmp_path / "fig.png") as fig:
        assert fig.size[0] > 600
    out = capsys.readouterr().out
    assert "drawings: 48/48" in out and "saved model" in out


def test_predict_rejects_a_corrupt_image(tmp_path):
    from coarseseg_tf import CoarseSegModel
    model = CoarseSegModel()
    model.build()
    model.save(tmp_path / "m.keras")
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    with pytest.raises(SystemExit, match="cannot read image"):
        main(["predict", str(tmp_path / "bad.png"), "--model", str(tmp_path / "m.keras"), "-o", str(tmp_path / "o.png")])


def test_console_script_entry_point():
    # the script pip installed beside this interpreter, as a user runs it
    script = os.path.join(os.path.dirname(sys.executable), "coarseseg")
    assert os.path.exists(script), f"{script} missing: is the package installed (pip install -e .)?"
    out = subprocess.run([script, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "synthesize" in out.stdout, out.stderr[-2000:]


def test_switches_on_by_default_take_yes_or_no():
    from coarseseg_tf.cli import _training_config
    base = ["train", "--data", "d.npz", "-o", "m.keras"]
    assert _training_config(build_parser().parse_args(base)).cache_refined is True
    assert _training_config(build_parser().parse_args([*base, "--cache-refined", "no"])).cache_refined is False
    with pytest.raises(SystemExit):
        build_parser().parse_args([*base, "--cache-refined", "False"])
