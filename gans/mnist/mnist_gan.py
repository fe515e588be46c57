"""Train a GAN on MNIST or Fashion-MNIST and write an epoch-titled image grid per epoch.

python gans/mnist/mnist_gan.py --epochs 200
python gans/mnist/mnist_gan.py --variant=fashion --source_dir=/usr/share/datasets/fashion-mnist
"""

from gans.mnist.mnist_convert import define_variant_flag
from gans.mnist.mnist_dataset import mnist_spec

if __name__ == "__main__":
    from absl import flags

    from gans.core.run.entry import run_training

    define_variant_flag()
    run_training(lambda: mnist_spec(flags.FLAGS.variant), default_spec=mnist_spec())
