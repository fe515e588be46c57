"""Using a trained generator: sampling, image files, latent walks, export, the CLI."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from gans.core.errors import DataError, MissingDataError
from gans.core.run import generate as gen
from gans.core.run.config import TrainConfig
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import REPO, tiny_config


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny MNIST DCGAN with an EMA generator, trained 1 then 2 epochs: ckpt-1, ckpt-2."""
    tmp = tmp_path_factory.mktemp("trained")
    config = tiny_config(tmp, ema_decay=0.9)
    GANExperiment(mnist_spec(), config).train()
    GANExperiment(mnist_spec(), config.replace(epochs=2)).train()
    return tmp / "model"


@pytest.fixture(scope="module")
def experiment(model_dir):
    return GANExperiment.from_model_dir(model_dir)


def test_generate_is_reproducible_by_seed_in_range_and_from_the_ema_generator(experiment):
    a = gen.generate_images(experiment, 10, seed=3)
    assert a.shape == (10, 28, 28, 1) and a.dtype == np.float32
    assert a.min() >= -1.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, gen.generate_images(experiment, 10, seed=3))
    assert not np.allclose(a, gen.generate_images(experiment, 10, seed=4))
    # Batching does not change the images (inference-mode batch norm).
    np.testing.assert_allclose(a, gen.generate_images(experiment, 10, 3, batch_size=3), atol=1e-6)
    # The same noise as GANExperiment.generate, through the EMA copy, not the raw generator.
    noise = gen.make_noise(10, experiment.config.noise_dim, 3)
    gan = experiment.gan
    np.testing.assert_allclose(a, gan.ema_generator(noise, training=False), atol=1e-6)
    assert not np.allclose(a, gan.generator(noise, training=False), atol=1e-6)
    assert gen.generate_images(experiment, 0).shape == (0, 28, 28, 1)


def test_truncated_samples_come_from_the_truncated_noise(experiment):
    """``truncation`` (BigGAN's trick) changes only the noise: same seed, values in ±T."""
    noise = gen.make_noise(8, experiment.config.noise_dim, 3, truncation=0.5)
    assert np.abs(noise).max() <= 0.5 and noise.dtype == np.float32
    images = gen.generate_images(experiment, 8, seed=3, truncation=0.5)
    gan = experiment.gan
    np.testing.assert_allclose(images, gan.ema_generator(noise, training=False), atol=1e-6)
    assert not np.allclose(images, gen.generate_images(experiment, 8, seed=3), atol=1e-6)
    np.testing.assert_array_equal(
        gen.generate_images(experiment, 8, seed=3, truncation=None),
        gen.generate_images(experiment, 8, seed=3),
    )
    # The estimator-style API draws the same truncated noise for the same seed.
    np.testing.assert_allclose(images, experiment.generate(8, 3, truncation=0.5), atol=1e-6)


def test_chosen_checkpoint_differs_from_latest(experiment):
    paths = experiment.checkpoints.manager.checkpoints
    assert [os.path.basename(p) for p in paths] == ["ckpt-1", "ckpt-2"]
    latest = gen.generate_images(experiment, 6, seed=1)
    first = gen.generate_images(experiment, 6, seed=1, checkpoint=paths[0])
    assert int(experiment.epoch.numpy()) == 1
    assert not np.allclose(latest, first, atol=1e-6)
    # ckpt-N and the bare epoch number name the same checkpoint; latest restores again.
    np.testing.assert_array_equal(first, gen.generate_images(experiment, 6, 1, "ckpt-1"))
    np.testing.assert_array_equal(first, gen.generate_images(experiment, 6, 1, "1"))
    np.testing.assert_array_equal(latest, gen.generate_images(experiment, 6, seed=1))
    assert int(experiment.epoch.numpy()) == 2
    with pytest.raises(MissingDataError, match=r"ckpt-7.*ckpt-1, ckpt-2"):
        gen.generate_images(experiment, 2, checkpoint="ckpt-7")


def test_untrained_model_dir_is_a_user_error(tmp_path):
    config = TrainConfig(width=8, model_dir=str(tmp_path / "empty"), gen_dir=str(tmp_path))
    with pytest.raises(MissingDataError, match="no checkpoint"):
        gen.generate_images(GANExperiment(mnist_spec(), config), 2)
    with pytest.raises(MissingDataError, match=r"config\.json"):
        GANExperiment.from_model_dir(tmp_path / "nowhere")


