"""Model: the ``GAN`` (one ``keras.Model`` with the train steps) and what it is built from.

``gan``, ``losses``, ``penalties``, ``labels`` (label policy), ``schedule`` (G:D,
monitored, boost), ``augment`` (DiffAugment, ADA), network builders ``networks``,
``fastgan`` and their layers ``gan_layers``.
"""
