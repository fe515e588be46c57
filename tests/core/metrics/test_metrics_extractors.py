"""Feature extractors: classifier training/loading, Inception error path and random init."""

import numpy as np
import pytest

from gans.core.metrics import (
    ClassifierExtractor,
    InceptionExtractor,
    InceptionWeightsError,
    PixelExtractor,
    train_feature_classifier,
)


def shapes_dataset(n=200, size=28, seed=0):
    """n images of 4 classes: square, horizontal bar, vertical bar, cross; [-1, 1], 1 channel."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    images = -np.ones((n, size, size, 1), dtype=np.float32)
    for img, label in zip(images, labels, strict=True):
        c, r = rng.integers(9, size - 9, size=2)
        if label == 0:
            img[c - 6 : c + 6, r - 6 : r + 6] = 1
        if label in (1, 3):
            img[c - 2 : c + 2, 2:-2] = 1
        if label in (2, 3):
            img[2:-2, r - 2 : r + 2] = 1
    images += 0.1 * rng.standard_normal(images.shape).astype(np.float32)
    return np.clip(images, -1, 1), labels


def test_classifier_train_save_load_features(tmp_path):
    images, labels = shapes_dataset()
    path = tmp_path / "data" / "shapes_classifier.keras"
    model = train_feature_classifier(
        images, labels, num_classes=4, epochs=3, batch_size=32, feature_dim=32, save_path=path
    )
    test_images, test_labels = shapes_dataset(n=100, seed=5)
    accuracy = np.mean(ClassifierExtractor(model).predict_classes(test_images) == test_labels)
    assert accuracy > 0.5  # chance is 0.25; ~0.85 after 2 epochs here
    assert path.is_file()
    assert model.output_shape == (None, 4)
    extractor = ClassifierExtractor.load(path)
    feats = extractor(images[:10])
    assert feats.shape == (10, 32) and feats.dtype == np.float32
    np.testing.assert_allclose(feats, ClassifierExtractor(model)(images[:10]), atol=1e-5)
    classes = extractor.predict_classes(images[:40])
    assert classes.shape == (40,) and set(classes.tolist()) <= {0, 1, 2, 3}
    # RGB, RGBA and other sizes are converted to the classifier's 28x28x1 input.
    rgba = np.concatenate([np.repeat(images[:3], 3, -1), np.ones_like(images[:3])], -1)
    assert extractor(rgba).shape == (3, 32)
    assert extractor(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 32)
    info = extractor.describe()
    assert info["name"] == "classifier" and info["feature_dim"] == 32
    assert info["weights"] == f"file:{path}" and info["input_size"] == "28x28"
    assert info["num_classes"] == 4 and info["resizer"] == "bilinear"


def test_classifier_rejects_bad_inputs(tmp_path):
    images, labels = shapes_dataset(n=8)
    with pytest.raises(ValueError, match=r"\.keras"):
        train_feature_classifier(images, labels, 4, epochs=1, save_path=tmp_path / "m.h5")
    with pytest.raises(ValueError, match="labels"):
        train_feature_classifier(images, labels + 4, 4, epochs=1)
    with pytest.raises(FileNotFoundError):
        ClassifierExtractor.load(tmp_path / "missing.keras")


def test_inception_missing_weights_is_one_clear_line(tmp_path, monkeypatch):
    missing = tmp_path / "nope.h5"
    with pytest.raises(InceptionWeightsError) as err:
        InceptionExtractor(weights=str(missing))
    message = str(err.value)
    assert "\n" not in message
    assert str(missing) in message
    assert "https://storage.googleapis.com/" in message and "--inception_weights" in message
    # "imagenet" with an empty Keras cache: the same error, no download attempted.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(InceptionWeightsError, match="keras_home"):
        InceptionExtractor()


def test_inception_unreadable_weights_file_maps_to_error(tmp_path):
    bad = tmp_path / "inception_notop.h5"
    bad.write_bytes(b"not an h5 file")
    with pytest.raises(InceptionWeightsError, match="inception_notop"):
        InceptionExtractor(weights=str(bad), input_size=75)


def test_inception_random_init_code_path():
    extractor = InceptionExtractor(weights=None, batch_size=2)
    gray = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    feats = extractor(gray)
    assert feats.shape == (3, 2048) and np.isfinite(feats).all()
    info = extractor.describe()
    assert info["input_size"] == "299x299" and info["weights"].startswith("random-init")
    assert info["name"] == "inception_v3" and info["feature_dim"] == 2048


def test_pixel_extractor_describe():
    extractor = PixelExtractor(input_size=8, channels=3)
    assert extractor(np.zeros((2, 16, 16, 1), np.float32)).shape == (2, 192)
    assert extractor.describe()["input_size"] == "8x8"