@pytest.mark.parametrize("channels,mode", [(1, "L"), (3, "RGB"), (4, "RGBA")])
def test_save_images_individual_files_keep_channels_and_a_grid(tmp_path, channels, mode):
    images = np.random.default_rng(0).uniform(-1, 1, (5, 8, 8, channels)).astype(np.float32)
    images[0] = -1.0
    images[1] = 1.0
    written = gen.save_images(images, tmp_path / "out", "x", title="t")
    names = [p.name for p in written]
    assert names == [f"x_{i:04d}.png" for i in range(5)] + ["grid.png"]
    for i, path in enumerate(written[:-1]):
        with Image.open(path) as im:
            assert im.mode == mode and im.size == (8, 8)
            pixels = np.asarray(im).reshape(8, 8, channels)
        expected = np.clip(np.rint((images[i] + 1) * 127.5), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(pixels, expected)
    with Image.open(written[-1]) as im:
        assert im.mode == "RGB" and im.width >= 3 * 48  # upscaled grid of 3 columns
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_save_images_grid_or_individual_only(tmp_path):
    images = np.zeros((3, 4, 4, 1), np.float32)
    assert [p.name for p in gen.save_images(images, tmp_path / "a", "s", individual=False)] == [
        "grid.png"
    ]
    only = gen.save_images(images, tmp_path / "b", "s", grid=False)
    assert [p.name for p in only] == ["s_0000.png", "s_0001.png", "s_0002.png"]
    assert gen.save_images(images[:0], tmp_path / "c", "s") == []
    with pytest.raises(ValueError, match="shape"):
        gen.save_images(images[0], tmp_path / "d", "s")


def test_slerp_endpoints_norms_and_parallel_fallback():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 16))
    np.testing.assert_allclose(gen.slerp(a, b, 0.0), a, atol=1e-12)
    np.testing.assert_allclose(gen.slerp(a, b, 1.0), b, atol=1e-12)
    # Equal norms stay equal along the arc (a straight line would dip towards 0).
    b_same = b * np.linalg.norm(a) / np.linalg.norm(b)
    t = np.linspace(0, 1, 11)
    path = gen.slerp(a, b_same, t)
    assert path.shape == (11, 16)
    np.testing.assert_allclose(np.linalg.norm(path, axis=-1), np.linalg.norm(a), rtol=1e-9)
    mid = 0.5 * (a + b_same)
    assert np.linalg.norm(mid) < np.linalg.norm(path[5])
    # Orthogonal vectors of norms 1 and 2: intermediate norms lie between.
    x, y = np.eye(16)[0], 2 * np.eye(16)[1]
    norms = np.linalg.norm(gen.slerp(x, y, t[1:-1]), axis=-1)
    assert np.all((norms > 1) & (norms < 2))
    # Parallel and anti-parallel vectors (sin ω = 0): linear interpolation, no NaN.
    for other in (3 * a, -a, np.zeros(16)):
        got = gen.slerp(a, other, t)
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, (1 - t)[:, None] * a + t[:, None] * other, atol=1e-12)
    # Batched vectors with a scalar t.
    pairs = rng.standard_normal((2, 3, 16))
    assert gen.slerp(pairs[0], pairs[1], 0.3).shape == (3, 16)


def test_latent_loop_closes_without_repeating_a_point():
    points = np.random.default_rng(1).standard_normal((3, 8))
    loop = gen.latent_loop(points, 4)
    assert loop.shape == (12, 8) and loop.dtype == np.float32
    np.testing.assert_allclose(loop[[0, 4, 8]], points, atol=1e-6)
    assert len({row.tobytes() for row in loop}) == 12


