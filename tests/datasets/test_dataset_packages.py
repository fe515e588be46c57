"""One smoke test over every dataset package: convert synthetic data, train, write a grid."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gans.cifar10.cifar10_dataset import cifar10_spec
from gans.core.run.config import TrainConfig
from gans.core.run.experiment import GANExperiment
from gans.flags.flags_dataset import flags_spec, gemojione_assets, is_country_flag
from gans.image_folder.image_folder_dataset import image_folder_spec
from gans.magic.magic_dataset import magic_spec
from gans.mnist.mnist_dataset import mnist_spec
from gans.pokemon.pokemon_dataset import pokemon_spec
from gans.yugioh.yugioh_dataset import yugioh_spec
from tests.testing_utils import make_idx_dir, run_script, tiny_config


def picture_folder(folder: Path, count: int, size=(40, 30), mode="RGB") -> Path:
    """Distinct small pictures (PNG and JPEG), non-square, plus one corrupt file."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        channels = 4 if mode == "RGBA" else 3
        pixels = rng.integers(0, 256, (size[1], size[0], channels), np.uint8)
        ext = "png" if mode == "RGBA" or i % 2 else "jpg"
        Image.fromarray(pixels, mode).save(folder / f"img_{i:03d}.{ext}")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return folder


def cifar_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(1, 6):
        batch = {b"data": rng.integers(0, 256, (8, 3072), np.uint8), b"labels": list(range(8))}
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch))
    return folder


