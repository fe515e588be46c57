"""Recommended training defaults for small image sets (250 to ~12k images).

DiffAugment on everything the discriminator sees (Zhao et al. 2020) and sampling from an
EMA of the generator's weights (Karras et al. 2018; Yazıcı et al. 2019). Measured on the
253 EmojiOne flags at 64 px, equal CPU time, 2 seeds (docs/ablation.md): the plain DCGAN
half-collapses (SWD 162, MS-SSIM 0.75 against 0.11 for real flags); DiffAugment + EMA gives
SWD 125 (1.3x) and MS-SSIM 0.53; with half-width nets, which take ~3x the steps in the same
time, SWD 75 (2.15x) and MS-SSIM 0.28. Half width alone collapses completely (MS-SSIM
0.996), so the two tricks are what keep the generator diverse. Large sets (MNIST, CIFAR-10)
do not use these: DiffAugment slowed Fashion-MNIST down at equal CPU time.
"""

SMALL_SET_DEFAULTS: dict = {"augment": "diffaugment", "ema_decay": 0.999}
