"""Convert the magic images to TFRecords and write a contact sheet, without training.

python gans/magic/magic_convert.py [--source_dir=FOLDER] [--image_size=64] [--inspect]
"""

from gans.magic.magic_dataset import magic_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_conversion

    run_conversion(magic_spec)
