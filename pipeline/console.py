"""What the local runner prints: one line per component as it ends, full logs on request.

TFX, ML Metadata, Beam and TensorFlow log at INFO by default: thousands of lines, most of
them proto dumps, with the result at the bottom. Quiet (the default) lets only their
errors through and prints one line per component, read from ML Metadata as the
component ends (state, cached or not, seconds, start and end). ``COARSESEG_VERBOSE=1``
brings every log back.
"""
from __future__ import annotations

import contextlib
import logging
import os
import warnings

VERBOSE_ENV = "COARSESEG_VERBOSE"


def verbose() -> bool:
    """Whether ``COARSESEG_VERBOSE`` asks for the full logs (any value but empty or 0)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def quiet_import_time_logs() -> None:
    """TensorFlow's C++ INFO and WARNING lines and libraries' FutureWarnings off (errors
    stay). Call before TensorFlow is imported, which reads its level once; set in the
    environment, it also reaches Beam's worker processes, each of which imports both."""
    if not verbose():
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning")
        warnings.filterwarnings("ignore", category=FutureWarning)


def set_log_levels() -> None:
    """Python logs at INFO when verbose, else errors only; Keras' epoch lines and export
    notices then go to the absl log too, so they show with the rest."""
    import keras
    from absl import logging as absl_logging
    if verbose():
        absl_logging.set_verbosity(absl_logging.INFO)
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
    for name in ("", "tensorflow", "apache_beam"):  # "" is the root logger, where the rest propagate
        logging.getLogger(name).setLevel(logging.ERROR)
    keras.config.disable_interactive_logging()


@contextlib.contextmanager
def component_lines(metadata_path: str, total: int):
    """Within the block, prints ``[i/total] <component line>`` each time TFX's launcher
    finishes a component, from the execution ML Metadata recorded for it."""
    from tfx.orchestration.portable import launcher

    from coarseseg_tf.evaluation.run_summary import read_component_run
    original = launcher.Launcher.launch
    finished = []

    def launch(self):
        execution_info = original(self)
        if execution_info is not None:  # None: the driver decided not to run it
            finished.append(execution_info.execution_id)
            line = read_component_run(metadata_path, execution_info.execution_id).describe()
            print(f"[{len(finished)}/{total}] {line}", flush=True)
        return execution_info

    launcher.Launcher.launch = launch
    try:
        yield
    finally:
        launcher.Launcher.launch = original
