"""Per-class SWD of a conditional run against an unconditional one (docs/conditional.md).

For every class k of the labelled conversion both runs are scored with the suite's SWD
(``gans.core.metrics.swd``) against class k's real images:

* conditional: ``--samples`` images generated with label k;
* unconditional: ``--pool`` images generated without labels, binned by the same rule
  that made the labels (``--rule=colour``: ``preprocess/label_by_colour.dominant_colour``);
  the ones that fall in class k (at most ``--samples``) are its class-k samples. The
  share of the pool each class gets is reported too;
* unconditional, unbinned: ``--samples`` of the pool, the same for every class (what
  class k's reals score against samples that ignore the class);
* real, other classes: up to ``--samples`` real images of the other classes (how far the
  other classes are from class k: an unconditional generator that matched the whole set
  perfectly would score about this, or a little less, unbinned).

The conditional run's "agreement" is the share of its class-k samples that the rule puts
in class k. Both runs sample from their latest checkpoint (EMA generator when kept).

    python benchmarks/conditional_swd.py --cond=runs/models/sprites_cond \\
        --uncond=runs/models/sprites_uncond --out=runs/conditional_swd.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "preprocess"))


def colour_rule(images: np.ndarray) -> list[str]:
    """Dominant-colour class of images in [-1, 1] (RGB), as label_by_colour gives it."""
    from label_by_colour import dominant_colour

    pixels = np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return [dominant_colour(np.ascontiguousarray(p[..., ::-1])) for p in pixels]


def class_reals(experiment) -> dict[int, np.ndarray]:
    """The real images of each class, in [-1, 1]."""
    from gans.core.data.provider import decode_images

    c = experiment.config
    data = decode_images(experiment.data.tfrecord_dir, c.image_size, c.channels, with_labels=True)
    by_class: dict[int, list[np.ndarray]] = {}
    for image, label in data.as_numpy_iterator():
        by_class.setdefault(int(label), []).append(image)
    return {k: np.stack(v) for k, v in sorted(by_class.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cond", required=True, help="model dir of the conditional run")
    parser.add_argument("--uncond", required=True, help="model dir of the unconditional run")
    parser.add_argument("--samples", type=int, default=256, help="samples per class")
    parser.add_argument("--pool", type=int, default=4096, help="unconditional samples binned")
    parser.add_argument("--rule", default="colour", choices=["colour"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="also write the results as JSON")
    args = parser.parse_args()

    from gans.core.metrics.swd import sliced_wasserstein_distance
    from gans.core.run.experiment import GANExperiment
    from gans.core.run.generate import generate_images
    from gans.registry import get_spec

    cond = GANExperiment.from_model_dir(args.cond, find_spec=get_spec)
    uncond = GANExperiment.from_model_dir(args.uncond, find_spec=get_spec)
    names = cond.class_names
    reals = class_reals(cond)
    pool = generate_images(uncond, args.pool, seed=args.seed + 1)
    pool_rule = np.array(colour_rule(pool))
    unbinned = pool[: args.samples]
    rows = []
    for k, name in enumerate(names):
        real = reals.get(k)
        if real is None:
            continue
        fakes = generate_images(cond, args.samples, seed=args.seed, labels=k)
        binned = pool[pool_rule == name][: args.samples]
        row = {
            "class": name,
            "reals": len(real),
            "cond_swd": sliced_wasserstein_distance(fakes, real, seed=args.seed).mean,
            "cond_agreement": float(np.mean(np.array(colour_rule(fakes)) == name)),
            "uncond_binned_n": int(np.sum(pool_rule == name)),
            "uncond_binned_swd": (
                sliced_wasserstein_distance(binned, real, seed=args.seed).mean
                if len(binned)
                else float("nan")
            ),
            "uncond_unbinned_swd": sliced_wasserstein_distance(unbinned, real, seed=args.seed).mean,
        }
        others = np.concatenate([v for j, v in reals.items() if j != k])
        picked = np.random.default_rng(args.seed).permutation(len(others))[: args.samples]
        row["real_other_swd"] = sliced_wasserstein_distance(
            others[np.sort(picked)], real, seed=args.seed
        ).mean
        rows.append(row)
        print(json.dumps(row))
    summary = {
        key: float(np.nanmean([r[key] for r in rows]))
        for key in (
            "cond_swd",
            "uncond_binned_swd",
            "uncond_unbinned_swd",
            "real_other_swd",
            "cond_agreement",
        )
    }
    summary["cond_epoch"] = cond.epochs_done
    summary["uncond_epoch"] = uncond.epochs_done
    print(json.dumps(summary))
    if args.out:
        payload = {"args": vars(args), "classes": rows, "mean": summary}
        Path(args.out).write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
