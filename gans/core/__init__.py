"""The engine: knows no dataset; dataset packages declare, the engine does the rest.

Sub-packages (docs/architecture.md has the picture): ``data`` (declaring, converting and
reading datasets), ``model`` (the GAN, losses, networks, tricks), ``run`` (configuration,
the experiment, training, checkpoints, sampling), ``report`` (image grids, the run
report), ``metrics`` (SWD, diversity, FID/KID, memorization, evaluation). ``errors`` and
``progress`` serve them all.
"""
