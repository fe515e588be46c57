"""Make every image square at one size, keeping its aspect ratio: pad or centre-crop.

    python preprocess/resize_pad.py --input_dir=datasets/magic/art \
        --output_dir=datasets/magic/raw --size=256 --mode=crop
"""

from __future__ import annotations

import numpy as np
from absl import flags

import preprocess_cli
import square_fit

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Define this tool's flags (called only when run as a script)."""
    preprocess_cli.define_folder_flags()
    flags.DEFINE_integer("size", 256, "Output side in pixels.", lower_bound=1, upper_bound=16384)
    flags.DEFINE_enum(
        "mode", "pad", ["pad", "crop"], "pad: fit inside and pad; crop: fill and cut the centre."
    )
    preprocess_cli.register_colour_flag(
        "background",
        "255,255,255",
        "Padding colour: R,G,B, #RRGGBB, white, black, gray, or transparent (RGBA output).",
        allow_transparent=True,
    )
    flags.DEFINE_bool(
        "keep_alpha",
        True,
        "Keep the alpha channel of inputs that have one (padding is then transparent); "
        "--nokeep_alpha flattens them onto --background.",
    )
    flags.DEFINE_bool("pixel_art", False, "Resize with nearest neighbour (crisp pixel art).")


def main(argv: list[str]) -> int:
    """Resize every image of --input_dir into --output_dir."""
    del argv
    input_dir, output_dir = preprocess_cli.check_folders(FLAGS.input_dir, FLAGS.output_dir)
    rgb = preprocess_cli.parse_colour(FLAGS.background, allow_transparent=True)
    if rgb is None and not FLAGS.keep_alpha:
        raise preprocess_cli.ToolError("--background=transparent needs --keep_alpha")
    background = None if rgb is None else preprocess_cli.rgb_to_bgr(rgb)

    def transform(image: np.ndarray) -> np.ndarray:
        return square_fit.fit_square(
            image,
            FLAGS.size,
            mode=FLAGS.mode,
            background=background,
            keep_alpha=FLAGS.keep_alpha,
            nearest=FLAGS.pixel_art,
        )

    preprocess_cli.process_folder(input_dir, output_dir, transform, FLAGS.skip_existing)
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
