"""One smoke training step for every flagfile in flags/ (on tiny synthetic data)."""

import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from absl import flags

from gans.core.run.common_flags import config_from_flags, define_common_flags
from gans.core.run.experiment import GANExperiment
from gans.registry import SPECS, get_spec
from tests.testing_utils import REPO

FLAGFILES = sorted((REPO / "flags").glob("*.flags"))
TINY = ["--batch_size=8", "--width=8"]


def script_of(path: Path) -> str:
    match = re.search(r"^# script: gans/(\w+)/", path.read_text(), re.MULTILINE)
    assert match, f"{path.name}: second line must be '# script: gans/<dataset>/<dataset>_gan.py'"
    return match.group(1)


@pytest.fixture(scope="module")
def parser():
    define_common_flags()
    if "variant" not in flags.FLAGS:
        flags.DEFINE_enum("variant", "mnist", ["mnist", "fashion"], "mnist variant")
    return flags.FLAGS


def test_every_original_experiment_and_dataset_has_a_flagfile():
    names = {p.stem for p in FLAGFILES}
    for prefix in ("mnist_fc_gan", "mnist_fc_wgan", "mnist_conv_wgan", "pokemon64_monitored"):
        assert prefix in names
    for dataset in ("mnist", "fashion", "cifar10", "pokemon", "yugioh", "magic", "flags"):
        assert f"recommended_{dataset}" in names
    for path in FLAGFILES:
        assert path.read_text().startswith("# "), f"{path.name}: first line says what it is"


@pytest.mark.parametrize("path", FLAGFILES, ids=lambda p: p.stem)
def test_flagfile_builds_and_trains_one_step(parser, tmp_path, path):
    """Flags parse, the config resolves, the networks build, one scheduled step runs (64 px
    sets at 32 px: the same networks one block shorter, and cheaper to trace and run)."""
    package = script_of(path)
    smaller = ["--image_size=32"] if "--image_size=64" in path.read_text() else []
    parser.unparse_flags()
    parser(["prog", f"--flagfile={path}", *TINY, *smaller])
    name = {"mnist": "fashion_mnist" if parser.variant == "fashion" else "mnist"}.get(
        package, package
    )
    config = config_from_flags(name).replace(model_dir=str(tmp_path / "model"))
    experiment = GANExperiment(get_spec(name), config)
    c = experiment.config
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (c.batch_size, c.image_size, c.image_size, c.channels))
    noise = rng.standard_normal((c.batch_size, c.noise_dim))
    batch = (images.astype(np.float32), noise.astype(np.float32))
    data = tf.data.Dataset.from_tensors(batch).repeat(2)
    logs = experiment.gan.fit(data, epochs=1, verbose=0, shuffle=False).history
    assert np.isfinite(logs["d_loss"][0])


def test_original_experiments_pin_what_the_dataset_defaults_change():
    """A reproduction must not inherit a dataset's recommended tricks (half width,
    DiffAugment, EMA): the entry script applies those as flag defaults."""
    from gans.registry import SPECS

    keys = set()
    for name in SPECS:
        keys |= set(get_spec(name).train_defaults)
    assert {"width", "augment", "ema_decay"} <= keys
    for path in FLAGFILES:
        if path.stem.startswith("recommended_"):
            continue
        text = path.read_text()
        loss = re.search(r"^--loss=(\w+)", text, re.MULTILINE)
        package = script_of(path)
        per_loss = set()
        for name in SPECS:
            if name == package or (package == "mnist" and name.endswith("mnist")):
                per_loss |= set(
                    get_spec(name).loss_defaults.get(loss.group(1) if loss else "gan", {})
                )
        pinned = keys | per_loss
        if "--augment=none" in text:  # the DiffAugment ops do nothing without DiffAugment
            pinned.discard("augment_policy")
        missing = [key for key in sorted(pinned) if f"--{key}=" not in text]
        assert not missing, f"{path.name} does not pin {missing}"


@pytest.mark.parametrize(
    "path", [p for p in FLAGFILES if p.stem.startswith("recommended_")], ids=lambda p: p.stem
)
def test_recommended_flagfile_is_the_datasets_defaults(parser, path):
    """A dataset's defaults are its recommended settings: its ``recommended_`` flagfile
    (kept for reference and for older commands) resolves to the same config as no flags."""
    from gans.core.run.common_flags import set_defaults
    from gans.core.run.experiment import resolve

    package = script_of(path)
    parser.unparse_flags()
    parser(["prog", f"--flagfile={path}"])
    name = {"mnist": "fashion_mnist" if parser.variant == "fashion" else "mnist"}.get(
        package, package
    )
    spec = get_spec(name)
    with_file = resolve(config_from_flags(name), spec).replace(flags_text="")
    parser.unparse_flags()
    saved = {key: parser[key].default for key in spec.default_options()}
    try:
        set_defaults(**spec.default_options())
        parser(["prog"])
        defaults = resolve(config_from_flags(name), spec).replace(flags_text="")
    finally:
        parser.unparse_flags()
        set_defaults(**saved)
    assert with_file == defaults


def test_train_config_is_what_the_entry_script_runs(parser):
    """``spec.train_config()`` equals the config the entry script builds from no flags."""
    from gans.core.run.common_flags import set_defaults
    from gans.core.run.experiment import resolve

    for name in SPECS:
        spec = get_spec(name)
        saved = {key: parser[key].default for key in spec.default_options()}
        try:
            set_defaults(**spec.default_options())
            parser.unparse_flags()
            parser(["prog"])
            from_flags = config_from_flags(name).replace(flags_text="")
        finally:
            parser.unparse_flags()
            set_defaults(**saved)
        assert from_flags == spec.train_config().replace(dataset=name), name
        assert resolve(from_flags, spec) == resolve(spec.train_config(), spec)
