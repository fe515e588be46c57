"""Recommended training defaults for small image sets (250 to ~12k images).

DiffAugment on everything the discriminator sees (Zhao et al. 2020) and sampling from an
EMA of the generator's weights (Karras et al. 2018; Yazıcı et al. 2019). The short
equal-CPU ablation in docs/ablation.md supports EMA on the flags (SWD 1.46× better than
the plain DCGAN after ~150 steps) but does not yet separate DiffAugment from EMA alone or
from WGAN-GP; large sets (MNIST, CIFAR-10) train best without either and do not use this.
"""

SMALL_SET_DEFAULTS: dict = {"augment": "diffaugment", "ema_decay": 0.999}
