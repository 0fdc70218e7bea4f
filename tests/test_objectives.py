"""The objectives registry and TrainingConfig are the one source of methods and defaults."""
import dataclasses
import os
import re
import subprocess
import sys

import pytest

from coarseseg_tf.cli import build_parser
from coarseseg_tf.models.config import ModelConfig
from coarseseg_tf.models.objectives import DEFAULT_METHOD, METHODS, OBJECTIVES
from coarseseg_tf.train.config import TrainingConfig

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def test_readme_method_table_is_the_registry():
    rows = re.findall(r"^\| `(\w+)`( \(default\))? \| (.+) \|$", open(README, encoding="utf-8").read(), re.M)
    assert [name for name, _, _ in rows] == list(METHODS)
    assert [name for name, default, _ in rows if default] == [DEFAULT_METHOD]
    for name, _, summary in rows:
        assert summary == OBJECTIVES[name].summary, name


def test_cli_train_options_are_the_config_fields_and_defaults():
    args = build_parser().parse_args(["train", "--data", "d.npz", "-o", "m.keras"])
    for field in dataclasses.fields(TrainingConfig):
        if field.name in ("input_channels", "transition_matrix"):
            continue
        assert getattr(args, field.name) == field.default, field.name
    # an option whose default is "the method's own" (None) still takes a value
    args = build_parser().parse_args(["train", "--data", "d.npz", "-o", "m.keras", "--edge-reference",
                                      "intensity", "--class-boundary-weight", "1"])
    assert (args.edge_reference, args.class_boundary_weight) == ("intensity", 1.0)


def test_cli_help_lists_every_method_summary(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    # argparse re-wraps the text (also at hyphens): compare without white space
    help_text = "".join(capsys.readouterr().out.split())
    for objective in OBJECTIVES.values():
        assert "".join(objective.summary.split()) in help_text, objective.name


def test_config_errors_name_the_field():
    with pytest.raises(ValueError, match="training config: field 'learning_rate' must be a number > 0"):
        TrainingConfig(learning_rate=0)
    with pytest.raises(ValueError, match="model config: field 'cm_form' must be one of"):
        ModelConfig(cm_form="dense")
    with pytest.raises(ValueError, match="field 'class_boundary_radius' must be an integer >= 1"):
        ModelConfig(class_boundary_radius=0)
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['epoch'\]"):
        TrainingConfig.from_dict({"epoch": 3})
    assert TrainingConfig.from_dict(TrainingConfig(width=8).to_dict()) == TrainingConfig(width=8)


def test_configs_and_registry_import_without_tensorflow():
    code = ("import sys; import coarseseg_tf.train.config, coarseseg_tf.models.objectives; "
            "print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_every_objective_logs_terms_the_model_computes():
    from coarseseg_tf.models.objectives import ALL_TERMS, COMMON_TERMS
    for objective in OBJECTIVES.values():
        names = objective.logged_terms(objective.consensus_weight, objective.smoothness_weight)
        assert set(names) <= set(ALL_TERMS) | set(COMMON_TERMS), objective.name
