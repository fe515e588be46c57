"""Train a GAN on MNIST or Fashion-MNIST and write an epoch-titled image grid per epoch.

python gans/mnist/mnist_gan.py --epochs 200
python gans/mnist/mnist_gan.py --variant=fashion --source_dir=/usr/share/datasets/fashion-mnist
"""

from gans.core.entry import run_training
from gans.mnist.mnist_dataset import define_variant_flag, mnist_spec, spec_from_flags

if __name__ == "__main__":
    define_variant_flag()
    run_training(spec_from_flags, default_spec=mnist_spec())
