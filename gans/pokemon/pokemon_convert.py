"""Convert the pokemon images to TFRecords and write a contact sheet, without training.

python gans/pokemon/pokemon_convert.py [--source_dir=FOLDER] [--image_size=64] [--inspect]
"""

from gans.pokemon.pokemon_dataset import pokemon_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_conversion

    run_conversion(pokemon_spec)
