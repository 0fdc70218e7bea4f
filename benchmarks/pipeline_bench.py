"""The TFX pipeline on all 5,000 MNIST digits: component wall times, synthesis and training throughput.

Three measurements, one table (benchmarks/results/pipeline.md and .json):

1. **Components.** The real pipeline (``pipeline.create_pipeline``, ``LocalDagRunner``,
   SQLite ML Metadata, Beam DirectRunner with the local runner's Beam arguments,
   caching off) in a temporary directory on MNIST converted with
   ``convert_mnist(num_train, num_eval)`` (default 4,000 + 1,000 = all 5,000 digits).
   The Trainer runs ``--epochs`` passes (default 2, not the 40 of ``pipeline/configs.py``:
   40 epochs of 4,000 digits do not fit in a benchmark on 2 cores), the Evaluator's
   bar is ``--min-mean-iou`` (default 0.5) so that a short run still gets pushed.
   A component's time is its ML Metadata execution's ``last_update_time_since_epoch -
   create_time_since_epoch`` (ms): from registering the execution (inputs resolved)
   to publishing its outputs, executor and Beam job included; the driver and the
   orchestration between components are the rest of the runner's wall time.
2. **Synthesis throughput** with 1 and 2 Beam DirectRunner workers:
   :func:`synthesis_throughput.measure_synthesis_throughput` on the same 5,000 digits.
3. **Training throughput** with 1 vs 2 replicas: one subprocess per run (logical CPU
   devices must be configured before TensorFlow initialises) calling
   ``train_from_files`` with the pipeline's TrainingConfig (``--train-epochs`` epochs),
   MirroredStrategy over 1 or 2 logical CPUs (``distribute.strategy_for``), on the
   Trainer's own input: the converted TFRecords with the drawings CoarseLabelGen added.
   A Keras callback (passed through ``train_from_files(callbacks=...)``) times each
   epoch's training steps, from ``on_epoch_begin`` to the start of
   validation; the first epoch (tracing) is left out. 1- and 2-replica runs alternate.

    TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python benchmarks/pipeline_bench.py \\
        [--epochs 2] [--num-train 4000] [--num-eval 1000] [--synthesis-rounds 1] \\
        [--train-epochs 2] [--train-rounds 3] [--skip-pipeline] [--skip-synthesis] [--skip-training]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, BENCH_DIR)

COMPONENTS = ("ImportExampleGen", "CoarseLabelGen", "Trainer", "Evaluator", "Pusher")


def _load():
    return [round(x, 2) for x in os.getloadavg()]


# ---------------------------------------------------------------- 1. the pipeline
def component_times(metadata_path: str) -> dict:
    """{component: {"seconds", "state", "start", "end"}} from the executions in an MLMD store."""
    from ml_metadata.proto import metadata_store_pb2

    from coarseseg_tf.evaluation.run_summary import open_store
    store = open_store(metadata_path)
    types = {t.id: t.name.rsplit(".", 1)[-1] for t in store.get_execution_types()}
    times = {}
    for execution in sorted(store.get_executions(), key=lambda e: e.id):
        start, end = execution.create_time_since_epoch, execution.last_update_time_since_epoch
        times[types[execution.type_id]] = {
            "seconds": (end - start) / 1000.0, "start_ms": start, "end_ms": end,
            "state": metadata_store_pb2.Execution.State.Name(execution.last_known_state)}
    return times


def run_pipeline(work_dir: str, data_root: str, args) -> dict:
    """Runs the whole pipeline once (caching off) and reads the times back from MLMD."""
    from tfx import v1 as tfx

    from coarseseg_tf.evaluation.run_summary import latest_run_summary
    from pipeline import configs
    from pipeline.pipeline import create_pipeline

    training = dataclasses.replace(configs.TRAINING, epochs=args.epochs)
    metadata_path = os.path.join(work_dir, "metadata.db")
    pipeline_root = os.path.join(work_dir, "pipeline_root")
    beam_args = json.loads(args.beam_args) if args.beam_args else configs.BEAM_PIPELINE_ARGS
    definition = create_pipeline(
        pipeline_name="coarseseg-bench", pipeline_root=pipeline_root, data_root=data_root,
        training=training, synthesis=configs.SYNTHESIS, synthesis_splits=configs.SYNTHESIS_SPLITS,
        min_mean_iou=args.min_mean_iou, serving_model_dir=os.path.join(work_dir, "serving", configs.MODEL_NAME),
        train_steps=None,
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path),
        beam_pipeline_args=beam_args, enable_cache=False)
    load_before = _load()
    start = time.perf_counter()
    tfx.orchestration.LocalDagRunner().run(definition)
    wall = time.perf_counter() - start
    load_after = _load()
    times = component_times(metadata_path)
    missing = [c for c in COMPONENTS if times.get(c, {}).get("state") != "COMPLETE"]
    if missing:
        raise RuntimeError(f"pipeline components not COMPLETE: {missing}; executions {times}")
    summary = latest_run_summary(metadata_path)
    history_files = tf_glob(os.path.join(pipeline_root, "Trainer", "model_run", "*", "history.json"))
    history = json.load(open(history_files[0])) if history_files else {}
    return {"wall_seconds": wall, "components": times, "beam_pipeline_args": beam_args,
            "training_config": training.to_dict(), "min_mean_iou": args.min_mean_iou,
            "mean_iou": summary.mean_iou, "blessed": summary.blessed, "pushed": summary.pushed,
            "trainer_history": history, "load_average_before": load_before, "load_average_after": load_after,
            "pipeline_root": pipeline_root}


def tf_glob(pattern):
    import tensorflow as tf
    return sorted(tf.io.gfile.glob(pattern))


def drawn_data(work_dir: str, data_root: str, pipeline_root: str | None) -> dict:
    """{split: glob} of Examples with drawings: CoarseLabelGen's output, or the same job run here."""
    if pipeline_root:
        found = {split: os.path.join(pipeline_root, "CoarseLabelGen", "labeled_examples", "*", f"Split-{split}", "*")
                 for split in ("train", "eval")}
        if all(tf_glob(p) for p in found.values()):
            return found
    from coarseseg_tf.data.synthesis import beam as bs
    from pipeline import configs
    out = os.path.join(work_dir, "drawn")
    bs.run_synthesis({s: os.path.join(data_root, s, "*") for s in ("train", "eval")},
                     {s: os.path.join(out, s) for s in ("train", "eval")}, configs.SYNTHESIS,
                     ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
                     dead_letter_dir=os.path.join(out, "dead"), copy_splits=["eval"])
    return {s: os.path.join(out, s, "*") for s in ("train", "eval")}


