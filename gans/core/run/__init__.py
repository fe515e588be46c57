"""Run: configuring, training and using a run.

``config`` (``TrainConfig``: every setting, its help and check), ``common_flags``
and ``entry`` (the flags and bodies of the entry scripts), ``recommended``,
``experiment`` (``GANExperiment``) and its parts ``run_dir``, ``run_lock``,
``trainer``, ``checkpoints``, ``callbacks``, ``distribute``; ``generate`` (sampling,
latent walks, export).
"""
