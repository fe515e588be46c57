"""Crop the artwork window out of Yu-Gi-Oh! and Magic card scans or photos.

Each image: find the card outline (card_geometry, card_candidates), straighten it to the
card's standard aspect with a perspective warp, place the art window by the layout's
proportions (card_layouts gives the numbers and where they come from) and snap it to the art
window's frame line (art_register). With `--detect=false` the whole image is taken as the card
and the layout box is cut as it is (flat scans and digital card images cropped to the card
edge). `--debug_dir` draws the chosen quad and art box on each photo.

    python preprocess/crop_card_art.py --input_dir=datasets/yugioh/cards \
        --output_dir=datasets/yugioh/raw --layout=yugioh
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from absl import flags

import art_register
import card_geometry
import card_layouts
import preprocess_cli
import preprocess_io

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Define this tool's flags (called only when run as a script)."""
    preprocess_cli.define_folder_flags()
    flags.DEFINE_enum(
        "layout", "yugioh", ["yugioh", "magic", "custom"], "Card layout giving the art window."
    )
    flags.DEFINE_string(
        "box", None, "Art window as x0,y0,x1,y1 fractions of the card; only with --layout=custom."
    )
    flags.DEFINE_string(
        "card_mm",
        None,
        "Card size WxH in mm for --layout=custom (default 63x88); sets the straightened aspect.",
    )
    flags.DEFINE_bool("detect", True, "Find and straighten the card; false for flat scans.")
    flags.DEFINE_bool(
        "register",
        True,
        "After detection, snap the layout's art box to the art window's frame line.",
    )
    flags.DEFINE_string(
        "debug_dir",
        None,
        "If set, write here per input a PNG of the photo with the chosen card quad (green, "
        "yellow dot at the card's top-left) and art box (magenta) drawn.",
    )
    flags.DEFINE_integer(
        "card_width",
        630,
        "Width in pixels of the straightened card.",
        lower_bound=64,
        upper_bound=8192,
    )
    flags.DEFINE_float(
        "min_card_area",
        0.1,
        "Smallest share of the image the detected card may cover.",
        lower_bound=0.01,
        upper_bound=0.98,
    )
    flags.DEFINE_enum(
        "on_no_card",
        "skip",
        ["skip", "whole"],
        "When no card outline is found: skip the image (reported) or use the whole image.",
    )

    def _box_ok(value: str | None) -> bool:
        if value is not None:
            try:
                card_layouts.parse_box(value)
            except ValueError as err:
                raise flags.ValidationError(str(err)) from err
        return True

    def _mm_ok(value: str | None) -> bool:
        if value is not None:
            try:
                parse_card_mm(value)
            except ValueError as err:
                raise flags.ValidationError(str(err)) from err
        return True

    flags.register_validator("box", _box_ok)
    flags.register_validator("card_mm", _mm_ok)
    flags.register_multi_flags_validator(
        ["layout", "box", "card_mm"],
        lambda f: (
            (f["layout"] == "custom") == (f["box"] is not None)
            and (f["card_mm"] is None or f["layout"] == "custom")
        ),
        message="--layout=custom needs --box=x0,y0,x1,y1; --box and --card_mm only go with it",
    )


def parse_card_mm(text: str) -> tuple[float, float]:
    """Parse `WxH` (mm, both positive) into floats; raise ValueError."""
    parts = text.lower().split("x")
    try:
        width, height = (float(p) for p in parts)
    except ValueError as err:
        raise ValueError("expected WxH in millimetres, e.g. 63x88") from err
    if width <= 0 or height <= 0:
        raise ValueError("card sizes must be positive")
    return width, height


@dataclass(frozen=True)
class ArtLocation:
    """Where the art was found: the card's corners in the image (tl, tr, br, bl), the
    straightened card's size (w, h) and the art box (x0, y0, x1, y1) on it, in pixels."""

    corners: np.ndarray
    card_size: tuple[int, int]
    art_box: tuple[int, int, int, int]

    def art_corners(self) -> np.ndarray:
        """The art box's corners mapped back into the image (tl, tr, br, bl)."""
        width, height = self.card_size
        target = np.array(
            [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32
        )
        matrix = cv2.getPerspectiveTransform(target, self.corners.astype(np.float32))
        x0, y0, x1, y1 = self.art_box
        box = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)
        return cv2.perspectiveTransform(box, matrix)[0]


