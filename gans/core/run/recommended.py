"""Recommended training defaults for small image sets (250 to ~12k images) at 64 px.

Half-width nets (``width=32``: 32 filters at the widest layer, ~3x the steps in the same
CPU time), DiffAugment on everything the discriminator sees (Zhao et al. 2020) and
sampling from an EMA of the generator's weights (Karras et al. 2018; Yazıcı et al. 2019).

Chosen by measurement at equal CPU time against the plain DCGAN (Radford et al.: full
width, non-saturating loss, Adam 2e-4/0.5) on the EmojiOne flags and Pokemon sprites;
the numbers, seeds and budgets are in docs/ablation.md (not copied here, where they
would go stale). Yu-Gi-Oh! and Magic inherit these untested (no offline copy of their
data). Large sets (MNIST, CIFAR-10) do not use DiffAugment or EMA.
"""

SMALL_SET_DEFAULTS: dict = {"augment": "diffaugment", "ema_decay": 0.999, "width": 32}
