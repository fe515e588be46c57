"""Distances between two sets of features: FID and KID.

Both take (N, D) feature arrays (Inception pool features, classifier features, or any other
embedding) and compute in float64.

* FID — Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
  Nash Equilibrium": Fréchet distance between Gaussians fitted to the two sets. Biased for small
  N (it grows as N shrinks), so compare FIDs only at equal sample counts; needs N well above D
  for a full-rank covariance (N ≥ 2048 for Inception's 2048-d features is the usual minimum).
* KID — Bińkowski et al. 2018, "Demystifying MMD GANs": unbiased MMD² with a cubic polynomial
  kernel. Unbiased at any N, so it is **the right choice for small sets (250–800 images)**,
  where FID is dominated by its bias.
"""

from __future__ import annotations

import numpy as np

from .image_ops import flatten


def _as_features(feats: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(feats, dtype=np.float64)
    if x.ndim != 2:
        x = flatten(x).astype(np.float64)
    if len(x) < 2:
        raise ValueError(f"{name}: need at least 2 feature vectors, got {len(x)}")
    return x


def feature_statistics(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) features, float64."""
    x = _as_features(feats, "feats")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix via eigh (negative round-off eigenvalues → 0)."""
    w, v = np.linalg.eigh((c + c.T) * 0.5)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """tr(sqrtm(A B)) for PSD A, B.

    A B is not symmetric, but it is similar to the PSD matrix M = A^½ B A^½, so
    tr sqrtm(A B) = Σ sqrt(eig(M)). Uses only ``eigh`` (no scipy): stable for rank-deficient
    covariances, and never complex.
    """
    sa = _sqrt_psd(cov_a)
    m = sa @ cov_b @ sa
    w = np.linalg.eigvalsh((m + m.T) * 0.5)
    return float(np.sqrt(np.clip(w, 0.0, None)).sum())


def frechet_distance_from_stats(
    mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray, eps: float = 1e-6
) -> float:
    """d² = ‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½)  (Fréchet / 2-Wasserstein between Gaussians).

    ``eps`` is added to both covariance diagonals (for every term, so d(x, x) stays exactly 0)
    to keep the square root well conditioned when N ≤ D makes the covariances singular.
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    cov_a = np.atleast_2d(np.asarray(cov_a, np.float64))
    cov_b = np.atleast_2d(np.asarray(cov_b, np.float64))
    if mu_a.shape != mu_b.shape or cov_a.shape != cov_b.shape:
        raise ValueError(
            f"shape mismatch: {mu_a.shape}/{cov_a.shape} vs {mu_b.shape}/{cov_b.shape}"
        )
    eye = eps * np.eye(cov_a.shape[0])
    cov_a, cov_b = cov_a + eye, cov_b + eye
    diff = mu_a - mu_b
    tr = np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt_product(cov_a, cov_b)
    return float(max(diff @ diff + tr, 0.0))


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray, eps: float = 1e-6) -> float:
    """FID of two (N, D) feature sets (Heusel et al. 2017), see ``frechet_distance_from_stats``.

    With Inception features this is the FID; with other features it is "FID in that space"
    (e.g. classifier FID, TF-GAN's MNIST practice). Sample counts may differ.
    """
    mu_a, cov_a = feature_statistics(feats_a)
    mu_b, cov_b = feature_statistics(feats_b)
    return frechet_distance_from_stats(mu_a, cov_a, mu_b, cov_b, eps=eps)


def _cubic_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x·y / d + 1)³ for all row pairs, float64."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD² from (m, m) kernel blocks of two equal-size subsets."""
    m = len(kxx)
    sum_xx = kxx.sum(dtype=np.float64) - np.trace(kxx, dtype=np.float64)
    sum_yy = kyy.sum(dtype=np.float64) - np.trace(kyy, dtype=np.float64)
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * kxy.mean(dtype=np.float64))


def kernel_inception_distance(
    feats_a: np.ndarray,
    feats_b: np.ndarray,
    num_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    max_full_gram: int = 4096,
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): mean and std of the unbiased MMD² over random subsets.

    MMD²_u = 1/(m(m−1)) Σ_{i≠j} [k(x_i,x_j) + k(y_i,y_j)] − 2/m² Σ_{i,j} k(x_i,y_j),
    k(x, y) = (x·y / d + 1)³. Each subset draws ``subset_size`` rows without replacement from
    each set; ``subset_size`` is clipped to the smaller set (so every image counts with
    250–800-image sets, where KID is preferable to FID). Values can be slightly negative
    (unbiased estimator); KID of a set with *itself* is slightly negative because the two
    subsets overlap. Often reported ×1e3. When both sets have ≤ ``max_full_gram`` rows the
    kernel matrices are computed once and the subsets index into them (much faster).
    """
    a, b = _as_features(feats_a, "feats_a"), _as_features(feats_b, "feats_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dims differ: {a.shape[1]} vs {b.shape[1]}")
    m = min(int(subset_size), len(a), len(b))
    rng = np.random.default_rng(seed)
    full = max(len(a), len(b)) <= max_full_gram
    if full:
        kaa, kbb, kab = _cubic_kernel(a, a), _cubic_kernel(b, b), _cubic_kernel(a, b)
    values = []
    for _ in range(int(num_subsets)):
        ia = rng.choice(len(a), m, replace=False)
        ib = rng.choice(len(b), m, replace=False)
        if full:
            blocks = kaa[np.ix_(ia, ia)], kbb[np.ix_(ib, ib)], kab[np.ix_(ia, ib)]
        else:
            x, y = a[ia], b[ib]
            blocks = _cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y)
        values.append(_mmd2_unbiased(*blocks))
    return float(np.mean(values)), float(np.std(values))
