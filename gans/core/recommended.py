"""Recommended training defaults for small image sets (250 to ~12k images) at 64 px.

Half-width nets (``width=32``: 32 filters at the widest layer, ~3x the steps in the same
CPU time), DiffAugment on everything the discriminator sees (Zhao et al. 2020) and
sampling from an EMA of the generator's weights (Karras et al. 2018; Yazıcı et al. 2019).

Measured at equal CPU time against the plain DCGAN (Radford et al.: full width,
non-saturating loss, Adam 2e-4/0.5), docs/ablation.md:

* 253 EmojiOne flags, 600 CPU-s, 3 seeds: SWD 171 -> 74 (2.3x); MS-SSIM 0.68-0.97
  (collapse; real flags 0.11) -> 0.27-0.35. Half width alone collapsed on 1 of 3 seeds,
  so DiffAugment + EMA are what keep it reliably diverse.
* 795 Pokemon sprites, 600 CPU-s, 2 seeds: SWD 134 -> 56 (2.4x); MS-SSIM 0.35/0.98 ->
  0.24/0.31. DiffAugment + EMA at full width (the earlier default) gave SWD 109 with
  samples all alike (MS-SSIM 0.74/0.88).

Yu-Gi-Oh! and Magic inherit these untested (no offline copy of their data). Large sets
(MNIST, CIFAR-10) do not use DiffAugment or EMA: they slowed Fashion-MNIST down.
"""

SMALL_SET_DEFAULTS: dict = {"augment": "diffaugment", "ema_decay": 0.999, "width": 32}