# ---------------------------------------------------------------- 3. training throughput
def train_worker(args) -> None:
    """Subprocess body: one training run with ``--replicas`` logical CPUs; writes JSON to ``--out``."""
    import tensorflow as tf
    if args.replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.replicas)
    import keras

    from coarseseg_tf.train import run_fn
    from pipeline import configs

    class StepTimer(keras.callbacks.Callback):
        """Seconds of each epoch's training steps (validation excluded) and of the whole epoch."""

        def __init__(self):
            super().__init__()
            self.train_seconds, self.epoch_seconds, self.batches = [], [], []
            self._start = self._in_epoch = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start, self._in_epoch, self._count = time.perf_counter(), True, 0

        def on_train_batch_end(self, batch, logs=None):
            self._count += 1

        def on_test_begin(self, logs=None):
            if self._in_epoch:
                self.train_seconds.append(time.perf_counter() - self._start)
                self.batches.append(self._count)
                self._in_epoch = False

        def on_epoch_end(self, epoch, logs=None):
            if self._in_epoch:  # no validation this epoch
                self.on_test_begin()
            self.epoch_seconds.append(time.perf_counter() - self._start)

    timer = StepTimer()
    config = dataclasses.replace(configs.TRAINING, epochs=args.train_epochs)
    result = run_fn.train_from_files([args.train_glob], [args.eval_glob], config,
                                     os.path.join(args.worker_dir, "run"), os.path.join(args.worker_dir, "export"),
                                     callbacks=[timer])
    with open(args.out, "w") as f:
        json.dump({"replicas": result.model.distribute_strategy.num_replicas_in_sync,
                   "train_seconds": timer.train_seconds, "epoch_seconds": timer.epoch_seconds,
                   "batches": timer.batches, "batch_size": config.batch_size,
                   "val_mean_iou": result.history.history.get("val_mean_iou")}, f)


