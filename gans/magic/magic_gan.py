"""Train a GAN on the magic images and write an epoch-titled grid per epoch.

python gans/magic/magic_gan.py --epochs 200 [--source_dir=FOLDER] [--image_size=128]
"""

from gans.magic.magic_dataset import magic_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_training

    run_training(magic_spec)