def test_interpolation_gif_is_a_looping_animation(experiment, tmp_path):
    out = gen.interpolation_gif(
        experiment, tmp_path / "walk" / "walk.gif", num_points=3, steps=4, duration_ms=50
    )
    assert out == tmp_path / "walk" / "walk.gif"
    with Image.open(out) as im:
        assert im.format == "GIF" and im.is_animated
        assert im.n_frames == 3 * 4
        assert im.info.get("loop") == 0
        assert im.info.get("duration") == 50
        assert im.size == (140, 140)  # 28 px upscaled 5x to at least 128
    grid = gen.interpolation_gif(experiment, tmp_path / "grid.gif", 2, 3, walks=4, seed=5)
    with Image.open(grid) as im:
        assert im.n_frames == 6 and im.width > 2 * 140  # a 2x2 grid of walks
    assert not list(tmp_path.rglob(".*tmp"))
    with pytest.raises(ValueError, match="num_points"):
        gen.interpolation_gif(experiment, tmp_path / "x.gif", num_points=1)


def test_export_reloads_and_matches_the_in_memory_generator(experiment, tmp_path):
    files = gen.export_generator(experiment, tmp_path / "export")
    noise = gen.make_noise(5, experiment.config.noise_dim, seed=9)
    expected = np.asarray(experiment.gan.sampler(noise, training=False))

    reloaded = keras.models.load_model(files["keras"])
    np.testing.assert_allclose(reloaded(noise, training=False), expected, atol=1e-5)

    served = tf.saved_model.load(str(files["saved_model"]))
    np.testing.assert_allclose(served.serve(tf.constant(noise)), expected, atol=1e-5)
    (signature_out,) = served.signatures["serving_default"](tf.constant(noise)).values()
    np.testing.assert_allclose(signature_out, expected, atol=1e-5)

    info = json.loads(files["json"].read_text())
    assert info["noise_dim"] == experiment.config.noise_dim
    assert (info["image_size"], info["channels"], info["dataset"]) == (28, 1, "mnist")
    assert info["value_range"] == [-1.0, 1.0] and info["generator"] == "ema"
    assert info["checkpoint"].endswith("ckpt-2") and info["epoch"] == 2
    assert not list((tmp_path / "export").glob(".tmp*"))


def test_export_without_ema_uses_the_raw_generator_and_overwrites(model_dir, tmp_path):
    raw = GANExperiment.from_model_dir(model_dir, ema_decay=0.0)
    gen.export_generator(raw, tmp_path / "export")
    files = gen.export_generator(raw, tmp_path / "export", checkpoint="1")  # overwrite
    info = json.loads(files["json"].read_text())
    assert info["generator"] == "generator" and info["epoch"] == 1
    noise = gen.make_noise(3, raw.config.noise_dim, seed=2)
    reloaded = keras.models.load_model(files["keras"])
    expected = raw.gan.generator(noise, training=False)
    np.testing.assert_allclose(reloaded(noise, training=False), expected, atol=1e-5)


def test_conditional_generator_labels_walks_and_export(tmp_path, experiment):
    """An untrained conditional GAN saved as ckpt-1: labels reach G, per batch and exported."""
    config = TrainConfig(
        conditional=True,
        width=8,
        ema_decay=0.9,
        model_dir=str(tmp_path / "model"),
        gen_dir=str(tmp_path / "gen"),
    )
    cond = GANExperiment(mnist_spec(), config)
    cond.checkpoints.manager.save(checkpoint_number=1)
    # Default labels cycle 0..9 over the whole set, not per batch.
    cycled = gen.generate_images(cond, 12, seed=0, batch_size=5)
    noise = gen.make_noise(12, cond.config.noise_dim, 0)
    labels = np.arange(12) % 10
    np.testing.assert_allclose(cycled, cond.gan.sampler([noise, labels], training=False), atol=1e-6)
    zeros = gen.generate_images(cond, 4, seed=0, labels=0)
    ones = gen.generate_images(cond, 4, seed=0, labels=[1, 1, 1, 1])
    assert not np.allclose(zeros, ones)
    with pytest.raises(DataError, match=r"0\.\.9"):
        gen.generate_images(cond, 2, labels=10)
    with pytest.raises(DataError, match="not class-conditional"):
        gen.generate_images(experiment, 2, labels=1)

    gif = gen.interpolation_gif(cond, tmp_path / "walk.gif", num_points=2, steps=3, walks=3)
    with Image.open(gif) as im:
        assert im.n_frames == 6

    files = gen.export_generator(cond, tmp_path / "export")
    labels = np.array([0, 4, 9], np.int32)
    expected = np.asarray(cond.gan.sampler([noise[:3], labels], training=False))
    reloaded = keras.models.load_model(files["keras"])
    np.testing.assert_allclose(reloaded([noise[:3], labels], training=False), expected, atol=1e-5)
    served = tf.saved_model.load(str(files["saved_model"]))
    out = served.serve([tf.constant(noise[:3]), tf.constant(labels)])
    np.testing.assert_allclose(out, expected, atol=1e-5)
    info = json.loads(files["json"].read_text())
    assert info["num_classes"] == 10 and info["inputs"] == ["noise", "label"]


