"""Mixed precision, XLA flag, and two worker processes on 127.0.0.1 (MultiWorkerMirrored)."""

import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import REPO, make_idx_dir, tiny_config


def tiny_experiment(tmp_path, **kwargs):
    config = tiny_config(tmp_path, batch_size=16, steps_per_epoch=2, **kwargs)
    return GANExperiment(mnist_spec(), config)


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_float32_logits(tmp_path, precision):
    exp = tiny_experiment(tmp_path, precision=precision)
    compute = precision.removeprefix("mixed_")
    conv = next(layer for layer in exp.gan.discriminator.layers if "conv" in layer.name)
    assert conv.compute_dtype == compute
    assert exp.gan.discriminator.output.dtype == "float32"
    assert exp.gan.generator.output.dtype == "float32"
    before = [w.numpy().copy() for w in exp.gan.generator.trainable_weights]
    logs = exp.train()
    assert np.isfinite(logs["d_loss"]) and np.isfinite(logs["g_loss"])
    after = [w.numpy() for w in exp.gan.generator.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(after, before, strict=True))
    assert all(w.dtype == np.float32 for w in after)  # float32 master weights
    if precision == "mixed_float16":
        # One loss-scale optimizer per network (Micikevicius et al. 2018), checkpointed.
        for optimizer in (exp.gan.g_optimizer, exp.gan.d_optimizer):
            assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
            assert np.isfinite(float(optimizer.dynamic_scale.numpy()))
        assert 0 < logs["g_grad_norm"] < 1e3  # the scale is divided out of the logged norm
    # The global policy is restored: models built later are float32 again.
    assert keras.mixed_precision.global_policy().name == "float32"


def test_float16_step_matches_float32_after_unscaling(tmp_path):
    """The loss scale (2^15 at the start) is differentiated through and divided out: one
    float16 step logs the float32 step's gradient norms and moves D's weights the same way.
    (Adam's first step is ±lr·sign(g), so near-zero gradients may flip: compare 99 %.)"""
    moved, logs = {}, {}
    for precision in ("float32", "mixed_float16"):
        config = tiny_config(tmp_path / precision, batch_size=16, precision=precision)
        exp = GANExperiment(mnist_spec(), config)
        before = [w.numpy().copy() for w in exp.gan.discriminator.trainable_weights]
        logs[precision] = exp.train()
        after = [w.numpy() for w in exp.gan.discriminator.trainable_weights]
        pairs = zip(after, before, strict=True)
        moved[precision] = np.concatenate([(a - b).ravel() for a, b in pairs])
    assert np.mean(np.sign(moved["mixed_float16"]) == np.sign(moved["float32"])) > 0.99
    for key in ("d_grad_norm", "g_grad_norm", "d_loss"):
        assert logs["mixed_float16"][key] == pytest.approx(logs["float32"][key], rel=0.02)


def test_xla_flag_reaches_the_train_step(tmp_path):
    exp = tiny_experiment(tmp_path, jit_compile=True)
    assert exp.gan.jit_compile is True
    logs = exp.train()
    assert np.isfinite(logs["d_loss"])


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def worker_flags(tmp_path, source, epochs: int) -> list[str]:
    """Flags of one tiny ``mnist_gan.py`` cluster worker; all workers share the records in
    ``tmp_path/prep/data`` and the model and image dirs."""
    return [
        f"--source_dir={source}",
        f"--data_dir={tmp_path / 'prep/data'}",
        f"--model_dir={tmp_path / 'model'}",
        f"--gen_dir={tmp_path / 'gen'}",
        f"--epochs={epochs}",
        "--batch_size=16",
        "--steps_per_epoch=2",
        "--width=8",
        "--grid_size=4",
        "--eval_every=0",
        "--verbose=2",
    ]


@pytest.mark.slow
def test_two_workers_train_together_and_only_the_chief_writes(tmp_path):
    source = make_idx_dir(tmp_path / "idx", 128)
    # Convert once up front so both workers read the same records.
    tiny_experiment(tmp_path / "prep").ensure_dataset()
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
            PYTHONPATH=str(REPO),
            TF_CPP_MIN_LOG_LEVEL="3",
        )
        args = [
            sys.executable,
            str(REPO / "gans/mnist/mnist_gan.py"),
            *worker_flags(tmp_path, source, epochs=2),
        ]
        procs.append(
            subprocess.Popen(
                args,
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
    run = tmp_path / "gen/dcgan_gan_28px"
    assert sorted(x.name for x in run.glob("mnist_epoch_*.png")) == [
        "mnist_epoch_0001.png",
        "mnist_epoch_0002.png",
    ]
    assert (tmp_path / "model/checkpoints/ckpt-2.index").is_file()
    assert "Epoch 2/2" in outs[0][0] and "Epoch" not in outs[1][0]  # chief alone reports
