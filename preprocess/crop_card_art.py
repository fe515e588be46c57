"""Crop the artwork window out of Yu-Gi-Oh! and Magic card scans or photos.

Each image: find the card outline (see card_geometry), straighten it to the card's standard
aspect with a perspective warp, then cut the art window by the layout's proportions (see
card_layouts for the numbers and where they come from). With `--detect=false` the whole image
is taken as the card (flat scans and digital card images cropped to the card edge).

    python preprocess/crop_card_art.py --input_dir=datasets/yugioh/cards \
        --output_dir=datasets/yugioh/raw --layout=yugioh
"""

from __future__ import annotations

import numpy as np
from absl import flags

import card_geometry
import card_layouts
import preprocess_cli

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


def crop_card_art(
    image: np.ndarray,
    layout: card_layouts.CardLayout,
    card_width: int = 630,
    detect: bool = True,
    min_card_area: float = 0.1,
    use_whole_if_not_found: bool = False,
) -> np.ndarray:
    """Return the art window (BGR) of the card in `image` (BGR or BGRA).

    Raises preprocess_cli.SkipImage when detection finds no card and the whole image is not
    to be used instead.
    """
    bgr = _drop_alpha(image)
    height, width = bgr.shape[:2]
    corners = None
    if detect:
        corners = card_geometry.find_card_quad(bgr, min_area_fraction=min_card_area)
        if corners is None and not use_whole_if_not_found:
            raise preprocess_cli.SkipImage("no card outline found (try --detect=false)")
    if corners is None:
        corners = np.array(
            [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
        )
    card = card_geometry.warp_to_card(
        bgr, corners, card_layouts.card_pixel_size(layout, card_width)
    )
    x0, y0, x1, y1 = card_layouts.art_pixel_box(layout, card_width)
    return np.ascontiguousarray(card[y0:y1, x0:x1])


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
    """Crop every image of --input_dir into --output_dir."""
    del argv
    input_dir, output_dir = preprocess_cli.check_folders(FLAGS.input_dir, FLAGS.output_dir)
    layout = layout_from_flags()

    def transform(image: np.ndarray) -> np.ndarray:
        return crop_card_art(
            image,
            layout,
            card_width=FLAGS.card_width,
            detect=FLAGS.detect,
            min_card_area=FLAGS.min_card_area,
            use_whole_if_not_found=FLAGS.on_no_card == "whole",
        )

    preprocess_cli.process_folder(input_dir, output_dir, transform, FLAGS.skip_existing)
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
