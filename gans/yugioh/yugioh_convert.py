"""Convert the yugioh images to TFRecords and write a contact sheet, without training.

python gans/yugioh/yugioh_convert.py [--source_dir=FOLDER] [--image_size=64] [--inspect]
"""

from gans.yugioh.yugioh_dataset import yugioh_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_conversion

    run_conversion(yugioh_spec)
