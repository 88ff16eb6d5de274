#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (Ubuntu): the full grader in a venv.
set -euo pipefail
apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install -q -e .