SOURCES = {
    "mnist": (mnist_spec, lambda d: make_idx_dir(d, 40)),
    "cifar10": (cifar10_spec, cifar_folder),
    "pokemon": (pokemon_spec, lambda d: picture_folder(d, 20, mode="RGBA")),
    "yugioh": (yugioh_spec, lambda d: picture_folder(d, 20, size=(30, 44))),
    "magic": (magic_spec, lambda d: picture_folder(d, 20, size=(44, 32))),
    "flags": (flags_spec, lambda d: picture_folder(d, 20, size=(32, 32), mode="RGBA")),
    "images": (image_folder_spec, lambda d: picture_folder(d, 20)),
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_dataset_converts_trains_and_writes_a_grid(tmp_path, name):
    make_spec, make_source = SOURCES[name]
    spec = make_spec()
    source = make_source(tmp_path / "raw")
    small = spec.stored_size or 32
    config = tiny_config(
        tmp_path,
        source,
        image_size=None if spec.stored_size else small,
        **{**spec.train_defaults, "width": 8, "batch_size": 8},  # the defaults' nets, tiny
    )
    experiment = GANExperiment(spec, config)
    experiment.train()
    assert (tmp_path / "gen" / experiment.config.run_name / f"{spec.name}_epoch_0001.png").is_file()
    manifest = experiment.ensure_dataset()
    assert manifest["channels"] == spec.channels
    assert (experiment.data.tfrecord_dir / "contact_sheet.png").is_file()
    if spec.stored_size is None:
        assert [s["file"] for s in manifest["skipped"]] == ["broken.png"]
    images = experiment.generate(3, seed=1)
    assert images.shape == (3, small, small, spec.channels)
    np.testing.assert_array_equal(images, experiment.generate(3, seed=1))


def test_flags_keep_rgba_or_composite(tmp_path):
    source = picture_folder(tmp_path / "raw", 12, size=(32, 32), mode="RGBA")
    common = dict(image_size=32, source_dir=str(source), data_dir=str(tmp_path / "d"))
    rgba = GANExperiment(flags_spec(), TrainConfig(**common)).ensure_dataset()
    rgb = GANExperiment(
        flags_spec(), TrainConfig(channels=3, background="0,0,0", **common)
    ).ensure_dataset()
    assert (rgba["channels"], rgb["channels"]) == (4, 3)
    assert rgba["count"] == rgb["count"] == 12


def test_country_flag_names():
    assert is_country_flag(Path("1F1EB-1F1F7.png"))
    assert is_country_flag(Path("1f1fa-1f1f8.svg"))
    assert not is_country_flag(Path("1F600.png"))
    assert not is_country_flag(Path("0023-20E3.png"))


def test_missing_source_explains_how_to_get_it(tmp_path):
    result = run_script(
        "gans/pokemon/pokemon_gan.py", f"--source_dir={tmp_path / 'none'}", cwd=tmp_path
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "crawl.py --spider=pokeapi" in lines[0], result.stderr


@pytest.mark.skipif(gemojione_assets() is None, reason="ruby-gemojione not installed")
def test_real_emojione_flags_end_to_end(tmp_path):
    result = run_script(
        "gans/flags/flags_gan.py",
        "--epochs=1",
        "--steps_per_epoch=2",
        "--width=8",
        "--grid_size=16",
        "--verbose=2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = (tmp_path / "datasets/flags/tfrecords/64px_4ch_pad_white/manifest.json").read_text()
    # 257 country flags, 4 of them pixel-identical to another (e.g. Saint Martin = France).
    assert '"count": 253' in manifest
    run = tmp_path / "gen_img/flags/fastgan_hinge_64px"
    assert (run / "flags_epoch_0001.png").is_file() and (run / "reals.png").is_file()


def test_train_config_starts_from_the_dataset_defaults_like_the_entry_script():
    """The Python API gets the same defaults the ``<name>_gan.py`` flags start from."""
    config = flags_spec().train_config(epochs=3)
    resolved = GANExperiment(flags_spec(), config).config
    assert resolved.recon_weight == 1.0  # FastGAN's reconstruction loss, on by default
    assert (config.dataset, config.epochs, config.batch_size) == ("flags", 3, 16)
    assert (config.network, config.loss) == ("fastgan", "hinge")
    assert (config.augment, config.ema_decay, config.width) == ("diffaugment", 0.999, 16)
    assert flags_spec().train_config(width=64, augment="none").width == 64
    plain = TrainConfig()  # the engine's own defaults: the plain DCGAN
    assert (plain.augment, plain.ema_decay, plain.width) == ("none", 0.0, 64)
    for make_spec, _ in SOURCES.values():
        spec = make_spec()
        config = spec.train_config()
        for key, value in spec.default_options().items():
            assert getattr(config, key) == value, (spec.name, key)


def flag_named_folder(folder: Path) -> Path:
    """Pictures named like EmojiOne country flags (France, Japan, Brazil, ...)."""
    codes = [
        "FR",
        "DE",
        "IT",
        "ES",
        "NL",
        "BE",
        "PT",
        "SE",
        "JP",
        "CN",
        "IN",
        "KR",
        "TH",
        "VN",
        "ID",
        "PH",
        "BR",
        "AR",
        "CL",
        "PE",
        "CO",
        "VE",
        "UY",
        "EC",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for code in codes:
        name = "-".join(f"{0x1F1E6 + ord(c) - ord('A'):x}" for c in code)
        pixels = rng.integers(0, 256, (32, 32, 4), np.uint8)
        Image.fromarray(pixels, "RGBA").save(folder / f"{name}.png")
    return folder


def class_picture_folder(folder: Path, mode="RGB") -> Path:
    for name, count in (("alpha", 10), ("beta", 14)):
        picture_folder(folder / name, count, mode=mode)
        (folder / name / "broken.png").unlink()
    return folder


CONDITIONAL = {  # dataset: (spec, source, network and extra settings)
    "pokemon": (pokemon_spec, lambda d: class_picture_folder(d, "RGBA"), {"network": "fastgan"}),
    "yugioh": (yugioh_spec, class_picture_folder, {"network": "dcgan"}),
    "magic": (magic_spec, class_picture_folder, {"network": "fc"}),
    "images": (
        image_folder_spec,
        class_picture_folder,
        # 2 logical CPU devices, with DCGAN: conditional FastGAN under MirroredStrategy has
        # its own test (test_fastgan_step.py, slow group: its first step traces for a minute).
        {"balanced_classes": True, "strategy": "mirrored", "network": "dcgan"},
    ),
    "flags": (flags_spec, flag_named_folder, {}),
}


@pytest.mark.parametrize("name", sorted(CONDITIONAL))
def test_conditional_on_every_labelled_package(tmp_path, name):
    make_spec, make_source, settings = CONDITIONAL[name]
    spec = make_spec()
    config = tiny_config(
        tmp_path,
        make_source(tmp_path / "raw"),
        image_size=32,
        conditional=True,
        grid_size=6,
        **{**spec.train_defaults, "width": 8, "batch_size": 8, **settings},
    )
    experiment = GANExperiment(spec, config)
    if name == "flags":  # continents from the country codes in the file names
        assert experiment.class_names == ("Asia", "Europe", "S. America")
        assert experiment.ensure_dataset()["labels"]["from"] == "names"
    else:
        assert experiment.class_names == ("alpha", "beta")
    experiment.train()
    grid = tmp_path / "gen" / experiment.config.run_name / f"{spec.name}_epoch_0001.png"
    assert grid.is_file()
    images = experiment.generate(2, seed=0, labels=[1, 1])
    assert images.shape == (2, 32, 32, spec.channels)
