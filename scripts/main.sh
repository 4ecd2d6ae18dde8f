#!/usr/bin/env bash
# The main job: install and build mlab, then run the model-free tuner agent
# on the digits task and show its step log and score against the baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/mlab run digits --agent tuner --max-steps 40 --max-time 600 "$@"
echo
./build/mlab log last
