"""Evaluating a trained experiment: metrics with provenance, memorization picture, JSON."""

import json
import subprocess
import sys

import numpy as np

from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import REPO, tiny_config


def test_evaluate_writes_metrics_with_provenance(tmp_path):
    experiment = GANExperiment(mnist_spec(), tiny_config(tmp_path, batch_size=16))
    experiment.train()
    result = experiment.evaluate(num_samples=64)
    assert np.isfinite(result["classifier_fid"]) and result["swd_mean"] > 0
    assert result["classifier_extractor_name"] and result["num_generated"] == 64
    assert 0 <= result["mode_num_covered"] <= 10
    saved = json.loads((tmp_path / "model/evaluation_epoch_0001.json").read_text())
    assert saved["swd_mean"] == result["swd_mean"]
    assert (tmp_path / "gen/dcgan_gan_28px/closest_pairs.png").is_file()
    assert (tmp_path / "data/feature_classifier.keras").is_file()  # trained once, kept
    truncated = experiment.evaluate(num_samples=64, truncation=0.5)
    assert truncated["truncation"] == 0.5 and "truncation" not in result
    assert truncated["swd_mean"] != result["swd_mean"]
    saved = json.loads((tmp_path / "model/evaluation_epoch_0001_trunc0.5.json").read_text())
    assert saved["swd_mean"] == truncated["swd_mean"]


def test_evaluation_cli_missing_model_dir_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gans.cli", "evaluate", f"--model_dir={tmp_path / 'none'}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "config.json" in lines[0], result.stderr
