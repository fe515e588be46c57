"""Run report: what a person sees when opening a run folder.

From what the engine already writes (epoch grids and ``flags.txt`` in the run dir,
``history.csv`` and ``metrics.jsonl`` in the model dir) this builds, inside the run dir:

* ``progress.gif`` — the epoch grids as one looping animation,
* ``losses.png`` — D/G losses against epoch, drawn with Pillow (no plotting dependency),
* ``swd.png``, ``diversity.png`` — the evaluations' SWD and MS-SSIM (samples vs reals),
* ``index.html`` — a static page (relative links, no external assets) tying it together.

Everything is derived, written atomically and safe to rebuild at any time::

    gans-report --run_dir=gen_img/mnist/dcgan_gan_28px \
        --model_dir=models/mnist/dcgan_gan_28px
"""

from __future__ import annotations

import csv
import html
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from gans.core.report.image_grid import save_gif, save_image_atomic

EPOCH_IMAGE_RE = re.compile(r"^(?P<prefix>.+)_epoch_(?P<epoch>\d+)\.png$")

PROGRESS_GIF = "progress.gif"
LOSSES_PNG = "losses.png"
SWD_PNG = "swd.png"
DIVERSITY_PNG = "diversity.png"
INDEX_HTML = "index.html"
HISTORY_CSV = "history.csv"
METRICS_JSONL = "metrics.jsonl"

# Tableau-10: distinct line colours that stay readable on white.
_PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


# --- small helpers -------------------------------------------------------------------------
def _atomic_tmp(path: Path) -> Path:
    """Hidden temporary sibling of ``path``; renamed over it once complete."""
    return path.with_name(f".{path.name}.tmp")


def _write_text_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_tmp(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's built-in font at ``size`` (scalable since Pillow 10.1, bitmap before)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _text_size(draw: ImageDraw.ImageDraw, text: str, font) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return right - left, bottom - top


def _finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))


