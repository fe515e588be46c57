"""Feature extractors for FID/KID: Inception (ImageNet), a classifier trained here, raw pixels.

Every extractor takes images in [-1, 1] NHWC (1, 3 or 4 channels; see ``image_ops``), converts
channels, resizes to its input size and returns (N, D) float32 features. ``describe()`` returns
a flat dict (extractor name, weights source, input size, resizer, feature dim) that the
evaluation stores next to every number, so each value carries how it was made.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from gans.core.errors import MissingDataError

from .image_ops import as_images, resize, to_channels

INCEPTION_NOTOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
    + INCEPTION_NOTOP_FILE
)
INCEPTION_WEIGHTS_FLAG = "--inception_weights"
FEATURE_LAYER = "features"


class InceptionWeightsError(MissingDataError):
    """InceptionV3 ImageNet weights are not available locally (and could not be fetched).

    A ``gans.core.errors.UserError``: entry scripts print its one-line message and exit.
    """


def keras_cache_weights_path() -> Path:
    """Where Keras caches the no-top InceptionV3 weights (``$KERAS_HOME`` or ``~/.keras``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models" / INCEPTION_NOTOP_FILE


def _missing_weights_message(where: Path | str) -> str:
    return (
        f"InceptionV3 weights missing or unreadable at {where}: download {INCEPTION_NOTOP_URL} "
        f"and pass the file with {INCEPTION_WEIGHTS_FLAG}=PATH "
        "(InceptionExtractor(weights=PATH)), or use the offline classifier FID."
    )


class FeatureExtractor:
    """Base: channel conversion + resize + batched forward pass.

    Subclasses set ``name``, ``input_size`` (H, W), ``channels``, ``resizer``, ``weights_source``
    and implement ``_features(batch) -> np.ndarray``.
    """

    name: str = "extractor"
    input_size: tuple[int, int] | None = None  # None: keep the images' size
    channels: int | None = None  # None: keep the images' channels
    resizer: str = "bilinear"
    weights_source: str = "none"
    batch_size: int = 64

    def _features(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def preprocess(self, images: Any) -> np.ndarray:
        """[-1, 1] NHWC images → this extractor's channels and size (still in [-1, 1])."""
        x = as_images(images)
        if self.channels is not None:
            x = to_channels(x, self.channels)
        if self.input_size is not None:
            x = resize(x, self.input_size, method=self.resizer)
        return x

    def __call__(self, images: Any, batch_size: int | None = None) -> np.ndarray:
        """Features (N, D) float32 of ``images`` in [-1, 1] NHWC."""
        x = as_images(images)
        bs = int(batch_size or self.batch_size)
        out = [self._features(self.preprocess(x[i : i + bs])) for i in range(0, len(x), bs)]
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    @property
    def feature_dim(self) -> int | None:
        return None

    def describe(self) -> dict[str, Any]:
        """Flat, JSON-serializable metadata: how the features were made."""
        size = "native" if self.input_size is None else "x".join(map(str, self.input_size))
        return {
            "name": self.name,
            "weights": self.weights_source,
            "input_size": size,
            "channels": "native" if self.channels is None else self.channels,
            "resizer": self.resizer,
            "feature_dim": self.feature_dim,
        }


class PixelExtractor(FeatureExtractor):
    """Raw pixels (optionally resized) as features: a cheap, weight-free baseline for tests."""

    name = "pixels"

    def __init__(self, input_size: int | Sequence[int] | None = None, channels: int | None = None):
        if isinstance(input_size, int):
            input_size = (input_size, input_size)
        self.input_size = None if input_size is None else (int(input_size[0]), int(input_size[1]))
        self.channels = channels

    def _features(self, batch: np.ndarray) -> np.ndarray:
        return batch.reshape(len(batch), -1)


class InceptionExtractor(FeatureExtractor):
    """InceptionV3 pool features (2048-d), Keras ImageNet weights, 299 px bilinear resize.

    ``keras.applications.InceptionV3(include_top=False, pooling="avg")``, inputs scaled with
    ``keras.applications.inception_v3.preprocess_input`` (x/127.5 − 1 of 0..255 pixels).
    Gray is repeated to RGB; alpha composited on white.

    Args:
      weights: ``"imagenet"`` (the Keras cache file, see ``keras_cache_weights_path``), a path
        to the no-top ``.h5`` file, or ``None`` for random init (tests only: numbers are
        meaningless).
      allow_download: with ``"imagenet"`` and no cached file, let Keras download it; network
        failures become ``InceptionWeightsError``. Off by default so offline runs fail at once.

    Note: the reference FID (TTUR / pytorch-fid / TF-GAN) uses the 2015 Inception graph, not the
    Keras weights, so these FIDs rank models within this suite but are not comparable with
    published numbers.
    """

    name = "inception_v3"
    channels = 3

    def __init__(
        self,
        weights: str | os.PathLike | None = "imagenet",
        input_size: int = 299,
        batch_size: int = 32,
        allow_download: bool = False,
    ):
        self.input_size = (int(input_size), int(input_size))
        self.batch_size = batch_size
        keras_weights: str | None
        if weights is None:
            keras_weights, self.weights_source = None, "random-init (not comparable)"
        elif str(weights) == "imagenet":
            cached = keras_cache_weights_path()
            if cached.is_file():
                keras_weights, self.weights_source = str(cached), f"imagenet:{cached}"
            elif allow_download:
                keras_weights, self.weights_source = "imagenet", "imagenet:keras-download"
            else:
                raise InceptionWeightsError(_missing_weights_message(cached))
        else:
            path = Path(weights).expanduser()
            if not path.is_file():
                raise InceptionWeightsError(_missing_weights_message(path))
            keras_weights, self.weights_source = str(path), f"file:{path}"
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False,
                weights=keras_weights,
                input_shape=(*self.input_size, 3),
                pooling="avg",
            )
        except Exception as err:  # download failure or unreadable/mismatched file
            if keras_weights is None:
                raise
            where = keras_cache_weights_path() if keras_weights == "imagenet" else keras_weights
            raise InceptionWeightsError(
                _missing_weights_message(where) + f" ({type(err).__name__})"
            ) from err

    @property
    def feature_dim(self) -> int:
        return int(self.model.output_shape[-1])

    def _features(self, batch: np.ndarray) -> np.ndarray:
        pixels = (batch + 1.0) * 127.5
        x = keras.applications.inception_v3.preprocess_input(pixels)
        return np.asarray(self.model(x, training=False))


def build_feature_classifier(
    image_shape: Sequence[int],
    num_classes: int,
    feature_dim: int = 128,
    width: int = 32,
    seed: int = 0,
) -> keras.Model:
    """Small CNN for [-1, 1] images of any size (≥ 8 px) and 1/3/4 channels.

    conv3×3(w) → conv3×3/2(w) → conv3×3(2w) → conv3×3/2(2w) → [conv3×3/2(2w) while > 8 px]
    → flatten → dropout → dense(feature_dim, relu, name="features") → dense(num_classes, logits).
    Initializers are seeded.
    """
    h, w, c = (int(v) for v in image_shape)
    init = iter(keras.initializers.GlorotUniform(seed=seed + i) for i in range(64))
    inputs = keras.Input((h, w, c), name="images")
    x = inputs
    for filters, stride in ((width, 1), (width, 2), (2 * width, 1), (2 * width, 2)):
        x = keras.layers.Conv2D(
            filters,
            3,
            strides=stride,
            padding="same",
            activation="relu",
            kernel_initializer=next(init),
        )(x)
    while max(x.shape[1], x.shape[2]) > 8:
        x = keras.layers.Conv2D(
            2 * width,
            3,
            strides=2,
            padding="same",
            activation="relu",
            kernel_initializer=next(init),
        )(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(0.3, seed=seed)(x)
    x = keras.layers.Dense(
        feature_dim, activation="relu", name=FEATURE_LAYER, kernel_initializer=next(init)
    )(x)
    logits = keras.layers.Dense(num_classes, name="logits", kernel_initializer=next(init))(x)
    return keras.Model(inputs, logits, name="feature_classifier")


def train_feature_classifier(
    images: Any,
    labels: Any,
    num_classes: int,
    *,
    epochs: int = 5,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    feature_dim: int = 128,
    validation_split: float = 0.1,
    save_path: str | os.PathLike | None = None,
    seed: int = 0,
    verbose: int = 0,
) -> keras.Model:
    """Trains ``build_feature_classifier`` on labelled [-1, 1] images (Adam, sparse CE on logits).

    The model is trained at the images' own size and channels. With ``save_path`` (must end in
    ``.keras``; put it next to the data) the model is saved there. The Keras ``History`` is on
    ``model.history``. Weights are seeded; batch order is not (not bit-reproducible).
    """
    x = as_images(images)
    y = np.asarray(labels).astype(np.int64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"labels must be in [0, {num_classes}), got [{y.min()}, {y.max()}]")
    if save_path is not None and not str(save_path).endswith(".keras"):
        raise ValueError(f"save_path must end in .keras, got {save_path}")
    perm = np.random.default_rng(seed).permutation(len(x))
    x, y = x[perm], y[perm]
    model = build_feature_classifier(x.shape[1:], num_classes, feature_dim=feature_dim, seed=seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    n_val = int(len(x) * validation_split) if len(x) >= 20 else 0
    model.fit(
        x[n_val:],
        y[n_val:],
        validation_data=(x[:n_val], y[:n_val]) if n_val else None,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=verbose,
    )
    if save_path is not None:
        Path(save_path).parent.mkdir(parents=True, exist_ok=True)
        model.save(save_path)
    return model


class ClassifierExtractor(FeatureExtractor):
    """Features from the penultimate dense layer (``"features"``) of a classifier trained here.

    Gives an offline "classifier FID"/KID (TF-GAN's MNIST practice) and class predictions for
    mode coverage. Inputs are converted to the classifier's channels and bilinearly resized to
    its input size.
    """

    name = "classifier"

    def __init__(self, model: keras.Model, source: str = "in-memory", batch_size: int = 256):
        self.model = model
        self.weights_source = source
        self.batch_size = batch_size
        _, h, w, c = model.input_shape
        self.input_size, self.channels = (int(h), int(w)), int(c)
        self.feature_model = keras.Model(model.input, model.get_layer(FEATURE_LAYER).output)

    @classmethod
    def load(cls, path: str | os.PathLike, batch_size: int = 256) -> ClassifierExtractor:
        """Loads a classifier saved by ``train_feature_classifier(save_path=...)``."""
        path = Path(path)
        if not path.is_file():
            raise MissingDataError(f"no feature classifier at {path}; train one first")
        model = keras.models.load_model(path, compile=False)
        return cls(model, source=f"file:{path}", batch_size=batch_size)

    @property
    def num_classes(self) -> int:
        return int(self.model.output_shape[-1])

    @property
    def feature_dim(self) -> int:
        return int(self.feature_model.output_shape[-1])

    def _features(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.feature_model(batch, training=False))

    def predict_logits(self, images: Any, batch_size: int | None = None) -> np.ndarray:
        """(N, num_classes) logits."""
        x = as_images(images)
        bs = int(batch_size or self.batch_size)
        out = [
            np.asarray(self.model(self.preprocess(x[i : i + bs]), training=False))
            for i in range(0, len(x), bs)
        ]
        return np.concatenate(out, axis=0)

    def predict_classes(self, images: Any, batch_size: int | None = None) -> np.ndarray:
        """(N,) int64 argmax class of each image."""
        return np.argmax(self.predict_logits(images, batch_size), axis=-1).astype(np.int64)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "num_classes": self.num_classes}
