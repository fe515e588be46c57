"""A run directory that knows what it holds (issue #14): checkpoint discovery without the
state file, refusal when nothing restores, one lock per model dir, settings on resume,
stale conversions, evaluation of nothing, one-line errors.

The end-to-end cases run ``mnist_gan.py`` in real subprocesses on tiny synthetic IDX data.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gans.core.errors import DataError
from gans.core.run import run_dir
from gans.core.run.config import TrainConfig
from gans.core.run.run_lock import RunLock, RunLocked
from tests.core.crash_helpers import CKPT, RUN, TINY, Training, epoch_images, latest_checkpoint
from tests.testing_utils import REPO, make_idx_dir, run_script

WAIT = 240
MODEL = Path("models/mnist/dcgan_gan_28px")


def _train(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_script("gans/mnist/mnist_gan.py", *TINY, *args, cwd=root)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def _history_epochs(root: Path) -> list[int]:
    with open(root / MODEL / "history.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished 3-epoch run (source, tfrecords, model, images) to copy per test."""
    root = tmp_path_factory.mktemp("trained")
    make_idx_dir(root / "idx", count=64)
    result = _train(root, "--source_dir=idx", "--epochs=3")
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def _copy(trained: Path, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "run"
    shutil.copytree(trained, root, symlinks=True)
    return root


# --- 1. data loss when the state file is gone ------------------------------------------------
def test_checkpoint_discovery_from_index_files(tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()
    for n in (2, 10, 3):
        (folder / f"ckpt-{n}.index").write_bytes(b"x")
        (folder / f"ckpt-{n}.data-00000-of-00001").write_bytes(b"x")
    (folder / "ckpt-11.index").write_bytes(b"x")  # no data file: not a checkpoint
    assert run_dir.checkpoint_numbers(folder) == [2, 3, 10]
    for content in (None, b"garbage text\n", b"\x00\xff\xfe binary", b""):
        state = folder / run_dir.STATE_FILE
        if content is None:
            state.unlink(missing_ok=True)
        else:
            state.write_bytes(content)
        order, note = run_dir.restore_order(folder)
        assert order == [10, 3, 2]
        assert "found ckpt-10 from the ckpt-N.index files" in note
    run_dir.write_state(folder, [2, 3, 10])
    assert run_dir.read_state(folder) == (10, None)
    assert run_dir.restore_order(folder) == ([10, 3, 2], None)


@pytest.mark.parametrize("damage", ["deleted", "garbage"])
def test_lost_state_file_resumes_instead_of_restarting(trained, tmp_path, damage):
    """Issue case 1: the run resumes at epoch 4; epochs 1-3 (images, checkpoints,
    history rows) stay as they were."""
    root = _copy(trained, tmp_path)
    state = root / CKPT / "checkpoint"
    if damage == "deleted":
        state.unlink()
    else:
        state.write_text("this is not a checkpoint state\n")
    images = {k: (root / RUN / f"mnist_epoch_{k:04d}.png").stat().st_mtime_ns for k in (1, 2, 3)}
    result = _train(root, "--source_dir=idx", "--epochs=4")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "found ckpt-3 from the ckpt-N.index files" in result.stdout
    assert "restored models/mnist/dcgan_gan_28px/checkpoints/ckpt-3 (epoch 3)" in result.stdout
    assert "Epoch 1/" not in result.stdout and "Epoch 4/4" in result.stdout
    assert latest_checkpoint(root) == 4
    assert run_dir.checkpoint_numbers(root / CKPT) == [2, 3, 4]  # max_to_keep still works
    after = {k: (root / RUN / f"mnist_epoch_{k:04d}.png").stat().st_mtime_ns for k in (1, 2, 3)}
    assert after == images
    assert _history_epochs(root) == [0, 1, 2, 3]


def test_truncated_newest_checkpoint_falls_back_and_none_restoring_is_refused(trained, tmp_path):
    """Issue case 6 (truncated ckpt-N.data): the intact older one is used, with a line;
    when none restores, one error line and nothing is overwritten."""
    root = _copy(trained, tmp_path)
    folder = root / CKPT
    data = next(folder.glob("ckpt-3.data-*"))
    with open(data, "r+b") as f:
        f.truncate(10)
    result = _train(root, "--source_dir=idx", "--epochs=3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ckpt-3 does not restore" in result.stdout
    assert "restored models/mnist/dcgan_gan_28px/checkpoints/ckpt-2 (epoch 2)" in result.stdout
    assert "Epoch 3/3" in result.stdout and latest_checkpoint(root) == 3

    for data in folder.glob("ckpt-*.data-*"):
        with open(data, "r+b") as f:
            f.truncate(10)
    (folder / "checkpoint").write_bytes(b"\x00\xff")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())
    images = epoch_images(root)
    line = _one_error_line(_train(root, "--source_dir=idx", "--epochs=5"))
    assert "none restores" in line and "nothing was overwritten" in line, line
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()) == before
    assert epoch_images(root) == images


def test_trim_history_drops_rows_no_checkpoint_holds(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss\n0,1.0\n1,0.9\n2,0.8\n2,0.8\n3,0.")
    assert run_dir.trim_history(path, 2) == 3
    assert path.read_text() == "epoch,loss\n0,1.0\n1,0.9\n"
    assert run_dir.trim_history(path, 2) == 0
    assert run_dir.trim_history(tmp_path / "none.csv", 0) == 0


# --- 2. one lock per model directory ---------------------------------------------------------
def test_lock_is_exclusive_and_stale_when_the_pid_is_gone(tmp_path):
    with RunLock(tmp_path / "m") as lock:
        info = json.loads(lock.path.read_text())
        assert info["pid"] == os.getpid() and info["host"] == socket.gethostname()
        with pytest.raises(RunLocked, match=rf"in use by another training \(pid {os.getpid()}"):
            RunLock(tmp_path / "m").acquire()
    assert not (tmp_path / "m" / ".lock").exists()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    pid = int(dead.stdout)
    (tmp_path / "m" / ".lock").write_text(json.dumps({"pid": pid, "host": socket.gethostname()}))
    with RunLock(tmp_path / "m") as lock:
        assert lock.took_over["pid"] == pid
    (tmp_path / "m" / ".lock").write_text(json.dumps({"pid": 1, "host": "elsewhere"}))
    with pytest.raises(RunLocked, match="if that process is gone, delete"):
        RunLock(tmp_path / "m").acquire()


@pytest.mark.slow
def test_a_second_run_on_the_same_model_dir_is_refused(tmp_path):
    """Issue case 2, real processes: the same command twice at once (the second with
    another seed); the second exits 1 with one line and writes nothing; the first
    finishes unmixed. After a SIGKILL the lock is stale and the next run takes it over."""
    root = tmp_path / "run"
    root.mkdir()
    make_idx_dir(root / "idx", count=64)
    args = ["--source_dir=idx", *(a for a in TINY if "steps" not in a), "--steps_per_epoch=1"]
    with Training(root, "--epochs=400", *args) as first:
        assert first.wait_for("Epoch 2/", WAIT), first.tail()
        config = (root / MODEL / "config.json").read_text()
        second = run_script("gans/mnist/mnist_gan.py", "--epochs=400", "--seed=2", *args, cwd=root)
        line = _one_error_line(second)
        assert "models/mnist/dcgan_gan_28px is in use by another training" in line, line
        assert f"pid {first.pid}" in line, line
        assert (root / MODEL / "config.json").read_text() == config
        assert first.signal(signal.SIGKILL)
        first.wait(WAIT)
    assert (root / MODEL / ".lock").exists()  # left by the kill
    done = latest_checkpoint(root)
    result = run_script("gans/mnist/mnist_gan.py", f"--epochs={done + 1}", *args, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"took over the lock of a run that is gone (pid {first.pid}" in result.stdout
    assert not (root / MODEL / ".lock").exists()


# --- 3. settings on resume -------------------------------------------------------------------
def test_config_changes_split_into_fixed_and_mutable(tmp_path):
    saved = TrainConfig(loss="gan", g_lr=2e-4, epochs=3, data_dir="datasets/mnist")
    new = saved.replace(g_lr=1e-3, epochs=5, data_dir=str(tmp_path / "datasets/mnist"))
    changes = run_dir.check_resume(saved, new, "m", saved_cwd=str(tmp_path))
    assert changes == {"epochs": (3, 5), "g_lr": (2e-4, 1e-3)}
    for field, value in [
        ("loss", "hinge"),
        ("upsample", "nearest"),
        ("recon_weight", 1.0),
        ("width", 16),
        ("image_size", 32),
        ("dataset", "flags"),
    ]:
        with pytest.raises(DataError, match=rf"--{field}: .* -> .*--run_name or --model_dir"):
            run_dir.check_resume(saved, new.replace(**{field: value}), "m", str(tmp_path))
    assert run_dir.check_resume(saved, saved.replace(step="fused"), "m", None) == {
        "step": ("auto", "fused")
    }


def test_changed_settings_on_resume_are_refused_or_applied(trained, tmp_path):
    """Issue case 3: --loss=hinge on a gan run is refused with the list of differences;
    --g_lr=0.001 really reaches the restored optimizer, and config.json keeps the change."""
    root = _copy(trained, tmp_path)
    model = f"--model_dir={MODEL}"
    line = _one_error_line(_train(root, "--source_dir=idx", "--epochs=4", "--loss=hinge", model))
    assert "--loss: 'gan' -> 'hinge'" in line and "--run_name or --model_dir" in line, line
    assert latest_checkpoint(root) == 3

    # The run was trained with mnist's default Adam rate for the gan loss (5e-4).
    result = _train(root, "--source_dir=idx", "--epochs=4", "--g_lr=0.001")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "changed settings: epochs 3 -> 4, g_lr 0.0005 -> 0.001" in result.stdout
    with open(root / MODEL / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["g_lr"]) == pytest.approx(0.001)
    assert float(rows[-1]["d_lr"]) == pytest.approx(0.0005)
    saved = json.loads((root / MODEL / "config.json").read_text())
    assert saved["g_lr"] == 0.001
    assert saved["history"][-1]["at_epoch"] == 3
    assert saved["history"][-1]["changed"]["g_lr"] == [0.0005, 0.001]
    flags = (root / RUN / "flags.txt").read_text()
    assert "--g_lr=0.001" in flags and "# until epoch 3: --g_lr=0.0005" in flags


# --- 4. stale conversions --------------------------------------------------------------------
def test_changed_source_is_converted_again_with_a_reason(tmp_path):
    """Issue case 4: images added to the source, or another --source_dir, convert again."""
    from gans.core.data.dataset_spec import folder_dataset
    from gans.core.run.experiment import GANExperiment
    from tests.testing_utils import tiny_config

    source = tmp_path / "images"
    source.mkdir()
    from PIL import Image

    def add(folder, start, count):
        folder.mkdir(exist_ok=True)
        for i in range(start, start + count):
            Image.new("RGB", (16, 16), (i * 7 % 255, 40, 90)).save(folder / f"{i}.png")

    add(source, 0, 10)
    spec = folder_dataset("tiny", 32, 3, lambda options: source, "")

    def ensure(**overrides):
        config = tiny_config(tmp_path, source, batch_size=4, image_size=32, channels=3)
        return GANExperiment(spec, config.replace(**overrides)).ensure_dataset()

    assert ensure()["count"] == 10
    add(source, 10, 5)
    assert ensure()["count"] == 15
    other = tmp_path / "more"
    add(other, 100, 20)
    assert ensure(source_dir=str(other))["count"] == 20
    assert ensure(source_dir=str(other))["fingerprint"]["files"] == 20


def test_changed_source_line(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    make_idx_dir(root / "idx", count=40)
    assert _train(root, "--source_dir=idx", "--epochs=1", "--batch_size=8").returncode == 0
    make_idx_dir(root / "idx", count=300)
    result = _train(root, "--source_dir=idx", "--epochs=1", "--batch_size=8", "--run_name=b")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "converting again: its source" in result.stdout and "changed" in result.stdout
    assert "converted 300 images" in result.stdout


# --- 5. evaluation of nothing, copied runs ---------------------------------------------------
def _evaluate(model_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gans.cli",
            "evaluate",
            f"--model_dir={model_dir}",
            "--extractor=none",
            "--num_samples=16",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_evaluation_refuses_a_model_dir_without_checkpoint(trained, tmp_path):
    root = _copy(trained, tmp_path)
    for path in (root / CKPT).iterdir():
        path.unlink()
    line = _one_error_line(_evaluate(root / MODEL, root))
    assert "no checkpoint" in line, line


def test_evaluating_a_copied_model_dir_writes_into_the_copy(trained, tmp_path):
    """closest_pairs.png goes into the copy, not the original run's folder."""
    import shutil

    root = _copy(trained, tmp_path)
    copy = tmp_path / "copied_model"
    shutil.copytree(root / MODEL, copy)
    original = root / RUN / "closest_pairs.png"
    result = _evaluate(copy, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not original.exists()
    assert (copy / "gen_img/dcgan_gan_28px/closest_pairs.png").is_file()
    assert (copy / "evaluation_epoch_0003.json").is_file()


def test_corrupt_shard_in_evaluation_is_one_line(trained, tmp_path):
    root = _copy(trained, tmp_path)
    shard = next((root / "datasets/mnist/tfrecords/28px").glob("*.tfrecord-*"))
    data = bytearray(shard.read_bytes())
    data[40:60] = b"\xff" * 20
    shard.write_bytes(bytes(data))
    line = _one_error_line(_evaluate(root / MODEL, root))
    assert shard.name in line and "convert again" in line, line


# --- 6. one-line errors ----------------------------------------------------------------------
def test_empty_or_non_image_source_is_one_line(tmp_path):
    for name, files in (("empty", {}), ("junk", {"a.txt": b"hello", "b.png": b"not a png"})):
        source = tmp_path / name
        source.mkdir()
        for file, content in files.items():
            (source / file).write_bytes(content)
        result = run_script(
            "gans/flags/flags_gan.py",
            f"--source_dir={source}",
            "--epochs=1",
            "--batch_size=4",
            "--steps_per_epoch=1",
            "--width=8",
            "--eval_every=0",
            cwd=tmp_path,
        )
        line = _one_error_line(result)
        assert "no usable images" in line and str(source) in line, line


def test_fewer_images_than_a_batch_is_one_line(tmp_path):
    make_idx_dir(tmp_path / "idx", count=5)
    line = _one_error_line(_train(tmp_path, "--source_dir=idx", "--epochs=1", "--batch_size=32"))
    assert "5 images, fewer than one batch of 32" in line, line


def test_full_disk_during_a_checkpoint_save_is_a_user_error(tmp_path):
    import tensorflow as tf

    from gans.core.errors import UserError
    from gans.core.run.callbacks import EpochCheckpoint

    class FullDisk:
        directory = str(tmp_path / "checkpoints")
        latest_checkpoint = str(tmp_path / "checkpoints/ckpt-2")

        def save(self, checkpoint_number):
            raise tf.errors.ResourceExhaustedError(None, None, "No space left on device")

    callback = EpochCheckpoint(FullDisk(), tf.Variable(0, dtype=tf.int64))
    callback.set_params({"epochs": 5})
    with pytest.raises(UserError, match=r"could not save checkpoint ckpt-3 \(No space left"):
        callback.on_epoch_end(2)


def test_binary_or_empty_state_file_is_not_a_traceback(trained, tmp_path):
    root = _copy(trained, tmp_path)
    (root / CKPT / "checkpoint").write_bytes(b"")
    result = _train(root, "--source_dir=idx", "--epochs=3")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "already trained 3 epochs" in result.stdout
    assert time.time() > 0


# --- 7. exact resume -------------------------------------------------------------------------
def test_resumed_run_reproduces_the_uninterrupted_one(tmp_path):
    """Issue case 7: 3 epochs straight == 1 epoch, then a resume to 3 (weights, losses)."""
    import numpy as np

    from gans.core.run.experiment import GANExperiment
    from gans.mnist.mnist_dataset import mnist_spec
    from tests.testing_utils import tiny_config

    source = make_idx_dir(tmp_path / "idx", 64)

    def experiment(name, epochs):
        config = tiny_config(tmp_path / name, source, epochs=epochs, steps_per_epoch=4)
        return GANExperiment(mnist_spec(), config)

    straight = experiment("a", 3)
    straight.train()
    experiment("b", 1).train()
    resumed = experiment("b", 3)
    resumed.train()
    for a, b in zip(
        straight.gan.generator.get_weights(), resumed.gan.generator.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)

    def losses(name):
        with open(tmp_path / name / "model/history.csv") as f:
            return [(row["epoch"], row["g_loss"], row["d_loss"]) for row in csv.DictReader(f)]

    assert losses("a") == losses("b")
