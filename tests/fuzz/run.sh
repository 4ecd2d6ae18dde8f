#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZER TARGET [libFuzzer flags...]
# Runs one fuzz target on its seed corpus (tests/fuzz/corpus/TARGET, read
# only: new inputs go to a scratch corpus that is removed afterwards) with
# the target's dictionary and input size.  A crash, a sanitizer report, a
# leak or a hang (-timeout) fails the run; the input that caused it is
# kept as fuzz-artifacts/TARGET-crash-<sha1> (or -leak-, -timeout-) in the
# current folder, and the command to reproduce it is printed.
set -euo pipefail
bin=$1 target=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
seeds="$here/corpus/$target"
[ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }
case $target in
  task) max_len=8192 ;;
  *) max_len=16384 ;;
esac
art="$PWD/fuzz-artifacts"
mkdir -p "$art"
work=$(mktemp -d /tmp/mlab-fuzz-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
flags=(-max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
       -artifact_prefix="$art/$target-")
[ -f "$here/$target.dict" ] && flags+=(-dict="$here/$target.dict")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if ! "$bin" "${flags[@]}" "$@" "$work" "$seeds"; then
  echo "run.sh: $target found a bug; reproduce with:" >&2
  echo "  $bin ${flags[*]} $art/$target-<crash|leak|timeout>-<sha1>" >&2
  exit 1
fi
