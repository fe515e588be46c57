"""Train a GAN on the yugioh images and write an epoch-titled grid per epoch.

python gans/yugioh/yugioh_gan.py --epochs 200 [--source_dir=FOLDER] [--image_size=128]
"""

from gans.yugioh.yugioh_dataset import yugioh_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_training

    run_training(yugioh_spec)
