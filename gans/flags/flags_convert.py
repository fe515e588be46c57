"""Convert the flags images to TFRecords and write a contact sheet, without training.

python gans/flags/flags_convert.py [--source_dir=FOLDER] [--image_size=64] [--inspect]
"""

from gans.flags.flags_dataset import flags_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_conversion

    run_conversion(flags_spec)
