"""Evaluate a trained GAN: the metrics, a memorization picture, one JSON per evaluation.

    gans-evaluate --model_dir=models/pokemon/fastgan_hinge_64px \
        [--extractor=classifier|inception|none] [--inception_weights=PATH] [--num_samples=2000]

Every number is stored with how it was made (extractor, weights, resizer, sample counts)
in ``<model_dir>/evaluation_epoch_<N>.json``; the generated images closest to the
training set are drawn in ``<run_dir>/closest_pairs.png``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gans.core.errors import DataError
from gans.core.model.latent import check_truncation, standard_normal


def labelled_classifier(experiment, epochs: int = 3):
    """The dataset's own feature classifier (trained once, kept beside the data)."""
    from gans.core.data.provider import decode_images
    from gans.core.metrics import ClassifierExtractor, train_feature_classifier

    if not experiment.spec.num_classes:
        return None
    path = Path(experiment.config.data_dir) / "feature_classifier.keras"
    if not path.exists():
        c = experiment.config
        records = experiment.data.tfrecord_dir
        data = decode_images(records, c.image_size, c.channels, with_labels=True)
        images, labels = next(iter(data.batch(100_000)))
        train_feature_classifier(
            images.numpy(),
            labels.numpy(),
            experiment.spec.num_classes,
            epochs=epochs,
            save_path=str(path),
        )
    return ClassifierExtractor.load(str(path))


def evaluate_experiment(
    experiment,
    num_samples: int = 1000,
    num_real: int = 5000,
    extractor: str = "classifier",
    inception_weights: str | None = None,
    seed: int = 0,
    samples_fn: Callable[[int], np.ndarray] | None = None,
    save: bool = True,
    truncation: float | None = None,
) -> dict:
    """Metrics of the restored generator (EMA when present) against training images.

    ``samples_fn`` (n → n images in [-1, 1]) scores other images than the generator's
    against the same references, e.g. real held-out images for each metric's floor;
    ``save=False`` writes nothing into the model dir. ``truncation`` scores samples drawn
    with the truncation trick (``gans.core.model.latent``); the result and the file name
    say so (``evaluation_epoch_<N>_trunc<T>.json``).
    """
    from gans.core.data.provider import verify_records
    from gans.core.metrics import (
        InceptionExtractor,
        evaluate_generator,
        memorization_report,
        save_closest_pairs,
    )

    check_truncation(truncation)
    epochs = experiment.restore(require=True)  # never score random weights
    verify_records(experiment.data.tfrecord_dir, experiment.config.channels)  # corrupt shards
    real = experiment.real_sample(num_real)
    classifier = labelled_classifier(experiment) if extractor == "classifier" else None
    features = None
    if extractor == "inception":
        features = InceptionExtractor(weights=inception_weights or "imagenet")
    elif extractor not in ("classifier", "none"):
        raise DataError(f"--extractor={extractor}: use classifier, inception or none")
    rng = np.random.default_rng(seed)
    noise_dim = experiment.config.noise_dim

    def generate(n: int):
        if samples_fn is not None:
            return samples_fn(n)
        noise = standard_normal(rng, (n, noise_dim), truncation)
        return experiment.sample(noise, batch_size=max(n, 1))

    result = evaluate_generator(
        generate,
        real[: min(len(real), 2000)],
        extractor=features,
        classifier=classifier,
        num_samples=num_samples,
        train_images=real,
        seed=seed,
    )
    result.update(epochs=epochs, g_steps=experiment.generator_steps)
    if truncation is not None:
        result["truncation"] = truncation
    if experiment.chief and save:
        samples = generate(min(num_samples, 256))
        report = memorization_report(samples, real, k=1, seed=seed)
        result["closest_pairs"] = str(
            save_closest_pairs(report, experiment.run.image_dir / "closest_pairs.png")
        )
        suffix = "" if truncation is None else f"_trunc{truncation:g}"
        out = experiment.run.model_dir / f"evaluation_epoch_{epochs:04d}{suffix}.json"
        out.write_text(json.dumps(result, indent=1, default=float))
    return result
