"""Put each sprite on a uniform background, centred with a margin on a square canvas.

Transparent sprites use their alpha; opaque ones are separated from a near-white background
(only white connected to the image border is removed, so white inside the sprite stays).

    python preprocess/flatten_sprites.py --input_dir=datasets/pokemon/sprites \
        --output_dir=datasets/pokemon/raw --background=white --margin=0.1 --size=256
"""

from __future__ import annotations

import numpy as np
from absl import flags

import preprocess_cli
import sprite_mask

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Define this tool's flags (called only when run as a script)."""
    preprocess_cli.define_folder_flags()
    preprocess_cli.register_colour_flag(
        "background",
        "255,255,255",
        "Output background: R,G,B, #RRGGBB, white, black, gray, or transparent (RGBA output).",
        allow_transparent=True,
    )
    flags.DEFINE_integer("size", 256, "Output side in pixels.", lower_bound=1, upper_bound=16384)
    flags.DEFINE_float(
        "margin",
        0.1,
        "Margin on each side, as a share of --size.",
        lower_bound=0.0,
        upper_bound=0.45,
    )
    flags.DEFINE_integer(
        "white_threshold",
        245,
        "Opaque images: a pixel whose every channel is >= this and that connects to the border "
        "is background.",
        lower_bound=0,
        upper_bound=255,
    )
    flags.DEFINE_integer(
        "alpha_threshold",
        16,
        "Pixels with alpha <= this are ignored when finding the object's bounds.",
        lower_bound=0,
        upper_bound=254,
    )
    flags.DEFINE_bool("pixel_art", False, "Resize with nearest neighbour (crisp pixel art).")


def main(argv: list[str]) -> int:
    """Flatten every image of --input_dir into --output_dir."""
    del argv
    input_dir, output_dir = preprocess_cli.check_folders(FLAGS.input_dir, FLAGS.output_dir)
    rgb = preprocess_cli.parse_colour(FLAGS.background, allow_transparent=True)
    background = None if rgb is None else preprocess_cli.rgb_to_bgr(rgb)

    def transform(image: np.ndarray) -> np.ndarray:
        result = sprite_mask.flatten_sprite(
            image,
            FLAGS.size,
            margin=FLAGS.margin,
            background=background,
            white_threshold=FLAGS.white_threshold,
            alpha_threshold=FLAGS.alpha_threshold,
            nearest=FLAGS.pixel_art,
        )
        if result is None:
            raise preprocess_cli.SkipImage("no object found (fully transparent or all background)")
        return result

    preprocess_cli.process_folder(input_dir, output_dir, transform, FLAGS.skip_existing)
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