def count_records(pattern: str) -> int:
    import tensorflow as tf
    return sum(1 for _ in tf.data.TFRecordDataset(tf_glob(pattern), "GZIP"))


def measure_training(work_dir: str, data: dict, args) -> dict:
    import numpy as np
    num_train = count_records(data["train"])
    runs = {1: [], 2: []}
    load_before = _load()
    for round_index in range(args.train_rounds):
        for replicas in (1, 2):
            worker_dir = os.path.join(work_dir, f"train-r{round_index}-x{replicas}")
            os.makedirs(worker_dir)
            out = os.path.join(worker_dir, "result.json")
            command = [sys.executable, os.path.abspath(__file__), "--train-worker", "--replicas", str(replicas),
                       "--train-epochs", str(args.train_epochs), "--train-glob", data["train"],
                       "--eval-glob", data["eval"], "--worker-dir", worker_dir, "--out", out]
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(f"training worker ({replicas} replicas) failed:\n{done.stdout[-2000:]}\n"
                                   f"{done.stderr[-4000:]}")
            result = json.load(open(out))
            if result["replicas"] != replicas:
                raise RuntimeError(f"asked for {replicas} replicas, the strategy had {result['replicas']}")
            result["process_wall_seconds"] = wall
            print(f"training round {round_index + 1}, {replicas} replica(s): steps "
                  f"{[round(s, 1) for s in result['train_seconds']]} s/epoch, process {wall:.0f} s", flush=True)
            runs[replicas].append(result)
    summary = {}
    for replicas, results in runs.items():
        timed = [s for r in results for s in r["train_seconds"][1:]]  # first epoch traces
        median = float(np.median(timed))
        summary[replicas] = {"seconds_per_epoch": median, "images_per_second": num_train / median,
                             "timed_epochs": len(timed), "all_train_seconds": [r["train_seconds"] for r in results],
                             "all_epoch_seconds": [r["epoch_seconds"] for r in results],
                             "batches_per_epoch": results[0]["batches"][0],
                             "process_wall_seconds": [r["process_wall_seconds"] for r in results],
                             "val_mean_iou": [r["val_mean_iou"] for r in results]}
    return {"num_train": num_train, "epochs_per_run": args.train_epochs, "rounds": args.train_rounds,
            "by_replicas": summary, "two_vs_one": summary[2]["images_per_second"] / summary[1]["images_per_second"],
            "load_average_before": load_before, "load_average_after": _load()}


