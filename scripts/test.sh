#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, then ruff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# One pytest worker per core, at most 4 (each TensorFlow process takes ~1 GB).
workers=$(.venv/bin/python -c "import os; print(max(1, min(4, len(os.sched_getaffinity(0)))))")
.venv/bin/python -m pytest -q -n "$workers" "$@"
