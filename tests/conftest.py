"""Test set-up: split the CPU into two logical devices before TensorFlow starts.

``set_logical_device_configuration`` only works before the runtime initializes, so it runs
at import of this conftest, ahead of every test module.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
