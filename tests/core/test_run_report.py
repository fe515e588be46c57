"""Run report: progress GIF, history parsing, loss plot, index.html, headless render."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gans.core.report import run_report as rr

# Saturated, well-separated colours: one per epoch, easy to find after GIF quantization.
COLOURS = [
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
]
CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]


def colour(epoch: int) -> tuple[int, int, int]:
    """Distinct colour of 1-based ``epoch`` (a fixed palette, then a deterministic spread)."""
    if epoch <= len(COLOURS):
        return COLOURS[epoch - 1]
    return ((epoch * 47) % 200 + 30, (epoch * 83) % 200 + 30, (epoch * 29) % 200 + 30)


def make_run(
    root: Path, epochs: int = 5, size: tuple[int, int] = (40, 40), flags: str | None = None
) -> tuple[Path, Path]:
    """A fake ``gen_img/<ds>/<run>`` + ``models/<ds>/<run>`` pair like the engine writes."""
    run_dir = root / "gen_img" / "toy" / "run1"
    model_dir = root / "models" / "toy" / "run1"
    run_dir.mkdir(parents=True)
    model_dir.mkdir(parents=True)
    for e in range(1, epochs + 1):
        Image.new("RGB", size, colour(e)).save(run_dir / f"toy_epoch_{e:04d}.png")
    Image.new("RGB", size, (0, 0, 0)).save(run_dir / "reals.png")
    (run_dir / "flags.txt").write_text(flags if flags is not None else "--dataset=toy\n")
    lines = ["epoch,d_fake,d_loss,d_real,g_loss,img/s"]
    lines += [
        f"{e},{-0.1 * e},{1.4 - 0.1 * e},{0.1 * e},{0.7 + 0.1 * e},900.5" for e in range(epochs)
    ]
    (model_dir / "history.csv").write_text("\n".join(lines) + "\n")
    return run_dir, model_dir


def close(a, b, tol: int = 12) -> bool:
    return all(abs(int(x) - int(y)) <= tol for x, y in zip(a, b, strict=True))


def gif_frame_colours(path: Path) -> list[tuple[int, int, int]]:
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            rgb = im.convert("RGB")
            out.append(rgb.getpixel((rgb.width // 2, rgb.height // 2)))
        return out


# --- epoch images / GIF ---------------------------------------------------------------------
def test_epoch_images_sorted_numerically_and_filtered(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    for name in [
        "toy_epoch_0010.png",
        "toy_epoch_0002.png",
        "toy_epoch_10000.png",
        "toy_epoch_9999.png",
        "reals.png",
        "progress.gif",
        "losses.png",
        ".toy_epoch_0003.png.tmp",
        "toy_epoch_0004.jpg",
    ]:
        Image.new("RGB", (4, 4)).save(run_dir / name, format="PNG")
    names = [p.name for p in rr.epoch_images(run_dir)]
    assert names == [
        "toy_epoch_0002.png",
        "toy_epoch_0010.png",
        "toy_epoch_9999.png",
        "toy_epoch_10000.png",
    ]
    assert rr.epoch_images(tmp_path / "missing") == []


def test_progress_gif_one_frame_per_epoch_in_order(tmp_path):
    run_dir, _ = make_run(tmp_path, epochs=6)
    gif = rr.make_progress_gif(run_dir, duration_ms=200, final_hold_ms=1000)
    assert gif == run_dir / "progress.gif"
    with Image.open(gif) as im:
        assert im.format == "GIF"
        assert im.is_animated
        assert im.n_frames == 6
        assert im.info.get("loop") == 0  # loops forever
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    assert durations == [200] * 5 + [1000]
    got = gif_frame_colours(gif)
    for e, c in enumerate(got, start=1):
        assert close(c, colour(e)), (e, c, colour(e))
    assert not list(run_dir.glob(".*tmp"))


def test_progress_gif_subsamples_and_keeps_last(tmp_path):
    run_dir, _ = make_run(tmp_path, epochs=23, size=(16, 16))
    gif = rr.make_progress_gif(run_dir, max_frames=6)
    got = gif_frame_colours(gif)
    assert len(got) == 6
    assert close(got[0], colour(1))
    assert close(got[-1], colour(23))
    # Frames are distinct epochs in increasing order.
    assert len({colour(e) for e in range(1, 24)}) == 23
    epochs = [next(e for e in range(1, 24) if close(c, colour(e), tol=0)) for c in got]
    assert epochs == sorted(set(epochs))


def test_subsample_indices():
    assert rr._subsample(5, 10) == [0, 1, 2, 3, 4]
    idx = rr._subsample(1000, 200)
    assert len(idx) == 200 and idx[0] == 0 and idx[-1] == 999
    assert rr._subsample(7, 1) == [6]


def test_big_frames_keep_their_colours():
    a = np.zeros((400, 400, 3), np.uint8)
    for i, c in enumerate(COLOURS[:4]):
        a[(i // 2) * 200 : (i // 2 + 1) * 200, (i % 2) * 200 : (i % 2 + 1) * 200] = c
    out = np.asarray(rr._to_palette(Image.fromarray(a)).convert("RGB"))  # palette from a 1/2 copy
    np.testing.assert_array_equal(out, a)


def test_progress_gif_none_without_epoch_images_and_mixed_sizes(tmp_path):
    assert rr.make_progress_gif(tmp_path) is None
    assert not (tmp_path / "progress.gif").exists()
    Image.new("RGB", (20, 20), colour(1)).save(tmp_path / "x_epoch_0001.png")
    Image.new("RGB", (30, 24), colour(2)).save(tmp_path / "x_epoch_0002.png")
    (tmp_path / "x_epoch_0003.png").write_bytes(b"not a png")  # e.g. half-written elsewhere
    gif = rr.make_progress_gif(tmp_path)
    with Image.open(gif) as im:
        assert im.size == (20, 20)
        assert im.n_frames == 2


# --- history.csv ----------------------------------------------------------------------------
def test_read_history_repeated_header_and_truncated_last_line(tmp_path):
    csv = tmp_path / "history.csv"
    csv.write_text(
        "epoch,d_fake,d_loss,d_real,g_loss,img/s\n"
        "0,-1.0,1.3,1.0,0.7,100.0\n"
        "1,-1.1,1.2,1.1,0.8,101.0\n"
        "\n"
        "epoch,d_fake,d_loss,d_real,g_loss,img/s\n"  # resumed run re-wrote the header
        "2,-1.2,1.1,1.2,0.9,102.0\n"
        "3,-1.3,1.0"  # killed mid-line
    )
    h = rr.read_history(csv)
    assert list(h) == ["epoch", "d_fake", "d_loss", "d_real", "g_loss", "img/s"]
    assert h["epoch"] == [0.0, 1.0, 2.0]
    assert h["d_loss"] == [1.3, 1.2, 1.1]
    assert h["img/s"] == [100.0, 101.0, 102.0]


def test_read_history_rerun_epoch_new_columns_and_missing(tmp_path):
    assert rr.read_history(tmp_path / "nope.csv") == {}
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert rr.read_history(empty) == {}
    csv = tmp_path / "history.csv"
    csv.write_text(
        "epoch,d_loss,g_loss\n"
        "0,1.0,2.0\n"
        "1,0.9,1.9\n"
        "2,0.8,1.8\n"
        # resumed from the epoch-2 checkpoint with an extra metric: epoch 2 again
        "epoch,d_loss,g_loss,gp_loss\n"
        "2,0.75,1.75,0.1\n"
        "3,0.7,1.7,nan\n"
        "\n"
    )
    h = rr.read_history(csv)
    assert h["epoch"] == [0.0, 1.0, 2.0, 3.0]
    assert h["d_loss"] == [1.0, 0.9, 0.75, 0.7]
    assert all(math.isnan(v) for v in h["gp_loss"][:2]) and h["gp_loss"][2] == 0.1
    assert len({len(v) for v in h.values()}) == 1


# --- loss plot ------------------------------------------------------------------------------
def test_plot_losses_png_size_and_content(tmp_path):
    _, model_dir = make_run(tmp_path, epochs=12)
    h = rr.read_history(model_dir / "history.csv")
    assert rr.loss_columns(h) == ["d_loss", "g_loss"]
    out = rr.plot_losses(h, tmp_path / "plots" / "losses.png", title="toy <run>")
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.size == (800, 450)
        px = np.asarray(im.convert("RGB")).reshape(-1, 3)
    # Not blank: many non-white pixels, and both series' colours are drawn.
    assert (px.min(axis=1) < 200).sum() > 2000
    for c in rr._PALETTE[:2]:
        assert (np.abs(px.astype(int) - c).max(axis=1) <= 10).sum() > 100, c


def test_plot_losses_edge_cases(tmp_path):
    assert rr.plot_losses({}, tmp_path / "a.png") is None
    assert rr.plot_losses({"epoch": [0.0], "img/s": [3.0]}, tmp_path / "b.png") is None
    assert rr.plot_losses({"epoch": [0.0], "d_loss": [math.nan]}, tmp_path / "c.png") is None
    assert not list(tmp_path.iterdir())
    # One epoch, flat values, NaN gaps, a huge spike: all still draw.
    assert rr.plot_losses({"epoch": [0.0], "d_loss": [0.5]}, tmp_path / "d.png")
    n = 60
    h = {
        "epoch": [float(i) for i in range(n)],
        "d_loss": [1e6 if i == 1 else 1.0 / (1 + i) for i in range(n)],
        "g_loss": [math.nan if i % 10 == 0 else 2.0 for i in range(n)],
    }
    assert rr._y_range([h["d_loss"], h["g_loss"]])[2]  # spike clipped
    assert rr.plot_losses(h, tmp_path / "e.png", size=(640, 360))
    with Image.open(tmp_path / "e.png") as im:
        assert im.size == (640, 360)


def test_tick_labels():
    assert rr._tick_label(1.75, 0.25) == "1.75"
    assert rr._tick_label(2.0, 0.5) == "2.0"
    assert rr._tick_label(500.0, 100.0) == "500"
    assert rr._ticks(0.0, 10.0, 5) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert rr._ticks(1.0, 3.0, 8, integer=True) == [1.0, 2.0, 3.0]


# --- metrics.jsonl --------------------------------------------------------------------------
def test_read_metrics_skips_bad_lines(tmp_path):
    assert rr.read_metrics(tmp_path / "none.jsonl") == []
    p = tmp_path / "metrics.jsonl"
    p.write_text('{"epoch": 1, "swd_mean": 0.5}\n\nnot json\n[1, 2]\n{"epoch": 2, "kid_m')
    assert rr.read_metrics(p) == [{"epoch": 1, "swd_mean": 0.5}]


# --- index.html -----------------------------------------------------------------------------
def test_index_html_content(tmp_path):
    run_dir, model_dir = make_run(
        tmp_path, epochs=11, flags="--dataset=toy\n--note=<script>alert('x')</script> & more\n"
    )
    with open(model_dir / "metrics.jsonl", "w") as f:
        for rec in [
            {"epoch": 9, "swd_mean": 0.5, "kid_mean": 0.01},
            {"epoch": 4, "swd_mean": 0.9},
            {"epoch": 9, "swd_mean": 0.25, "kid_mean": 0.02, "ms_ssim_fake": 0.3},
        ]:
            f.write(json.dumps(rec) + "\n")
    rr.build_run_report(run_dir, model_dir)
    text = (run_dir / "index.html").read_text()

    # Flags escaped, in a <pre>; the raw script never appears.
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in text
    assert re.search(r"<pre>--dataset=toy\n", text)
    # Images: relative paths only, epochs in order, lazily loaded, with captions.
    srcs = re.findall(r'<img src="([^"]+)"', text)
    assert srcs[:5] == ["reals.png", "progress.gif", "losses.png", "swd.png", "diversity.png"]
    assert srcs[5:] == [f"toy_epoch_{e:04d}.png" for e in range(1, 12)]
    hrefs = re.findall(r'href="([^"]+)"', text)
    assert "../../../models/toy/run1/history.csv" in hrefs
    for link in srcs + hrefs:
        assert not link.startswith(("/", "file:", "http")), link
        assert (run_dir / link).exists(), link
    assert text.count('loading="lazy"') == 11
    assert "<figcaption>Epoch 11</figcaption>" in text
    assert "<title>toy/run1</title>" in text
    # Metrics: one row per epoch (latest wins), sorted, union of columns.
    rows = re.findall(r"<tr>(.*?)</tr>", text)
    assert "<th>epoch</th><th>swd_mean</th><th>kid_mean</th><th>ms_ssim_fake</th>" in rows[0]
    assert rows[1:] == [
        "<td>4</td><td>0.9</td><td></td><td></td>",
        "<td>9</td><td>0.25</td><td>0.02</td><td>0.3</td>",
    ]
    # No external assets.
    assert "http://" not in text and "https://" not in text


def test_index_html_omits_missing_pieces(tmp_path):
    run_dir = tmp_path / "bare"
    run_dir.mkdir()
    out = rr.write_index_html(run_dir, title="A & B")
    text = out.read_text()
    assert "<h1>A &amp; B</h1>" in text
    for absent in ("<img", "<pre>", "<table>", "Flags", "Metrics", "Epochs"):
        assert absent not in text
    # Missing model dir files: no metrics, no file links.
    run_dir2, _ = make_run(tmp_path / "x", epochs=2)
    text2 = rr.write_index_html(run_dir2, model_dir=tmp_path / "nowhere").read_text()
    assert "<table>" not in text2 and "Model files" not in text2
    assert "losses.png" not in text2 and "progress.gif" not in text2


def test_build_run_report_idempotent(tmp_path):
    run_dir, model_dir = make_run(tmp_path, epochs=4)
    first = rr.build_run_report(run_dir, model_dir)
    assert first == {
        "progress": run_dir / "progress.gif",
        "losses": run_dir / "losses.png",
        "index": run_dir / "index.html",
    }
    snapshot = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    second = rr.build_run_report(run_dir, model_dir)
    assert second == first
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == snapshot  # no temp files
    assert len(rr.epoch_images(run_dir)) == 4  # outputs never count as epochs

    # A new epoch shows up on the next build.
    Image.new("RGB", (40, 40), colour(5)).save(run_dir / "toy_epoch_0005.png")
    rr.build_run_report(run_dir, model_dir)
    with Image.open(run_dir / "progress.gif") as im:
        assert im.n_frames == 5
    assert "toy_epoch_0005.png" in (run_dir / "index.html").read_text()

    # Without a model dir: no plot, still a page.
    bare, _ = make_run(tmp_path / "other", epochs=1)
    assert set(rr.build_run_report(bare)) == {"progress", "index"}


def test_cli_guesses_model_dir(tmp_path):
    run_dir, _ = make_run(tmp_path, epochs=2)
    assert rr.guess_model_dir(run_dir) == (tmp_path / "models" / "toy" / "run1").resolve()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "gans.cli", "report", f"--run_dir={run_dir}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "losses:" in proc.stdout and (run_dir / "losses.png").exists()


# --- headless Chromium render ---------------------------------------------------------------
def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")
def test_index_renders_in_headless_chromium(tmp_path):
    run_dir, model_dir = make_run(tmp_path, epochs=6, size=(48, 48))
    index = rr.build_run_report(run_dir, model_dir)["index"]

    shot = tmp_path / "shot.png"
    proc = _chromium(
        [f"--screenshot={shot}", "--window-size=1000,1400", index.as_uri()], tmp_path / "p1"
    )
    assert shot.exists(), proc.stderr[-2000:]
    with Image.open(shot) as im:
        px = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    assert px.std() > 10, "blank page"
    for e in range(1, 7):  # every epoch grid was drawn
        hits = (np.abs(px - colour(e)).max(axis=1) <= 6).sum()
        assert hits >= 48 * 48 // 2, (e, hits)
    loss_blue = (np.abs(px - rr._PALETTE[0]).max(axis=1) <= 10).sum()
    assert loss_blue > 50, "loss plot not rendered"

    # Every <img> actually decoded: a test-only copy of the page records naturalWidth.
    probe = run_dir / "probe.html"
    probe.write_text(
        index.read_text().replace(' loading="lazy"', "")
        + "<script>addEventListener('load', () => { document.body.dataset.widths ="
        " [...document.images].map(i => i.naturalWidth).join(','); });</script>"
    )
    proc = _chromium(["--dump-dom", "--virtual-time-budget=5000", probe.as_uri()], tmp_path / "p2")
    m = re.search(r'data-widths="([^"]*)"', proc.stdout)
    assert m, proc.stdout[-2000:] + proc.stderr[-2000:]
    widths = [int(w) for w in m.group(1).split(",")]
    assert len(widths) == 3 + 6  # reals, progress, losses, 6 epochs
    assert widths[2] == 800 and all(w > 0 for w in widths), widths
    shutil.rmtree(tmp_path / "p1", ignore_errors=True)
    shutil.rmtree(tmp_path / "p2", ignore_errors=True)
