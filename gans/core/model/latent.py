"""Latent sampling for a trained generator: standard-normal noise and the truncation trick.

The truncation trick (Brock, Donahue & Simonyan, ICLR 2019, "Large Scale GAN Training for
High Fidelity Natural Image Synthesis", §3.1; earlier Marchesi 2017): draw the noise from a
normal truncated at ``±threshold``, redrawing every value outside it, so samples stay near
the centre of the latent space where the generator saw most of its training noise. In
BigGAN lower thresholds trade variety for cleaner, more typical images; on this suite's
FastGAN flags default every threshold measured (2 down to 0.5) scored worse SWD and lower
ones blur the samples (``benchmarks/truncation.py``, docs/ablation.md), so it is off unless
asked for. Only sampling uses it: training always draws untruncated noise.
"""

from __future__ import annotations

import numpy as np

from gans.core.errors import ConfigError

# The smallest threshold accepted: BigGAN's lowest (Fig. 2); below it redrawing takes long.
MIN_TRUNCATION = 0.04


def check_truncation(truncation: float | None, flag: str = "--truncation") -> None:
    """Raise ``ConfigError`` naming ``flag`` unless ``truncation`` is None or a threshold
    of at least ``MIN_TRUNCATION``."""
    if truncation is not None and not truncation >= MIN_TRUNCATION:
        raise ConfigError(
            f"{flag}={truncation}: use a threshold >= {MIN_TRUNCATION} (e.g. 2), "
            "or leave it unset for untruncated noise"
        )


def standard_normal(
    rng: np.random.Generator, shape: tuple[int, ...], truncation: float | None = None
) -> np.ndarray:
    """Noise of ``shape`` (float64) from ``rng``: standard normal, or truncated at
    ``±truncation`` by redrawing the values outside (BigGAN's truncation trick).

    With ``truncation=None`` this is exactly ``rng.standard_normal(shape)``, so a seed names
    the same images as before; with a threshold the first draw is the same and only the
    values outside ``±truncation`` are replaced.
    """
    check_truncation(truncation)
    noise = rng.standard_normal(shape)
    if truncation is not None:
        outside = np.abs(noise) > truncation
        while outside.any():
            noise[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(noise) > truncation
    return noise


def make_noise(
    num: int, noise_dim: int, seed: int = 0, truncation: float | None = None
) -> np.ndarray:
    """float32 noise ``[num, noise_dim]`` that a seed names: ``standard_normal`` from
    ``default_rng(seed)``, truncated at ``±truncation`` if given. Every sampling path
    (``GANExperiment.generate``, ``gans-generate``, the benchmarks) draws its noise here."""
    return standard_normal(np.random.default_rng(seed), (num, noise_dim), truncation).astype(
        np.float32
    )
