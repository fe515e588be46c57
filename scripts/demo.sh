#!/usr/bin/env bash
# Set up (if needed) and train a DCGAN on Fashion-MNIST (Debian package, works offline),
# writing one epoch-titled grid per epoch to gen_img/fashion_mnist/<run>/.
# Extra arguments go to the entry script, e.g. `bash scripts/demo.sh --epochs 20`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
.venv/bin/python gans/mnist/mnist_gan.py --variant=fashion \
  --source_dir=/usr/share/datasets/fashion-mnist --epochs=5 --steps_per_epoch=200 "$@"
echo "images: $(ls -d gen_img/fashion_mnist/*/)"