# --- epoch images and GIF -------------------------------------------------------------------
def epoch_images(run_dir: str | os.PathLike) -> list[Path]:
    """Epoch grid files ``<prefix>_epoch_NNNN.png`` in ``run_dir``, sorted by epoch number.

    Sorting is numeric, so ``epoch_10000`` follows ``epoch_9999`` even past the zero padding.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    found = []
    for p in run_dir.iterdir():
        m = EPOCH_IMAGE_RE.match(p.name)
        if m and not p.name.startswith(".") and p.is_file():
            found.append((int(m["epoch"]), p.name, p))
    return [p for _, _, p in sorted(found)]


def _epoch_of(path: Path) -> int:
    m = EPOCH_IMAGE_RE.match(path.name)
    return int(m["epoch"]) if m else -1


def _subsample(n: int, k: int) -> list[int]:
    """``k`` evenly spread indices of ``range(n)``, always including the first and last."""
    if n <= k:
        return list(range(n))
    if k <= 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def _to_palette(frame: Image.Image, sample_pixels: int = 40_000) -> Image.Image:
    """256-colour version of an RGB frame with its own (adaptive) palette.

    Grids differ a lot between early and late epochs, so each frame gets its own palette.
    Median cut is superlinear in pixels, so the palette is chosen on a downscaled copy
    (~10x faster on big grids, slightly coarser) and the full frame mapped onto it without
    dithering (dither noise flickers from frame to frame).
    """
    factor = math.ceil(math.sqrt(frame.width * frame.height / sample_pixels))
    if factor <= 1:
        return frame.quantize(colors=256)
    palette = frame.reduce(factor).quantize(colors=256)
    return frame.quantize(palette=palette, dither=Image.Dither.NONE)


def make_progress_gif(
    run_dir: str | os.PathLike,
    out_name: str = PROGRESS_GIF,
    duration_ms: int = 300,
    max_frames: int = 200,
    final_hold_ms: int = 1500,
    max_side: int = 1024,
) -> Path | None:
    """Animate the epoch grids into a looping GIF in ``run_dir``; None if there are none.

    One frame per epoch image, subsampled evenly past ``max_frames`` (the last epoch is
    always kept and held for ``final_hold_ms``). Frames larger than ``max_side`` are
    downscaled so long runs of big grids stay a reasonable size. Unreadable images (e.g.
    written by another process right now) are skipped. Note that GIF encoders merge
    consecutive *identical* frames, so a run whose samples stopped changing has fewer frames.
    """
    run_dir = Path(run_dir)
    paths = epoch_images(run_dir)
    if not paths:
        return None
    paths = [paths[i] for i in _subsample(len(paths), max_frames)]

    frames: list[Image.Image] = []
    size: tuple[int, int] | None = None
    for p in paths:
        try:
            with Image.open(p) as im:
                frame = im.convert("RGB")
        except OSError:
            continue
        if size is None:
            scale = min(1.0, max_side / max(frame.size))
            size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
        if frame.size != size:
            frame = frame.resize(size, Image.Resampling.LANCZOS)
        frames.append(_to_palette(frame))
    if not frames:
        return None

    durations = [duration_ms] * len(frames)
    durations[-1] = max(duration_ms, final_hold_ms)
    return save_gif(frames, run_dir / out_name, durations)


# --- history.csv ----------------------------------------------------------------------------
def _parse_float(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def read_history(csv_path: str | os.PathLike) -> dict[str, list[float]]:
    """Columns of a Keras ``CSVLogger`` file as ``{name: [value per epoch]}``; {} if missing.

    Robust to what appending across resumes produces: a header line may reappear (possibly
    with other columns — each header applies to the rows below it), blank lines, and a
    partial last line (a row with the wrong number of fields or an unparsable epoch is
    dropped). Rows are keyed by epoch: a repeated epoch (re-run after resuming from an
    earlier checkpoint) keeps its latest row, and the result is sorted by epoch. All lists
    have the same length; cells absent from a row's header are NaN.
    """
    path = Path(csv_path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}

    header: list[str] | None = None
    columns: dict[str, None] = {}  # ordered set of names, first-seen order
    rows: dict[float, dict[str, float]] = {}
    for fields in csv.reader(text.splitlines()):
        if not fields or all(not f.strip() for f in fields):
            continue
        fields = [f.strip() for f in fields]
        if header is None or math.isnan(_parse_float(fields[0])):
            header = fields  # first line, or a header repeated by an appending logger
            columns.update(dict.fromkeys(header))
            continue
        if len(fields) != len(header):
            continue  # partial / corrupt line
        row = {name: _parse_float(cell) for name, cell in zip(header, fields, strict=True)}
        epoch = row.get("epoch", float(len(rows)))
        if not _finite(epoch):
            continue
        rows[epoch] = row  # a re-run epoch keeps its latest row

    if not rows:
        return {}
    ordered = [rows[e] for e in sorted(rows)]
    out = {name: [r.get(name, math.nan) for r in ordered] for name in columns}
    if "epoch" not in out:
        out = {"epoch": [float(e) for e in sorted(rows)], **out}
    return out


# --- loss plot ------------------------------------------------------------------------------
def loss_columns(history: dict[str, list[float]]) -> list[str]:
    """Columns worth plotting as losses: names containing "loss", D and G first."""
    names = [k for k in history if "loss" in k.lower() and k != "epoch"]
    first = [k for k in ("d_loss", "g_loss") if k in names]
    return first + [k for k in names if k not in first]


def _nice_step(span: float, target_ticks: int) -> float:
    """A 1-2-5 step giving about ``target_ticks`` ticks over ``span``."""
    raw = span / max(1, target_ticks)
    if raw <= 0 or not _finite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _ticks(lo: float, hi: float, target: int, integer: bool = False) -> list[float]:
    step = _nice_step(hi - lo, target)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = first
    while v <= hi + 1e-9 * step:
        ticks.append(0.0 if abs(v) < 1e-12 * step else v)
        v += step
    return ticks


def _tick_label(v: float, step: float) -> str:
    if abs(v) >= 1e5 or (0 < abs(v) < 1e-3):
        return f"{v:.2g}"
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-6 * step), 6)
    return f"{v:.{decimals}f}"


def _y_range(series: Sequence[Sequence[float]]) -> tuple[float, float, bool]:
    """(lo, hi, clipped) of the y axis over all ``series``.

    Normally the full range. When a few spikes dominate (e.g. a huge first-epoch loss), the
    range is cut to each series' values without its top/bottom 2 % (at least one point
    each side) so the rest stays readable.
    """
    full, trimmed = [], []
    for values in series:
        vals = sorted(v for v in values if _finite(v))
        if not vals:
            continue
        full += [vals[0], vals[-1]]
        k = max(1, len(vals) // 50) if len(vals) >= 20 else 0
        trimmed += [vals[k], vals[-1 - k]]
    lo, hi = min(full), max(full)
    t_lo, t_hi = min(trimmed), max(trimmed)
    clipped = (hi - lo) > 3 * max(t_hi - t_lo, 1e-12)
    if clipped:
        lo, hi = t_lo, t_hi
    if hi - lo < 1e-12:
        pad = max(abs(hi) * 0.1, 0.5)
        return lo - pad, hi + pad, clipped
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad, clipped


def plot_losses(
    history: dict[str, list[float]],
    out_path: str | os.PathLike,
    title: str = "",
    size: tuple[int, int] = (800, 450),
) -> Path | None:
    """Line chart of the loss columns (see :func:`loss_columns`) against 1-based epoch.

    Epochs are shown 1-based so they match the "Epoch N" grids (CSVLogger counts from 0).
    When a few spikes would flatten everything else (typical of early GAN training), the
    y axis is clipped to the bulk of the values and says so. Pillow only; None if no data.
    """
    names = loss_columns(history)
    n = max((len(history[k]) for k in names), default=0)
    epochs = history.get("epoch") or [float(i) for i in range(n)]
    return plot_lines(
        [e + 1 for e in epochs[:n]],
        {k: history[k] for k in names},
        out_path,
        title=title,
        size=size,
    )


def plot_lines(
    xs: Sequence[float],
    series: dict[str, Sequence[float]],
    out_path: str | os.PathLike,
    title: str = "",
    size: tuple[int, int] = (800, 450),
    x_label: str = "epoch",
    y_label: str = "loss",
) -> Path | None:
    """Line chart of named ``series`` against ``xs`` (NaN breaks a line). Pillow only.

    The y axis is clipped to the bulk of the values when a few outliers would flatten the
    rest, and its label says so. None if no series has a finite value.
    """
    history = {k: list(v) for k, v in series.items()}
    names = [k for k in history if any(_finite(v) for v in history[k])]
    if not names:
        return None
    n = max(len(history[k]) for k in names)
    xs = list(xs[:n])

    width, height = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font, small, big = _font(14), _font(12), _font(16)

    left, right, bottom = 70, width - 16, height - 48
    title_h = 28 if title else 6
    legend = _legend_layout(draw, names, left, right, title_h, font)
    top = max(y for _, y, _ in legend) + 24
    pw, ph = right - left, bottom - top

    x_lo, x_hi = min(xs), max(xs)
    if x_hi - x_lo < 1:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    y_lo, y_hi, clipped = _y_range([history[k] for k in names])

    def sx(x: float) -> float:
        return (x - x_lo) / (x_hi - x_lo) * (pw - 1)

    def sy(y: float) -> float:
        return (y_hi - y) / (y_hi - y_lo) * (ph - 1)

    # Grid and tick labels.
    x_ticks = _ticks(x_lo, x_hi, 8, integer=True)
    y_ticks = _ticks(y_lo, y_hi, 6)
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else _nice_step(y_hi - y_lo, 6)
    for t in y_ticks:
        y = top + sy(t)
        draw.line([(left, y), (right, y)], fill=(232, 232, 232))
        label = _tick_label(t, y_step)
        tw, th = _text_size(draw, label, small)
        draw.text((left - 6 - tw, y - th / 2 - 2), label, fill=(60, 60, 60), font=small)
    for t in x_ticks:
        x = left + sx(t)
        draw.line([(x, top), (x, bottom)], fill=(232, 232, 232))
        label = str(int(t))
        tw, _ = _text_size(draw, label, small)
        draw.text((x - tw / 2, bottom + 6), label, fill=(60, 60, 60), font=small)
    draw.rectangle([left, top, right, bottom], outline=(90, 90, 90))

    # Lines, drawn on a plot-area layer so anything outside the (clipped) range is cut off.
    area = Image.new("RGBA", (pw, ph), (0, 0, 0, 0))
    adraw = ImageDraw.Draw(area)
    for i, name in enumerate(names):
        colour = _PALETTE[i % len(_PALETTE)]
        segment: list[tuple[float, float]] = []
        for x, y in zip(xs, history[name][:n], strict=False):
            if _finite(y):
                segment.append((sx(x), sy(y)))
                continue
            _draw_segment(adraw, segment, colour)
            segment = []
        _draw_segment(adraw, segment, colour)
    img.paste(area, (left, top), area)

    # Labels, title, legend.
    tw, _ = _text_size(draw, x_label, font)
    draw.text((left + pw / 2 - tw / 2, bottom + 24), x_label, fill="black", font=font)
    ylabel = f"{y_label} (outliers clipped)" if clipped else y_label
    tw, th = _text_size(draw, ylabel, font)
    rotated = Image.new("RGBA", (tw + 4, th + 6), (255, 255, 255, 0))
    ImageDraw.Draw(rotated).text((2, 0), ylabel, fill="black", font=font)
    rotated = rotated.rotate(90, expand=True)
    img.paste(rotated, (4, int(top + ph / 2 - rotated.height / 2)), rotated)
    if title:
        tw, _ = _text_size(draw, title, big)
        draw.text((width / 2 - tw / 2, 8), title, fill="black", font=big)
    for (x, y, name), colour in zip(legend, _cycle_palette(len(names)), strict=True):
        draw.line([(x, y + 8), (x + 20, y + 8)], fill=colour, width=3)
        draw.text((x + 26, y), name, fill="black", font=font)

    return save_image_atomic(img, Path(out_path), format="PNG")


def _draw_segment(draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], colour) -> None:
    if len(pts) >= 2:
        draw.line(pts, fill=colour, width=2, joint="curve")
    # Mark points too when there are few, so a single epoch is still visible.
    if 0 < len(pts) <= 30:
        for x, y in pts:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)


def _cycle_palette(n: int) -> list[tuple[int, int, int]]:
    return [_PALETTE[i % len(_PALETTE)] for i in range(n)]


def _legend_layout(draw, names, left, right, y0, font) -> list[tuple[int, int, str]]:
    """Legend entries as (x, y, name), in rows above the plot, wrapped to its width."""
    out, x, y = [], left, y0
    for name in names:
        w = 26 + _text_size(draw, name, font)[0] + 18
        if x > left and x + w > right:
            x, y = left, y + 20
        out.append((x, y, name))
        x += w
    return out


# --- metrics.jsonl --------------------------------------------------------------------------
def read_metrics(jsonl_path: str | os.PathLike) -> list[dict]:
    """JSON objects of ``metrics.jsonl`` in file order; blank/corrupt lines skipped, [] if none."""
    try:
        text = Path(jsonl_path).read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def latest_per_epoch(records: Iterable[dict]) -> list[dict]:
    """One record per epoch — the last one written — sorted by epoch (records without skipped)."""
    latest: dict = {}
    for r in records:
        if "epoch" in r and isinstance(r["epoch"], int | float):
            latest[r["epoch"]] = r
    return [latest[e] for e in sorted(latest)]


def plot_metrics(records: list[dict], run_dir: Path, title: str = "") -> dict[str, Path]:
    """``swd.png`` (SWD against epoch) and ``diversity.png`` (MS-SSIM of samples and of real
    images: samples far above the reals mean collapse) from ``metrics.jsonl`` records."""
    rows = [r for r in latest_per_epoch(records) if isinstance(r.get("epoch"), int | float)]
    if not rows:
        return {}
    epochs = [float(r["epoch"]) for r in rows]

    def column(key: str) -> list[float]:
        return [float(r[key]) if isinstance(r.get(key), int | float) else math.nan for r in rows]

    written = {}
    swd = plot_lines(
        epochs,
        {"SWD": column("swd_mean")},
        run_dir / SWD_PNG,
        title=title,
        y_label="sliced Wasserstein distance",
    )
    if swd is not None:
        written["swd"] = swd
    diversity = plot_lines(
        epochs,
        {"samples": column("ms_ssim_fake"), "real images": column("ms_ssim_real")},
        run_dir / DIVERSITY_PNG,
        title=title,
        y_label="MS-SSIM (lower = more diverse)",
    )
    if diversity is not None:
        written["diversity"] = diversity
    return written


def _fmt_cell(v) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}" if _finite(v) else str(v)
    return json.dumps(v) if isinstance(v, list | dict) else str(v)


# --- index.html -----------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.4em; margin: 0 0 .5em; }
h2 { font-size: 1.1em; margin: 1.5em 0 .5em; border-bottom: 1px solid #ddd; }
pre { background: #f6f6f6; padding: .7em; overflow-x: auto; font-size: .85em; }
img { max-width: 100%; height: auto; image-rendering: pixelated; }
img.plot { image-rendering: auto; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
figcaption { font-size: .85em; color: #555; }
table { border-collapse: collapse; font-size: .85em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; }
th { background: #f2f2f2; }
.files a { margin-right: 1em; }
"""


