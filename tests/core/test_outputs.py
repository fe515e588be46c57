"""What a run writes besides checkpoints: one TensorBoard run with HParams, the report on
every stop and every evaluation, progress lines, and flags.txt with the suite's flags."""

import io
import json

import keras
import pytest
from absl import flags

from gans.core.errors import Interrupted
from gans.core.progress import Progress
from gans.core.report import run_report as rr
from gans.core.run import common_flags
from gans.core.run.callbacks import PeriodicReport
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import tiny_config


class InterruptAt(keras.callbacks.Callback):
    """Ctrl-C (KeyboardInterrupt) at the first batch of epoch ``epoch`` (0-based)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.at, self.epoch = epoch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_leaves_a_report_and_one_tensorboard_run_with_hparams(tmp_path):
    config = tiny_config(tmp_path, epochs=3, eval_every=0)
    experiment = GANExperiment(mnist_spec(), config)
    with pytest.raises(Interrupted):
        experiment.train([InterruptAt(1)])
    index = experiment.run.image_dir / "index.html"
    assert index.is_file() and "mnist_epoch_0001.png" in index.read_text()
    logs = experiment.run.model_dir / "tensorboard"
    assert [p.name for p in logs.iterdir()] == ["train"]  # one run, not tensorboard + images
    assert not (experiment.run.model_dir / "images").exists()
    events = b"".join(p.read_bytes() for p in (logs / "train").glob("events.out.*"))
    assert b"hparams" in events and b"samples" in events
    saved = json.loads((experiment.run.model_dir / "config.json").read_text())
    assert saved["dataset_spec"] == ["gans.mnist.mnist_dataset:mnist_spec", {"variant": "mnist"}]


def test_periodic_report_follows_the_evaluations():
    built = []
    report = PeriodicReport(lambda: built.append(1), every=2)
    for epoch in range(5):
        report.on_epoch_end(epoch)
    assert len(built) == 2  # after epochs 2 and 4
    PeriodicReport(lambda: built.append(1), every=0).on_epoch_end(1)
    assert len(built) == 2


def test_report_draws_swd_and_diversity_curves(tmp_path):
    run_dir, model_dir = tmp_path / "gen" / "run", tmp_path / "model"
    run_dir.mkdir(parents=True)
    model_dir.mkdir()
    rows = [
        {"epoch": e, "swd_mean": 100.0 / e, "ms_ssim_fake": 0.3, "ms_ssim_real": 0.2}
        for e in (1, 2, 3)
    ]
    (model_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = rr.build_run_report(run_dir, model_dir)
    assert {"swd", "diversity", "index"} <= set(written)
    html = (run_dir / "index.html").read_text()
    assert "swd.png" in html and "diversity.png" in html


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_on_a_terminal_only():
    terminal = FakeTerminal()
    with Progress("generating", total=4, stream=terminal, interval_s=0) as bar:
        for _ in range(4):
            bar.update()
    text = terminal.getvalue()
    assert "\r" in text and "4/4 images" in text and text.endswith("\n")
    log = io.StringIO()
    with Progress("converting", stream=log) as bar:
        bar.update(10)
    assert log.getvalue() == ""


def test_flags_text_and_help_hold_the_suite_flags_only():
    common_flags.define_common_flags()
    parser = flags.FLAGS
    parser.unparse_flags()
    try:
        parser(["prog", "--epochs=3", "--boost"])
        text = common_flags.flags_text()
    finally:
        parser.unparse_flags()
    lines = text.splitlines()
    assert "--epochs=3" in lines and "--boost" in lines
    assert not [line for line in lines if "help" in line or "test_" in line or "pdb" in line]
    suite = set(common_flags.SUITE_FLAGS)
    for name in (line.split("=")[0][2:] for line in lines):
        assert name in suite or name.removeprefix("no") in suite, name
    help_text = common_flags.help_text("usage line")
    for group in ("data:", "model:", "tricks:", "training:", "output:", "distribution:"):
        assert f"\n{group}\n" in help_text
    assert "--epochs (default: " in help_text and "--[no]boost (default: false)" in help_text
    assert "test_tmpdir" not in help_text


def test_a_bad_value_is_one_line_from_the_one_validation(capsys):
    common_flags.define_common_flags()
    with pytest.raises(SystemExit) as exit_info:
        common_flags._parse_or_exit(["prog", "--flip_prob=2"])
    flags.FLAGS.unparse_flags()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == "error: --flip_prob must be in [0, 1]"
