"""Perceptual image hashes (dHash, pHash) and their Hamming distances.

`cv2.img_hash` is not in opencv-python-headless, and these take a few lines each. Both follow
the `imagehash` package's definitions, so distances are comparable with its usual thresholds
(0 = same picture, up to ~5 of 64 bits = near-duplicate).
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

HASH_METHODS = ("dhash", "phash")


def _gray(image: np.ndarray) -> np.ndarray:
    """Grey float32 image; BGRA is composited over white so hidden colour does not count."""
    bgr = image[:, :, :3].astype(np.float32)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        bgr = bgr * alpha + 255.0 * (1.0 - alpha)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def dhash(image: np.ndarray, hash_size: int = 8) -> np.ndarray:
    """Difference hash: is each pixel brighter than its right neighbour, on a tiny grey copy.

    Returns `hash_size**2` booleans. Insensitive to brightness shifts, scaling and mild
    compression (Krawetz, "Kind of like that", 2013). As in `imagehash`, the tiny copy is
    an 8-bit Lanczos reduction: neighbours in a flat area are then equal (bit 0) instead
    of differing by JPEG noise, which flipped those bits at random in float (on the 257
    EmojiOne flags re-saved as JPEG q60, 135 missed at distance 5 in float, 2 like this).
    """
    grey = Image.fromarray(np.clip(np.rint(_gray(image)), 0, 255).astype(np.uint8))
    small = np.asarray(grey.resize((hash_size + 1, hash_size), Image.Resampling.LANCZOS))
    return (small[:, 1:] > small[:, :-1]).ravel()


def phash(image: np.ndarray, hash_size: int = 8, highfreq_factor: int = 4) -> np.ndarray:
    """DCT hash: low-frequency DCT coefficients of a small grey copy compared to their median.

    Returns `hash_size**2` booleans; robust to JPEG recompression and small colour changes.
    """
    side = hash_size * highfreq_factor
    small = cv2.resize(_gray(image), (side, side), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:hash_size, :hash_size]
    return (low > np.median(low)).ravel()


def image_hash(image: np.ndarray, method: str, hash_size: int = 8) -> np.ndarray:
    """The `method` ("dhash" or "phash") hash of BGR(A) `image`, packed into uint8 bytes."""
    if method == "dhash":
        bits = dhash(image, hash_size)
    elif method == "phash":
        bits = phash(image, hash_size)
    else:
        raise ValueError(f"unknown hash method {method!r}; expected one of {HASH_METHODS}")
    return np.packbits(bits)


def hamming(packed_a: np.ndarray, packed_b: np.ndarray) -> int:
    """Number of differing bits between two packed hashes."""
    return int(np.bitwise_count(np.bitwise_xor(packed_a, packed_b)).sum())


def hamming_to_many(packed_rows: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Hamming distance from `packed` to each row of `packed_rows` (N x bytes) at once."""
    return np.bitwise_count(np.bitwise_xor(packed_rows, packed)).sum(axis=1, dtype=np.int64)