def _src(path: Path, base: Path) -> str:
    """URL-quoted path of ``path`` relative to ``base`` (forward slashes, works on file://)."""
    rel = os.path.relpath(path, base)
    return html.escape(quote(Path(rel).as_posix()), quote=True)


def _figure(src: str, caption: str, alt: str, lazy: bool = False, cls: str = "") -> str:
    loading = ' loading="lazy"' if lazy else ""
    klass = f' class="{cls}"' if cls else ""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{src}" alt="{html.escape(alt)}"{loading}{klass}>{cap}</figure>'


def _metrics_table(records: list[dict]) -> str:
    rows = latest_per_epoch(records)
    if not rows:
        return ""
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(k for k in r if k != "epoch"))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["epoch", *cols])
    body = "\n".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_fmt_cell(r.get(c)))}</td>" for c in ["epoch", *cols])
        + "</tr>"
        for r in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def default_title(run_dir: str | os.PathLike) -> str:
    """``<dataset>/<run>`` from ``gen_img/<dataset>/<run>``."""
    run_dir = Path(run_dir).resolve()
    return f"{run_dir.parent.name}/{run_dir.name}" if run_dir.parent.name else run_dir.name


def write_index_html(
    run_dir: str | os.PathLike,
    model_dir: str | os.PathLike | None = None,
    title: str | None = None,
) -> Path:
    """Write ``run_dir/index.html``: flags, reals, progress GIF, loss plot, metrics, epochs.

    A static page with relative links only, so the folder can be opened from disk, copied
    or served as is. Missing pieces are left out; all text is HTML-escaped.
    """
    run_dir = Path(run_dir)
    model_dir = Path(model_dir) if model_dir is not None else None
    title = title if title is not None else default_title(run_dir)
    epochs = epoch_images(run_dir)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if epochs:
        parts.append(f"<p>{len(epochs)} epoch image(s), latest: epoch {_epoch_of(epochs[-1])}.</p>")

    flags = run_dir / "flags.txt"
    if flags.is_file():
        text = flags.read_text(encoding="utf-8", errors="replace")
        parts += ["<h2>Flags</h2>", f"<pre>{html.escape(text)}</pre>"]

    overview = []
    if (run_dir / "reals.png").is_file():
        overview.append(_figure(_src(run_dir / "reals.png", run_dir), "Real images", "reals"))
    if (run_dir / PROGRESS_GIF).is_file():
        overview.append(_figure(_src(run_dir / PROGRESS_GIF, run_dir), "Progress", "progress"))
    if overview:
        parts += ["<h2>Samples</h2>", "<div>", *overview, "</div>"]

    if (run_dir / LOSSES_PNG).is_file():
        parts += [
            "<h2>Losses</h2>",
            _figure(_src(run_dir / LOSSES_PNG, run_dir), "", "loss plot", cls="plot"),
        ]

    if model_dir is not None:
        table = _metrics_table(read_metrics(model_dir / METRICS_JSONL))
        if table:
            parts += ["<h2>Metrics</h2>", table]
            plots = [
                _figure(_src(run_dir / name, run_dir), "", alt, cls="plot")
                for name, alt in ((SWD_PNG, "SWD plot"), (DIVERSITY_PNG, "diversity plot"))
                if (run_dir / name).is_file()
            ]
            parts += plots
        files = [model_dir / n for n in (HISTORY_CSV, METRICS_JSONL, "config.json")]
        links = [
            f'<a href="{_src(f, run_dir)}">{html.escape(f.name)}</a>' for f in files if f.is_file()
        ]
        if links:
            parts.append(f'<p class="files">Model files: {" ".join(links)}</p>')

    if epochs:
        parts.append("<h2>Epochs</h2>")
        parts.append("<div>")
        parts += [
            _figure(_src(p, run_dir), f"Epoch {_epoch_of(p)}", p.name, lazy=True) for p in epochs
        ]
        parts.append("</div>")
    parts += ["</body>", "</html>", ""]
    return _write_text_atomic(run_dir / INDEX_HTML, "\n".join(parts))