# ---------------------------------------------------------------- the table
def to_markdown(result: dict) -> str:
    lines = ["# TFX pipeline benchmark (MNIST, all 5,000 digits)" if result["num_train"] + result["num_eval"] == 5000
             else f"# TFX pipeline benchmark (MNIST, {result['num_train'] + result['num_eval']} digits)", "",
             f"{result['num_train']} training + {result['num_eval']} eval real MNIST digits (28×28, "
             f"`convert_mnist`), {result['cpu_count']} CPU cores, a machine shared with other work "
             f"(1-min load average {result['load_average_before'][0]:.1f} at the start, "
             f"{result['load_average_after'][0]:.1f} at the end; per section below). "
             f"Whole run {result['total_seconds'] / 60:.1f} min. Generated by `benchmarks/pipeline_bench.py` "
             f"({' '.join(result['argv']) or 'defaults'}).", ""]
    p = result.get("pipeline")
    if p:
        t = p["training_config"]
        lines += ["## Components", "",
                  f"`create_pipeline` + `LocalDagRunner`, SQLite ML Metadata, caching off, Beam "
                  f"`{' '.join(p['beam_pipeline_args'])}`. **Trainer: {t['epochs']} epoch(s) only** "
                  f"(`{t['method']}`, batch {t['batch_size']}, width {t['width']}, depth {t['depth']}; "
                  f"the default config trains 40), so its time and the mIoU are those of a short run. "
                  "Time = ML Metadata execution `last_update_time_since_epoch − create_time_since_epoch` "
                  "(registration after input resolution → outputs published). Load average "
                  f"{p['load_average_before'][0]:.1f} → {p['load_average_after'][0]:.1f}.", "",
                  "| component | work | wall s |", "|---|---|---|"]
        work = {"ImportExampleGen": f"{result['num_train'] + result['num_eval']} examples → 2 splits",
                "CoarseLabelGen": f"drawings for {result['num_train']} train examples, eval copied",
                "Trainer": f"{t['epochs']} epochs × {result['num_train']} images + validation, export",
                "Evaluator": f"TFMA MeanIoU on {result['num_eval']} eval examples",
                "Pusher": "copy SavedModel" if p["pushed"] else "not blessed: nothing pushed"}
        total = 0.0
        for name in COMPONENTS:
            seconds = p["components"][name]["seconds"]
            total += seconds
            lines.append(f"| {name} | {work[name]} | {seconds:.1f} |")
        lines.append(f"| *sum of components* | | {total:.1f} |")
        lines.append(f"| *runner wall time* (drivers, orchestration between components included) | | "
                     f"{p['wall_seconds']:.1f} |")
        blessed = "blessed" if p["blessed"] else "NOT blessed"
        lines += ["", f"Result: mean IoU {100 * p['mean_iou']:.1f} on the {result['num_eval']} eval digits after "
                  f"{t['epochs']} epoch(s); {blessed} at the bar {p['min_mean_iou']}; "
                  f"pushed: {'yes' if p['pushed'] else 'no'}.", ""]
    s = result.get("synthesis")
    if s:
        lines += ["## Synthesis throughput", "",
                  f"`measure_synthesis_throughput`: {s['num_images']} digits, default recipes, whole Beam job "
                  f"(worker start-up, read, synthesis, GZIP write), median of {s['rounds']} round(s). Load average "
                  f"{s['load_average_before'][0]:.1f} → {s['load_average_after'][0]:.1f}.", "",
                  "| Beam DirectRunner | wall s | images/s |", "|---|---|---|"]
        for run in s["runs"]:
            lines.append(f"| {run['setting']} | {run['seconds']:.1f} | {run['images_per_second']:.0f} |")
        lines.append(f"| in-process loop, no Beam ({s['in_process_images']} images) | – | "
                     f"{s['in_process_images_per_second']:.0f} |")
        lines.append("")
    tr = result.get("training")
    if tr:
        one, two = tr["by_replicas"]["1"], tr["by_replicas"]["2"]
        lines += ["## Training throughput", "",
                  f"`train_from_files` in a fresh process per run, MirroredStrategy over 1 or 2 logical CPU "
                  f"devices, the pipeline's TrainingConfig (global batch 16, so 8 per replica with 2), "
                  f"{tr['num_train']} training images with CoarseLabelGen's drawings; {tr['epochs_per_run']} "
                  f"epochs per run, the first (tracing) left out, {tr['rounds']} run(s) per setting alternating "
                  "1/2 replicas; time of the training steps only (validation excluded), median over the timed "
                  f"epochs. Load average {tr['load_average_before'][0]:.1f} → {tr['load_average_after'][0]:.1f}.", "",
                  "| replicas | first epoch s (not used), per run | timed epochs s, per run | median s/epoch "
                  "| images/s |", "|---|---|---|---|---|"]
        for name, r in (("1", one), ("2", two)):
            first = ", ".join(f"{run[0]:.1f}" for run in r["all_train_seconds"])
            timed = "; ".join(", ".join(f"{s:.1f}" for s in run[1:]) for run in r["all_train_seconds"])
            lines.append(f"| {name} | {first} | {timed} | {r['seconds_per_epoch']:.1f} | "
                         f"{r['images_per_second']:.0f} |")
        lines += ["", f"2 replicas / 1 replica: **{tr['two_vs_one']:.2f}×**. Both logical devices run on the same "
                  f"{result['cpu_count']} physical cores (and TensorFlow's thread pools), so a second replica adds "
                  "no compute here: it splits each batch in two, runs the halves side by side and adds a "
                  "gradient all-reduce per step. The ratio measures that, together with the noise of a shared "
                  "machine (see the per-run epoch times), not how replicas on separate devices scale.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-train", type=int, default=4000)
    parser.add_argument("--num-eval", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2, help="the pipeline Trainer's epochs")
    parser.add_argument("--min-mean-iou", type=float, default=0.5, help="the Evaluator's blessing bar")
    parser.add_argument("--beam-args", default="", help="JSON list; default: pipeline/configs.py's")
    parser.add_argument("--synthesis-rounds", type=int, default=1)
    parser.add_argument("--train-epochs", type=int, default=2, help="epochs per training-throughput run")
    parser.add_argument("--train-rounds", type=int, default=3, help="runs per replica count, interleaved")
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--skip-synthesis", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--work-dir", default=None, help="parent of the temporary directory")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    # internal: one training-throughput process
    parser.add_argument("--train-worker", action="store_true", help=argparse.SUPPRESS)
    for name in ("--replicas",):
        parser.add_argument(name, type=int, default=1, help=argparse.SUPPRESS)
    for name in ("--train-glob", "--eval-glob", "--worker-dir", "--out"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_worker:
        return train_worker(args)

    from results_io import write_results
    from synthesis_throughput import measure_synthesis_throughput

    from coarseseg_tf.data.datasets.converters import convert_mnist
    started, load_before = time.perf_counter(), _load()
    result = {"num_train": args.num_train, "num_eval": args.num_eval, "cpu_count": os.cpu_count(),
              "argv": sys.argv[1:] if argv is None else list(argv), "load_average_before": load_before,
              "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    with tempfile.TemporaryDirectory(prefix="coarseseg-pipeline-bench-", dir=args.work_dir) as tmp:
        data_root = os.path.join(tmp, "data")
        start = time.perf_counter()
        convert_mnist(data_root, num_train=args.num_train, num_eval=args.num_eval, seed=0)
        result["convert_seconds"] = time.perf_counter() - start
        pipeline_root = None
        if not args.skip_pipeline:
            print("== pipeline", flush=True)
            result["pipeline"] = run_pipeline(os.path.join(tmp, "pipeline"), data_root, args)
            pipeline_root = result["pipeline"].pop("pipeline_root")
            print(json.dumps({k: v["seconds"] for k, v in result["pipeline"]["components"].items()}), flush=True)
        if not args.skip_synthesis:
            print("== synthesis throughput", flush=True)
            result["synthesis"] = measure_synthesis_throughput(args.num_train + args.num_eval,
                                                               rounds=args.synthesis_rounds, work_dir=tmp)
        if not args.skip_training:
            print("== training throughput", flush=True)
            data = drawn_data(tmp, data_root, pipeline_root)
            training = measure_training(tmp, data, args)
            training["by_replicas"] = {str(k): v for k, v in training["by_replicas"].items()}
            result["training"] = training
    result["load_average_after"] = _load()
    result["total_seconds"] = time.perf_counter() - started
    markdown = to_markdown(result)
    print(markdown)
    if not args.no_write:
        print("wrote", write_results("pipeline", markdown, result))


if __name__ == "__main__":
    main()
