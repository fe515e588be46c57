"""The ablation benchmark end to end on a tiny synthetic small set (its figures are in docs/)."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.testing_utils import run_script


@pytest.mark.slow
def test_ablation_trains_scores_and_reports_the_real_floor(tmp_path):
    source = tmp_path / "sprites"
    source.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        pixels = rng.integers(0, 256, (24, 24, 4), np.uint8)
        Image.fromarray(pixels, "RGBA").save(source / f"s{i}.png")
    work = tmp_path / "work"
    common = [
        "--datasets=pokemon",
        f"--pokemon_dir={source}",
        f"--work_dir={work}",
        "--seeds=0",
        "--cpu_seconds=1",
        "--num_samples=100",
        "--train_flags=--image_size=32,--batch_size=4",
    ]
    out = tmp_path / "table.md"
    result = run_script(
        "benchmarks/ablation.py", *common, "--arms=baseline,w32,real", f"--out={out}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = out.read_text()
    assert "| pokemon | baseline |" in table and "× baseline" in table
    real = json.loads((work / "models" / "pokemon" / "real_score.json").read_text())
    assert real["memorization_pixel_fraction_flagged"] == 1.0  # draws of the training set
    score = json.loads((work / "models" / "pokemon" / "w32_s0" / "score_1.json").read_text())
    assert score["g_steps"] > 0 and np.isfinite(score["swd_mean"])
    side_by_side = "--side_by_side=baseline,w32"
    result = run_script("benchmarks/ablation.py", *common, side_by_side, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert Image.open(work / "pokemon_baseline_vs_w32_s0.png").width > 2 * 6 * 32
