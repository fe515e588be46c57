"""Command-line plumbing shared by the preprocessing tools: flags, errors, the per-file loop.

Each tool defines its own flags in a `define_flags()` function (never at import, so tests can
import several tools without `DuplicateFlagError`) and calls `run_tool(main, define_flags)`.
Every user error ends the program with exactly one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from absl import app, flags

import preprocess_io

FLAGS = flags.FLAGS

EXIT_USAGE = 2  # bad flag value, missing folder
EXIT_FAILURE = 1  # the run itself failed

NAMED_COLOURS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
}


class ToolError(Exception):
    """A user-facing error; its message is printed as one line and the tool exits non-zero."""


class SkipImage(Exception):
    """Raised by a per-image transform to skip one image; the message is the reason."""


def parse_colour(text: str, allow_transparent: bool = False) -> tuple[int, int, int] | None:
    """Parse `R,G,B`, `#RRGGBB` or a name (white, black, gray) into an RGB tuple.

    Returns None for `transparent` when `allow_transparent`; raises ValueError otherwise.
    Colours are given in RGB order on the command line and converted to BGR by the tools.
    """
    value = text.strip().lower()
    if value == "transparent":
        if allow_transparent:
            return None
        raise ValueError("'transparent' is not allowed here")
    if value in NAMED_COLOURS:
        return NAMED_COLOURS[value]
    if value.startswith("#") and len(value) == 7:
        try:
            return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
        except ValueError:
            pass
    parts = value.split(",")
    if len(parts) == 3:
        try:
            rgb = tuple(int(p) for p in parts)
        except ValueError:
            rgb = ()
        if len(rgb) == 3 and all(0 <= c <= 255 for c in rgb):
            return rgb  # type: ignore[return-value]
    names = ", ".join(sorted(NAMED_COLOURS))
    extra = ", transparent" if allow_transparent else ""
    raise ValueError(f"expected R,G,B with 0-255 values, #RRGGBB or one of {names}{extra}")


def rgb_to_bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Reverse an RGB tuple into OpenCV's BGR order."""
    return (rgb[2], rgb[1], rgb[0])


def register_colour_flag(name: str, default: str, help_text: str, allow_transparent: bool) -> None:
    """Define a string flag holding a colour, validated at parse time."""
    flags.DEFINE_string(name, default, help_text)

    def _check(value: str) -> bool:
        try:
            parse_colour(value, allow_transparent=allow_transparent)
        except ValueError as err:
            raise flags.ValidationError(str(err)) from err
        return True

    flags.register_validator(name, _check)


def define_folder_flags() -> None:
    """Define --input_dir, --output_dir and --skip_existing (common to every tool)."""
    flags.DEFINE_string("input_dir", None, "Folder of input images (read recursively).")
    flags.DEFINE_string("output_dir", None, "Folder for outputs (created; inputs never change).")
    flags.DEFINE_bool(
        "skip_existing",
        False,
        "Leave outputs that already exist untouched instead of rewriting them (rewriting gives "
        "identical bytes; skipping is faster after an interrupted run).",
    )
    flags.mark_flags_as_required(["input_dir", "output_dir"])


def check_folders(input_dir: str, output_dir: str) -> tuple[Path, Path]:
    """Validate the folder flags, returning them as paths; raise ToolError on a problem."""
    src = Path(input_dir)
    dst = Path(output_dir)
    if not src.exists():
        raise ToolError(f"input folder not found: {src}")
    if not src.is_dir():
        raise ToolError(f"--input_dir is not a folder: {src}")
    if dst.exists() and not dst.is_dir():
        raise ToolError(f"--output_dir exists and is not a folder: {dst}")
    if dst.resolve() == src.resolve():
        raise ToolError("--output_dir must differ from --input_dir (inputs are never modified)")
    return src, dst


def _parse_flags_one_line(argv: list[str]) -> list[str]:
    """absl flags parser that reports a parsing error as a single line and exits."""
    try:
        return FLAGS(argv)
    except flags.Error as err:
        message = " ".join(str(err).split())
        print(f"{Path(argv[0]).name}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def run_tool(main: Callable[[list[str]], int | None], define_flags: Callable[[], None]) -> None:
    """Define the tool's flags, parse them and run `main`, turning ToolError into one line."""
    define_flags()

    def _main(argv: list[str]) -> int | None:
        if len(argv) > 1:
            print(
                f"{Path(argv[0]).name}: error: unexpected arguments: {' '.join(argv[1:])}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        try:
            return main(argv)
        except ToolError as err:
            print(f"{Path(argv[0]).name}: error: {err}", file=sys.stderr)
            return EXIT_USAGE

    app.run(_main, flags_parser=_parse_flags_one_line)


@dataclass
class RunSummary:
    """Counts and per-file problems of one folder run, printed at the end."""

    written: int = 0
    skipped_existing: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    ignored_non_images: int = 0

    def line(self) -> str:
        """One-line summary for stdout."""
        return (
            f"wrote {self.written}, kept {self.skipped_existing} existing, "
            f"skipped {len(self.problems)} with problems, "
            f"ignored {self.ignored_non_images} non-image files"
        )


def process_folder(
    input_dir: Path,
    output_dir: Path,
    transform: Callable[[np.ndarray], np.ndarray] | Callable[[np.ndarray, Path], np.ndarray],
    skip_existing: bool = False,
    with_name: bool = False,
) -> RunSummary:
    """Apply `transform` to every image under `input_dir`, writing PNGs under `output_dir`.

    Unreadable files and images the transform rejects (SkipImage) are reported on stderr with
    a one-line reason and skipped; the folder structure is mirrored. With `with_name` the
    transform is called as `transform(image, name)`, `name` being the output's path relative
    to `output_dir`, so a tool can mirror it for outputs of its own (crop_card_art's
    --debug_dir). Returns the summary.
    """
    summary = RunSummary(
        ignored_non_images=preprocess_io.count_non_images(input_dir, exclude=output_dir)
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[Path, Path] = {}  # kept input → its output, for labels.csv
    for rel, src, dst in preprocess_io.iter_input_output_pairs(input_dir, output_dir):
        if skip_existing and dst.is_file():
            summary.skipped_existing += 1
            outputs[rel] = dst.relative_to(output_dir)
            continue
        try:
            image = preprocess_io.read_image(src)
            if with_name:
                result = transform(image, dst.relative_to(output_dir))  # type: ignore[call-arg]
            else:
                result = transform(image)  # type: ignore[call-arg]
        except (preprocess_io.ImageReadError, SkipImage) as err:
            reason = " ".join(str(err).split())
            summary.problems.append((rel.as_posix(), reason))
            print(f"skipped {rel.as_posix()}: {reason}", file=sys.stderr)
            continue
        preprocess_io.write_png(dst, result)
        summary.written += 1
        outputs[rel] = dst.relative_to(output_dir)
    preprocess_io.carry_labels(input_dir, output_dir, outputs)
    print(summary.line())
    return summary
