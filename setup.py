"""Installable package `gans`: a TensorFlow 2 / Keras 3 GAN training suite."""

from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="gans",
    version="0.1.0",
    description="GAN training suite for small image datasets (TF2 / Keras 3, tf.distribute).",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["gans", "gans.*"]),
    install_requires=[
        "tensorflow>=2.16",
        # TF 2.21 no longer pulls in tensorboard; tf.summary needs it.
        "tensorboard",
        "tensorflow-datasets",
        "keras>=3.0",
        "numpy",
        "pillow",
        # Same cv2 API as opencv-python without the GUI/X11 libraries (servers, CI).
        "opencv-python-headless",
        "absl-py",
    ],
    extras_require={
        "crawl": ["scrapy>=2.13"],
        "test": ["pytest", "ruff", "scrapy>=2.13"],
    },
)
