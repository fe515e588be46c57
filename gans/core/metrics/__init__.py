"""GAN evaluation metrics: FID/KID, SWD, diversity, mode coverage, memorization.

Images everywhere are float [-1, 1] NHWC with 1, 3 or 4 channels (alpha composited on white,
gray repeated to RGB where needed; see ``image_ops``). Every function takes its seed as an
argument; nothing is kept at module level.
"""

from .diversity import (
    mean_pairwise_distance,
    mode_coverage,
    ms_ssim_diversity,
    ms_ssim_power_factors,
    ms_ssim_scales,
)
from .evaluate import evaluate_generator, generate_images
from .extractors import (
    ClassifierExtractor,
    FeatureExtractor,
    InceptionExtractor,
    InceptionWeightsError,
    PixelExtractor,
    build_feature_classifier,
    keras_cache_weights_path,
    train_feature_classifier,
)
from .frechet import (
    feature_statistics,
    frechet_distance,
    frechet_distance_from_stats,
    kernel_inception_distance,
)
from .memorization import (
    MemorizationReport,
    SpaceReport,
    memorization_report,
    nearest_neighbors,
    save_closest_pairs,
)
from .swd import SWDResult, SWDSettings, laplacian_pyramid, sliced_wasserstein_distance

__all__ = [
    "ClassifierExtractor",
    "FeatureExtractor",
    "InceptionExtractor",
    "InceptionWeightsError",
    "MemorizationReport",
    "PixelExtractor",
    "SWDResult",
    "SWDSettings",
    "SpaceReport",
    "build_feature_classifier",
    "evaluate_generator",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_stats",
    "generate_images",
    "keras_cache_weights_path",
    "kernel_inception_distance",
    "laplacian_pyramid",
    "mean_pairwise_distance",
    "memorization_report",
    "mode_coverage",
    "ms_ssim_diversity",
    "ms_ssim_power_factors",
    "ms_ssim_scales",
    "nearest_neighbors",
    "save_closest_pairs",
    "sliced_wasserstein_distance",
    "train_feature_classifier",
]
