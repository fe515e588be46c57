"""Train a GAN on the flags images and write an epoch-titled grid per epoch.

python gans/flags/flags_gan.py --epochs 200 [--source_dir=FOLDER] [--image_size=128]
"""

from gans.flags.flags_dataset import flags_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_training

    run_training(flags_spec)
