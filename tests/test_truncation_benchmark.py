"""The truncation benchmark end to end on a tiny trained MNIST model."""

import json

import pytest
from PIL import Image

from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import run_script, tiny_config


@pytest.mark.slow
def test_truncation_benchmark_scores_each_threshold_and_draws_rows(tmp_path):
    GANExperiment(mnist_spec(), tiny_config(tmp_path, batch_size=16)).train()
    picture, out = tmp_path / "rows.png", tmp_path / "rows.json"
    result = run_script(
        "benchmarks/truncation.py",
        f"--model_dir={tmp_path / 'model'}",
        "--thresholds=none,0.5",
        "--num_samples=64",
        f"--picture={picture}",
        f"--out={out}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert [r["truncation"] for r in rows] == ["none", 0.5]
    assert all(r["swd"] > 0 for r in rows) and rows[0]["swd"] != rows[1]["swd"]
    with Image.open(picture) as im:
        assert im.width > 12 * 28 and im.height > 2 * 28  # 12 columns, one row per threshold