# --- all together ---------------------------------------------------------------------------
def build_run_report(
    run_dir: str | os.PathLike, model_dir: str | os.PathLike | None = None
) -> dict[str, Path]:
    """Build ``progress.gif``, ``losses.png`` and ``index.html`` in ``run_dir``.

    Returns ``{"progress": ..., "losses": ..., "index": ...}`` for what was written (pieces
    without data are left out). Idempotent: every output is rebuilt from the run's files.
    A stale ``losses.png`` is kept if the history has since disappeared.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    gif = make_progress_gif(run_dir)
    if gif is not None:
        written["progress"] = gif
    if model_dir is not None:
        history = read_history(Path(model_dir) / HISTORY_CSV)
        plot = plot_losses(history, run_dir / LOSSES_PNG, title=default_title(run_dir))
        if plot is not None:
            written["losses"] = plot
        records = read_metrics(Path(model_dir) / METRICS_JSONL)
        written.update(plot_metrics(records, run_dir, title=default_title(run_dir)))
    written["index"] = write_index_html(run_dir, model_dir)
    return written


def guess_model_dir(run_dir: str | os.PathLike) -> Path | None:
    """``models/<dataset>/<run>`` beside ``gen_img/<dataset>/<run>``, if that exists."""
    run_dir = Path(run_dir).resolve()
    if len(run_dir.parents) < 3:
        return None
    candidate = run_dir.parents[2] / "models" / run_dir.parent.name / run_dir.name
    return candidate if candidate.is_dir() else None
