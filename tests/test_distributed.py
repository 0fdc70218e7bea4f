"""Training under tf.distribute: two local replicas, two worker processes, resuming a killed run."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from coarseseg_tf.train.distribute import WorkerRole, worker_role

WORKER_SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "train_worker.py")


@pytest.fixture(scope="module")
def mnist_records(tmp_path_factory):
    from coarseseg_tf.data.datasets.converters import convert_mnist
    root = tmp_path_factory.mktemp("records")
    convert_mnist(str(root), num_train=32, num_eval=16, seed=1)
    return root


def _env(**extra):
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **extra)


def _worker(records, run_dir, export_dir, epochs, logical_cpus=1, **env):
    return subprocess.Popen([sys.executable, WORKER_SCRIPT, str(records), str(run_dir), str(export_dir),
                             str(epochs), str(logical_cpus)], env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process, timeout=600):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-5000:]
    return output


def test_worker_role_reads_tf_config():
    assert worker_role("") == WorkerRole(0, 1)
    cluster = {"cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]}}
    assert worker_role(json.dumps({**cluster, "task": {"type": "chief", "index": 0}})) == WorkerRole(0, 3)
    role = worker_role(json.dumps({**cluster, "task": {"type": "worker", "index": 1}}))
    assert role == WorkerRole(2, 3) and not role.is_chief
    with pytest.raises(ValueError, match="TF_CONFIG"):
        worker_role("{not json")
    with pytest.raises(ValueError, match="'ps'"):
        worker_role(json.dumps({**cluster, "task": {"type": "ps", "index": 0}}))


def test_two_local_replicas_take_the_global_batch_step(tmp_path):
    """One SGD step on a batch split over two logical CPUs equals the step on one device.

    Each replica sees a different image; synchronized batch norm and the loss scaling
    must make the step that of the global batch, or the weights differ.
    """
    script = """
import numpy as np, tensorflow as tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from coarseseg_tf import CoarseSegModel
from coarseseg_tf.train.distribute import WorkerRole, strategy_for
from coarseseg_tf.data.datasets.coarse_mnist import make_coarse_mnist
train, _ = make_coarse_mnist(num_train=2, num_test=1, seed=2)
batch = {"image": train.images, "positive": train.positive.astype("int32"),
         "negative": train.negative.astype("int32"), "mask": np.full((2, 28, 28), 255, "int32")}
def one_step(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = CoarseSegModel(width=8, method="cm")
        model.build()
        model.compile(optimizer=keras.optimizers.SGD(0.5))
    before = model.get_weights()
    model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
    after = model.get_weights()
    moved = max(float(np.abs(a - b).max()) for a, b in zip(after, before))
    return after, moved, strategy.num_replicas_in_sync
mirrored, moved, replicas = one_step(strategy_for(WorkerRole()))
single, _, _ = one_step(tf.distribute.OneDeviceStrategy("/cpu:0"))
assert replicas == 2, replicas
worst = max(float(np.abs(a - b).max()) for a, b in zip(mirrored, single))
print("max difference", worst, "largest weight change", moved)
# equal weights prove nothing unless the step changed them
assert moved > 1e-3, moved
assert worst < 1e-5, worst
"""
    done = subprocess.run([sys.executable, "-c", script], env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_worker_processes_train_and_agree(mnist_records, tmp_path):
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        workers.append(_worker(mnist_records, tmp_path / f"run{index}", tmp_path / f"export{index}", 2,
                               TF_CONFIG=tf_config))
    outputs = [_finish(worker) for worker in workers]
    assert all("replicas 2 epochs 2" in output for output in outputs), outputs[0][-2000:]
    weights = [np.load(tmp_path / f"run{index}" / "final_weights.npz") for index in range(2)]
    assert len(weights[0].files) == len(weights[1].files) > 0
    for name in weights[0].files:
        np.testing.assert_allclose(weights[0][name], weights[1][name], rtol=0, atol=1e-6)
    assert (tmp_path / "export0" / "saved_model.pb").exists()   # the chief exports
    assert not (tmp_path / "export1").exists()                  # the other worker does not


@pytest.mark.slow
def test_killed_training_on_two_replicas_resumes_from_its_backup(mnist_records, tmp_path):
    """run_fn's path with MirroredStrategy over two logical CPUs, killed and restarted."""
    run_dir, epochs = tmp_path / "run", 5
    backup = run_dir / "backup" / "worker-0"
    first = _worker(mnist_records, run_dir, tmp_path / "export", epochs, logical_cpus=2)
    deadline = time.time() + 300
    while not list(backup.rglob("*.json")) and first.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "training ended before it could be killed: " + first.communicate()[0][-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not (tmp_path / "export" / "saved_model.pb").exists()

    output = _finish(_worker(mnist_records, run_dir, tmp_path / "export", epochs, logical_cpus=2))
    history = json.load(open(run_dir / "history.json"))
    assert 0 < len(history["loss"]) < epochs, output[-2000:]   # it did not start over
    assert f"replicas 2 epochs {len(history['loss'])}" in output
    assert (tmp_path / "export" / "saved_model.pb").exists()
    assert not backup.exists() or not any(backup.iterdir())    # a finished run removes its backup