def locate_and_crop(
    image: np.ndarray,
    layout: card_layouts.CardLayout,
    card_width: int = 630,
    detect: bool = True,
    min_card_area: float = 0.1,
    use_whole_if_not_found: bool = False,
    register: bool = True,
) -> tuple[np.ndarray, ArtLocation]:
    """Return the art window (BGR, the layout box's size) and where it was found.

    With `detect`, the card is found and straightened and (with `register`) the layout box
    is snapped to the art window's frame line; without it the image is the card and the
    layout box is cut as it is. Raises preprocess_cli.SkipImage when detection finds no
    card and the whole image is not to be used instead.
    """
    bgr = _drop_alpha(image)
    height, width = bgr.shape[:2]
    corners = None
    if detect:
        corners = card_geometry.find_card_quad(
            bgr, min_area_fraction=min_card_area, aspect=layout.aspect, border=layout.border
        )
        if corners is None and not use_whole_if_not_found:
            raise preprocess_cli.SkipImage("no card outline found (try --detect=false)")
    found = corners is not None
    if corners is None:
        corners = np.array(
            [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
        )
    size = card_layouts.card_pixel_size(layout, card_width)
    card = card_geometry.warp_to_card(bgr, corners, size)
    box = card_layouts.art_pixel_box(layout, card_width)
    x0, y0, x1, y1 = art_register.register_art_box(card, box) if found and register else box
    crop = card[y0:y1, x0:x1]
    if (x0, y0, x1, y1) != box:
        crop = cv2.resize(crop, (box[2] - box[0], box[3] - box[1]), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop), ArtLocation(corners, size, (x0, y0, x1, y1))


def crop_card_art(image: np.ndarray, layout: card_layouts.CardLayout, **options) -> np.ndarray:
    """Return the art window (BGR) of the card in `image` (BGR or BGRA); `options` and the
    SkipImage raised when no card is found are as for locate_and_crop."""
    return locate_and_crop(image, layout, **options)[0]


def draw_debug(image: np.ndarray, location: ArtLocation | None) -> np.ndarray:
    """The photo (BGR) with the chosen card quad (green) and art box (magenta) drawn on it,
    or a red cross when no card was found."""
    canvas = _drop_alpha(image).copy()
    thick = max(2, round(max(canvas.shape[:2]) / 300))
    if location is None:
        h, w = canvas.shape[:2]
        cv2.line(canvas, (0, 0), (w - 1, h - 1), (0, 0, 255), thick)
        cv2.line(canvas, (w - 1, 0), (0, h - 1), (0, 0, 255), thick)
        return canvas
    for quad, colour in ((location.corners, (0, 255, 0)), (location.art_corners(), (255, 0, 255))):
        cv2.polylines(canvas, [np.rint(quad).astype(np.int32)], True, colour, thick, cv2.LINE_AA)
    cv2.circle(
        canvas, tuple(int(v) for v in np.rint(location.corners[0])), 3 * thick, (0, 255, 255), -1
    )
    return canvas


def _drop_alpha(image: np.ndarray) -> np.ndarray:
    """Composite BGRA over white (transparent card corners become paper-white)."""
    if image.shape[2] == 3:
        return image
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    blended = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def layout_from_flags() -> card_layouts.CardLayout:
    """Build the CardLayout chosen by --layout/--box/--card_mm."""
    if FLAGS.layout != "custom":
        return card_layouts.LAYOUTS[FLAGS.layout]
    width_mm, height_mm = parse_card_mm(FLAGS.card_mm) if FLAGS.card_mm else (63.0, 88.0)
    return card_layouts.CardLayout("custom", width_mm, height_mm, card_layouts.parse_box(FLAGS.box))


def main(argv: list[str]) -> int:
    """Crop every image of --input_dir into --output_dir (and draw --debug_dir)."""
    del argv
    input_dir, output_dir = preprocess_cli.check_folders(FLAGS.input_dir, FLAGS.output_dir)
    layout = layout_from_flags()
    debug_dir = Path(FLAGS.debug_dir) if FLAGS.debug_dir else None
    if debug_dir is not None and debug_dir.resolve() == input_dir.resolve():
        raise preprocess_cli.ToolError("--debug_dir must differ from --input_dir")
    if debug_dir is not None and debug_dir.resolve() == output_dir.resolve():
        raise preprocess_cli.ToolError("--debug_dir must differ from --output_dir")

    def transform(image: np.ndarray, name: Path) -> np.ndarray:
        try:
            crop, location = locate_and_crop(
                image,
                layout,
                card_width=FLAGS.card_width,
                detect=FLAGS.detect,
                min_card_area=FLAGS.min_card_area,
                use_whole_if_not_found=FLAGS.on_no_card == "whole",
                register=FLAGS.register,
            )
        except preprocess_cli.SkipImage:
            if debug_dir is not None:  # a red cross: no card found
                preprocess_io.write_png(debug_dir / name, draw_debug(image, None))
            raise
        if debug_dir is not None:
            preprocess_io.write_png(debug_dir / name, draw_debug(image, location))
        return crop

    preprocess_cli.process_folder(
        input_dir, output_dir, transform, FLAGS.skip_existing, with_name=True
    )
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
