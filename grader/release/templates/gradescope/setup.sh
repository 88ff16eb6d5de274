#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (Ubuntu): the full grader in a venv, with
# the CPU build of PyTorch for the lab (a plain `pip install torch` on Linux is the CUDA build, several GB).
set -euo pipefail
TORCH_INDEX_URL="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install -q "@TORCH@" --index-url "$TORCH_INDEX_URL"
.venv/bin/pip install -q -e ".[lab]"
