"""Recommended training defaults, chosen from the ablation in docs/ablation.md.

Small sets (250-12k images) memorise fast: DiffAugment on everything the discriminator
sees (Zhao et al. 2020) and sampling from an EMA of the generator's weights (Karras et
al. 2018; Yazıcı et al. 2019) are the two changes that help most per unit of CPU time.
"""

SMALL_SET_DEFAULTS: dict = {"augment": "diffaugment", "ema_decay": 0.999}
