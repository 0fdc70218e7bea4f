"""One training process for the distribution tests: train_from_files, then dump the weights.

    python train_worker.py DATA_DIR RUN_DIR EXPORT_DIR EPOCHS [LOGICAL_CPUS]

TF_CONFIG (from the environment) makes it one worker of a multi-worker cluster.
Logical CPUs must be configured before TensorFlow initialises, hence a separate process.
"""
import os
import sys

import numpy as np
import tensorflow as tf

data_dir, run_dir, export_dir, epochs = sys.argv[1:5]
logical_cpus = int(sys.argv[5]) if len(sys.argv) > 5 else 1
if logical_cpus > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus)

from coarseseg_tf.train.config import TrainingConfig  # noqa: E402
from coarseseg_tf.train.run_fn import train_from_files  # noqa: E402

config = TrainingConfig(epochs=int(epochs), batch_size=8, width=8, use_masks=True)
result = train_from_files([os.path.join(data_dir, "train", "*")], [os.path.join(data_dir, "eval", "*")],
                          config, run_dir, export_dir)
np.savez(os.path.join(run_dir, "final_weights.npz"),
         *[np.asarray(w) for w in result.model.get_weights()])
print("replicas", result.model.distribute_strategy.num_replicas_in_sync, "epochs",
      len(result.history.history["loss"]), flush=True)
