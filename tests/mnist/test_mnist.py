"""MNIST package end to end on synthetic IDX files (and on real Fashion-MNIST if present)."""

import json
from pathlib import Path

import numpy as np
import pytest

from gans.core.data.provider import decode_images
from gans.core.errors import DataError, MissingDataError
from gans.mnist import mnist_convert
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import TINY_ARGS, make_idx_dir, run_script, synthetic_digits, write_idx

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
TINY = TINY_ARGS


def test_read_idx_plain_and_gzip(tmp_path):
    images, _ = synthetic_digits(5)
    plain = write_idx(tmp_path / "a-idx3-ubyte", images, compress=False)
    gz = write_idx(tmp_path / "b-idx3-ubyte", images)
    np.testing.assert_array_equal(mnist_convert.read_idx(plain), images)
    np.testing.assert_array_equal(mnist_convert.read_idx(gz), images)


def test_read_idx_rejects_truncated_and_bad_magic(tmp_path):
    images, _ = synthetic_digits(5)
    path = write_idx(tmp_path / "a-idx3-ubyte", images, compress=False)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated IDX"):
        mnist_convert.read_idx(path)
    path.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="bad magic"):
        mnist_convert.read_idx(path)


def test_converter_round_trip(tmp_path):
    source = make_idx_dir(tmp_path / "idx", count=300)
    out = tmp_path / "tf"
    manifest = mnist_convert.convert_mnist("mnist", source, out)
    assert manifest["count"] <= 300 and manifest["count"] + len(manifest["duplicates"]) == 300
    assert manifest["num_classes"] == 10
    images = np.stack(list(decode_images(out, 28, 1).as_numpy_iterator()))
    assert images.shape == (manifest["count"], 28, 28, 1)
    assert images.min() == -1.0 and images.max() == 1.0


def test_missing_idx_files_say_what_to_do(tmp_path):
    with pytest.raises(MissingDataError, match="point --source_dir at the IDX files"):
        mnist_convert.convert_mnist("mnist", tmp_path, tmp_path / "tf")


def test_offline_download_is_one_clear_line(tmp_path, monkeypatch):
    import tensorflow_datasets as tfds

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'storage.googleapis.com'\nmore noise")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(MissingDataError) as err:
        mnist_convert.convert_mnist("fashion", None, tmp_path / "tf")
    message = str(err.value)
    assert "\n" not in message and "--source_dir" in message and "fashion_mnist" in message


def test_spec_variants():
    assert mnist_spec("fashion").name == "fashion_mnist"
    with pytest.raises(ValueError, match="unknown variant"):
        mnist_spec("kmnist")


def test_standalone_converter_script(tmp_path):
    source = make_idx_dir(tmp_path / "idx", count=100)
    result = run_script(
        "gans/mnist/mnist_convert.py", f"--source_dir={source}", "--data_dir=data", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "data/tfrecords/28px/manifest.json").is_file()


def test_entry_script_trains_writes_images_and_resumes(tmp_path):
    source = make_idx_dir(tmp_path / "idx", count=300)
    args = [f"--source_dir={source}", *TINY]
    first = run_script(
        "gans/mnist/mnist_gan.py", "--epochs=2", *args, "--eval_every=2", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr[-3000:]
    run_dir = tmp_path / "gen_img/mnist/dcgan_gan_28px"
    images = sorted(p.name for p in run_dir.glob("mnist_epoch_*.png"))
    assert images == ["mnist_epoch_0001.png", "mnist_epoch_0002.png"]
    assert (run_dir / "reals.png").is_file()
    assert "--epochs=2" in (run_dir / "flags.txt").read_text()
    assert list((tmp_path / "models/mnist/dcgan_gan_28px/checkpoints").glob("ckpt-2.index"))
    model_dir = tmp_path / "models/mnist/dcgan_gan_28px"
    assert list((model_dir / "tensorboard").rglob("events.out.*"))
    metrics = [json.loads(line) for line in (model_dir / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in metrics] == [2] and metrics[0]["swd_mean"] > 0
    assert (run_dir / "index.html").is_file() and (run_dir / "progress.gif").is_file()
    assert "mnist_epoch_0002.png" in (run_dir / "index.html").read_text()
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.glob("mnist_epoch_*.png")}

    resumed = run_script("gans/mnist/mnist_gan.py", "--epochs=3", *args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "restored" in resumed.stdout and "Epoch 3/3" in resumed.stdout
    assert "Epoch 1/" not in resumed.stdout
    after = {p.name: p.stat().st_mtime_ns for p in run_dir.glob("mnist_epoch_*.png")}
    assert sorted(after) == [*sorted(before), "mnist_epoch_0003.png"]
    assert all(after[name] == before[name] for name in before)  # old epochs not rewritten

    again = run_script("gans/mnist/mnist_gan.py", "--epochs=3", *args, cwd=tmp_path)
    assert again.returncode == 0 and "nothing to do" not in again.stderr
    assert "already trained 3 epochs" in again.stdout


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--epochs=-1", "--epochs must be >= 1"),
        ("--loss=magic", "--loss"),
        ("--image_size=100", "--image_size must be one of"),
        ("--label_smoothing=1.5", "--label_smoothing must be in [0, 1)"),
        ("--real_label_range=1.2,0.7", "--real_label_range must be"),
    ],
)
def test_bad_flags_exit_with_one_line(tmp_path, flag, message):
    result = run_script("gans/mnist/mnist_gan.py", flag, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_missing_source_dir_is_one_line(tmp_path):
    result = run_script(
        "gans/mnist/mnist_gan.py", f"--source_dir={tmp_path / 'nope'}", cwd=tmp_path, timeout=120
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "point --source_dir at the IDX files" in lines[0], result.stderr


@pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian package dataset-fashion-mnist not installed (.ci/run installs it)",
)
@pytest.mark.slow
def test_real_fashion_mnist(tmp_path):
    manifest = mnist_convert.convert_mnist("fashion", FASHION_DIR, tmp_path / "tf")
    assert manifest["count"] + len(manifest["duplicates"]) == 60000
    assert manifest["label_counts"] == {str(k): 6000 for k in range(10)} or manifest["duplicates"]
    result = run_script(
        "gans/mnist/mnist_gan.py",
        "--variant=fashion",
        f"--source_dir={FASHION_DIR}",
        f"--data_dir={tmp_path}",
        "--epochs=1",
        *TINY,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        tmp_path / "gen_img/fashion_mnist/dcgan_gan_28px/fashion_mnist_epoch_0001.png"
    ).is_file()
