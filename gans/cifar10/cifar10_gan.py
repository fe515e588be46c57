"""Train a GAN on CIFAR-10 and write an epoch-titled grid per epoch.

python gans/cifar10/cifar10_gan.py --epochs 200 [--source_dir=FOLDER] [--image_size=128]
"""

from gans.cifar10.cifar10_dataset import cifar10_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_training

    run_training(cifar10_spec)
