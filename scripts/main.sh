#!/usr/bin/env bash
# The main job: install and build mlab, then run the model-free tuner agent
# on the digits task.  It prints one line per step while it runs, then the
# run's status and its score against the starter code's baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./build/mlab run digits --agent tuner --max-steps 40 --max-time 600 "$@"
echo
cat <<'EOF2'
Read it again:
  build/mlab log last            # the steps and the score
  build/mlab show last 3         # one step: input, observation, diff
  build/mlab diff last 0 16      # what the whole run changed
  git --git-dir runs/<id>/history.git log --stat
EOF2
