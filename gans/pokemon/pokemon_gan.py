"""Train a GAN on the pokemon images and write an epoch-titled grid per epoch.

python gans/pokemon/pokemon_gan.py --epochs 200 [--source_dir=FOLDER] [--image_size=128]
"""

from gans.pokemon.pokemon_dataset import pokemon_spec

if __name__ == "__main__":
    from gans.core.run.entry import run_training

    run_training(pokemon_spec)
