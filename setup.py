"""Installable package ``gans``: the metadata lives in pyproject.toml (PEP 621).

Kept so the top level holds ``setup.py`` as the original projects did, and so tools that
still call ``python setup.py ...`` or ``pip install -e .`` on old pips find the package.
"""

from setuptools import setup

setup()