def _cli(*args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "gans.cli", "generate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_writes_images_gif_and_export(model_dir, experiment, tmp_path):
    result = _cli(
        f"--model_dir={model_dir}",
        "--num=5",
        "--seed=2",
        "--checkpoint=1",
        "--interpolate",
        "--export_dir=exported",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = model_dir.parent / "gen" / "dcgan_gan_28px" / "generated"  # <gen_dir>/<run>/generated
    names = sorted(p.name for p in out.iterdir())
    expected = [f"mnist_{i:04d}.png" for i in range(5)]
    assert names == sorted([*expected, "grid.png", "interpolation.gif"])
    same = gen.to_uint8(gen.generate_images(experiment, 5, seed=2, checkpoint="1"))
    for i, name in enumerate(expected):
        with Image.open(out / name) as im:
            assert im.mode == "L"
            np.testing.assert_array_equal(np.asarray(im), same[i, ..., 0])
    info = json.loads((tmp_path / "exported" / "export.json").read_text())
    assert info["epoch"] == 1 and (tmp_path / "exported" / "generator.keras").is_file()
    assert "ckpt-1" in result.stdout


def test_cli_truncation_writes_truncated_samples_and_refuses_a_bad_threshold(
    model_dir, experiment, tmp_path
):
    result = _cli(
        f"--model_dir={model_dir}", "--num=3", "--truncation=0.7", "--out_dir=t", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    same = gen.to_uint8(gen.generate_images(experiment, 3, seed=0, truncation=0.7))
    with Image.open(tmp_path / "t" / "mnist_0002.png") as im:
        np.testing.assert_array_equal(np.asarray(im), same[2, ..., 0])
    bad = _cli(f"--model_dir={model_dir}", "--num=3", "--truncation=0", cwd=tmp_path)
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 1 and len(lines) == 1 and "--truncation=0" in lines[0], bad.stderr


def test_cli_missing_model_dir_is_one_line_exit_1(tmp_path):
    result = _cli("--model_dir=missing", "--num=2", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "config.json" in lines[0]


def test_stream_images_writes_in_batches_and_caps_the_grid(experiment, tmp_path, monkeypatch):
    """``generate --num=100000`` streams: same images as the one-shot path, written batch by
    batch; the grid holds the first GRID_CAP images with a note (issue #14, case 7)."""
    monkeypatch.setattr(gen, "GRID_CAP", 5)
    written, note = gen.stream_images(experiment, 12, tmp_path, seed=3, batch_size=4)
    assert len(written) == 13 and written[-1].name == gen.GRID_NAME
    assert note == "grid.png shows the first 5 of 12 images"
    expected = gen.generate_images(experiment, 12, seed=3, batch_size=4)
    with Image.open(written[11]) as im:
        np.testing.assert_array_equal(np.asarray(im), gen.to_uint8(expected[11:12])[0][..., 0])
    single = gen.stream_images(experiment, 3, tmp_path / "few", seed=3)
    assert single[1] is None and len(single[0]) == 4


def test_model_dir_without_checkpoint_but_with_config_is_refused(model_dir, tmp_path):
    """Issue #14, case 5: config.json but no checkpoint → one line, exit 1, nothing scored."""
    import shutil

    copy = tmp_path / "no_ckpt"
    shutil.copytree(model_dir, copy)
    shutil.rmtree(copy / "checkpoints")
    result = _cli(f"--model_dir={copy}", "--num=2", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no checkpoint" in lines[0], result.stderr
    assert not (copy / "gen_img").exists()
