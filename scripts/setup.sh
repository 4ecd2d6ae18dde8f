#!/usr/bin/env bash
# Installs what mlab needs on Debian 12 and builds it into build/.
# Idempotent: a second call only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config git
      lua-check                   # the Lua linter (tests/e2e/lua_lint_test.sh)
      liblua5.4-dev lua-cjson-dev libgit2-dev libcurl4-openssl-dev check
      bubblewrap python3-numpy python3-scipy python3-pandas python3-sklearn
      libopenblas0-pthread procps
      chromium                    # the HTML pages' tests (headless)
      clang libclang-rt-14-dev    # the sanitizer build and the fuzz targets
      slurmctld slurmd slurm-client munge)  # the Slurm test's one-node cluster
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "mlab setup: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  # Slurm's and munge's packages would start their daemons system-wide;
  # the Slurm test starts its own cluster and stops it.  A policy-rc.d
  # that says no keeps the install from starting any (only when the
  # machine has none of its own).
  norc=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    norc=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [ -z "$norc" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "mlab setup: built build/mlab"
