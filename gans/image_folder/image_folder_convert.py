"""Convert any folder of images to TFRecords (+ contact sheet) without training.

python gans/image_folder/image_folder_convert.py --source_dir=my_pictures/ --name=forest
"""

from gans.image_folder.image_folder_dataset import define_name_flag, image_folder_spec

if __name__ == "__main__":
    from absl import flags

    from gans.core.run.entry import run_conversion

    define_name_flag()
    run_conversion(lambda: image_folder_spec(flags.FLAGS.name), default_spec=image_folder_spec())
