"""Convert CIFAR-10 to TFRecords and write a contact sheet, without training.

python gans/cifar10/cifar10_convert.py [--source_dir=FOLDER] [--image_size=64] [--inspect]
"""

from gans.cifar10.cifar10_dataset import cifar10_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_conversion

    run_conversion(cifar10_spec)
