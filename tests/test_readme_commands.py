"""Every shell command in README.md is checked, so the docs cannot drift from the code.

A command in a fenced code block (no language, or sh/bash/shell/console; ``text`` and
``python`` blocks are not commands) is either checked here — ``coarseseg`` commands are
parsed by the real argument parser, ``{a,b}`` alternatives each — or listed in
:data:`EXERCISED_BY` with the test or CI script that runs it. A new README command in
neither fails this test; so does a table entry naming a test that does not exist.
"""
import itertools
import os
import re
import shlex

import pytest

from coarseseg_tf.cli import build_parser

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCED_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
SHELL_LANGUAGES = ("", "sh", "bash", "shell", "console")

# command as written (comment dropped) -> "tests/FILE.py::TEST" or a CI script that runs it
EXERCISED_BY = {
    "make demo": "tests/test_pipeline.py::test_local_pipeline_through_the_tfx_cli",
    "make test": ".ci/run",
    "python pipeline/local_runner.py": "tests/test_pipeline.py::test_local_pipeline_through_the_tfx_cli",
    "tfx pipeline create --engine local --pipeline_path pipeline/local_runner.py":
        "tests/test_pipeline.py::test_local_pipeline_through_the_tfx_cli",
    "tfx run create --engine local --pipeline_name coarseseg-mnist":
        "tests/test_pipeline.py::test_local_pipeline_through_the_tfx_cli",
    "tensorboard --logdir tfx_output/pipelines/coarseseg-mnist/Trainer/model_run":
        "tests/test_pipeline.py::test_local_pipeline_through_the_tfx_cli",
    "python pipeline/kubeflow_v2_runner.py": "tests/test_pipeline.py::test_kubeflow_v2_pipeline_compiles_and_loads",
    "python -c \"import kfp; kfp.Client(host='https://MY_KFP_HOST').create_run_from_pipeline_package("
    "'coarseseg_pipeline.yaml', arguments={})\"": "tests/test_pipeline.py::test_kubeflow_v2_pipeline_compiles_and_loads",
}


def readme_commands() -> list[str]:
    """Every command line in the README's shell blocks, trailing comments dropped."""
    with open(os.path.join(REPO_ROOT, "README.md")) as f:
        text = f.read()
    commands = []
    for match in FENCED_BLOCK.finditer(text):
        if match.group(1) not in SHELL_LANGUAGES:
            continue
        for line in match.group(2).splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def alternatives(argv: list[str]) -> list[list[str]]:
    """``{a,b}`` placeholders expanded: one argv per combination."""
    choices = [word[1:-1].split(",") if re.fullmatch(r"\{[^{}]+\}", word) else [word] for word in argv]
    return [list(combination) for combination in itertools.product(*choices)]


def test_every_readme_command_is_checked_here_or_exercised_by_a_test():
    unchecked = []
    for command in readme_commands():
        argv = shlex.split(command)
        if argv[0] == "coarseseg":
            for args in alternatives(argv[1:]):
                try:
                    build_parser().parse_args(args)
                except SystemExit:
                    pytest.fail(f"README command {command!r} does not parse: coarseseg {' '.join(args)}")
        elif command not in EXERCISED_BY:
            unchecked.append(command)
    assert not unchecked, ("README commands neither checked here nor listed in EXERCISED_BY with the "
                           "test that runs them:\n" + "\n".join(unchecked))


def test_the_table_names_tests_that_exist_and_commands_still_in_the_readme():
    commands = set(readme_commands())
    for command, where in EXERCISED_BY.items():
        assert command in commands, f"EXERCISED_BY lists {command!r}, which the README no longer has"
        path, _, test = where.partition("::")
        assert os.path.exists(os.path.join(REPO_ROOT, path)), where
        if test:
            with open(os.path.join(REPO_ROOT, path)) as f:
                assert f"def {test}(" in f.read(), where
