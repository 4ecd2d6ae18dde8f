#!/usr/bin/env bash
# bench/sweep_bench.sh - what a sweep costs over running the same runs by
# hand.  Figures only, no assertions.
#
#   bash bench/sweep_bench.sh [RUNS] [ROUNDS]     (defaults 8 and 3)
#
# The work: RUNS runs of the model-free agent tests/fixtures/agents/
# sweep_counter.lua on tests/fixtures/tasks/tiny, seeds 0..RUNS-1 (10 to
# 9+RUNS steps each: writes, appends, a script every fourth step).  Each
# round, in turn:
#   shell loop     for s in ...; do mlab run ...; done
#   xargs -P 2     the same runs two at a time
#   sweep --jobs 1 / --jobs 2   mlab sweep over the same matrix
# and prints the medians over ROUNDS: wall time, runs per minute, the
# ratio to the shell loop, the --jobs 2 speed-up against the ideal (twice
# --jobs 1), and the CPU of the sweep's own process next to that of the
# runs' mlab processes and their scripts (as the sweep reports them).
# As root with Slurm installed (scripts/setup.sh), the same sweep also
# goes through a one-node cluster on loopback (tests/slurm/cluster.sh):
# its wall time, how long Slurm took from submission to a run's start,
# and from a run's end to the sweep seeing it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MLAB=${MLAB:-$ROOT/build/mlab}
export MLAB_HOME=$ROOT
N=${1:-8}
ROUNDS=${2:-3}
W=$(mktemp -d /tmp/mlab-bench-sweep.XXXXXX)
chmod 755 "$W"
CLUSTER=
cleanup() {
  if [ -n "$CLUSTER" ]; then cluster_stop || true; fi
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export MLAB_CACHE="$W/cache"
TASK=$ROOT/tests/fixtures/tasks/tiny
AGENT=$ROOT/tests/fixtures/agents/sweep_counter.lua
cd "$W"

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
# Prepares the task's cache once, so the loops measure runs only.
"$MLAB" run "$TASK" --agent baseline --runs-dir "$W/warm" -q > /dev/null 2>&1

declare -A T
add() { T[$1]="${T[$1]:-} $2"; }

shell_loop() {
  local s
  for s in $(seq 0 $((N - 1))); do
    "$MLAB" run "$TASK" --agent "$AGENT" --seed "$s" --max-steps 100 --runs-dir "$W/loop$1" \
      -q > /dev/null
  done
}
xargs_loop() {
  seq 0 $((N - 1)) | xargs -P 2 -I{} "$MLAB" run "$TASK" --agent "$AGENT" --seed {} \
    --max-steps 100 --runs-dir "$W/xargs$1" -q > /dev/null
}
sweep_run() { # ROUND JOBS [BACKEND]
  "$MLAB" sweep --out "$W/sw-$1-$2-${3:-local}" --tasks "$TASK" --agents "$AGENT" --seeds "$N" \
    --jobs "$2" --max-steps 100 --backend "${3:-local}" --poll 0.5 \
    > "$W/sw-$1-$2-${3:-local}.out" 2> "$W/sw-$1-$2-${3:-local}.err"
}
timed() { # KEY COMMAND...
  local key=$1; shift
  local t0; t0=$(now)
  "$@"
  add "$key" "$(calc "$(now) - $t0")"
}
sweep_figures() { # KEY ERRFILE: pool wall and CPU as the sweep printed them
  local line
  line=$(grep -E "^[0-9]+ runs in .*; CPU: sweep" "$2" | tail -n 1)
  add "$1.pool" "$(sed -E 's/^[0-9]+ runs in ([0-9.]+) s;.*/\1/' <<< "$line")"
  add "$1.cpu_sweep" "$(sed -E 's/.*CPU: sweep ([0-9.]+) s.*/\1/' <<< "$line")"
  add "$1.cpu_runs" "$(sed -E 's/.*mlab runs ([0-9.]+) s.*/\1/' <<< "$line")"
  add "$1.cpu_scripts" "$(sed -E 's/.*their scripts ([0-9.]+) s.*/\1/' <<< "$line")"
}

for r in $(seq "$ROUNDS"); do
  echo "round $r of $ROUNDS" >&2
  timed loop shell_loop "$r"
  timed sweep1 sweep_run "$r" 1
  sweep_figures sweep1 "$W/sw-$r-1-local.err"
  timed xargs xargs_loop "$r"
  timed sweep2 sweep_run "$r" 2
  sweep_figures sweep2 "$W/sw-$r-2-local.err"
done

med() { tr ' ' '\n' <<< "${T[$1]}" | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
f() { printf "%.${2:-2}f" "$1"; }
steps=$(( (10 + 9 + N) * N / 2 ))
loop=$(med loop); s1=$(med sweep1); xa=$(med xargs); s2=$(med sweep2)
p1=$(med sweep1.pool); p2=$(med sweep2.pool)
echo
echo "mlab sweep vs shell loops: $N runs of sweep_counter on tiny ($steps steps in all), medians of $ROUNDS rounds"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf "%-28s %9s %9s %10s\n" "" "wall s" "runs/min" "vs loop"
for k in loop sweep1 xargs sweep2; do
  label=$(case $k in loop) echo "shell loop";; sweep1) echo "mlab sweep --jobs 1";;
    xargs) echo "xargs -P 2";; sweep2) echo "mlab sweep --jobs 2";; esac)
  w=$(med $k)
  printf "%-28s %9s %9s %9sx\n" "$label" "$(f "$w")" "$(f "$(calc "$N * 60 / $w")" 1)" \
    "$(f "$(calc "$loop / $w")")"
done
printf "%-28s %9s %9s %9sx\n" "sweep --jobs 1, pool only" "$(f "$p1")" \
  "$(f "$(calc "$N * 60 / $p1")" 1)" "$(f "$(calc "$loop / $p1")")"
printf "%-28s %9s %9s %9sx\n" "sweep --jobs 2, pool only" "$(f "$p2")" \
  "$(f "$(calc "$N * 60 / $p2")" 1)" "$(f "$(calc "$loop / $p2")")"
echo "--jobs 2 speed-up over --jobs 1 (pool): $(f "$(calc "$p1 / $p2")")x of an ideal 2x" \
  "($(f "$(calc "100 * $p1 / $p2 / 2")" 1)%); xargs -P 2 over the loop:" \
  "$(f "$(calc "$loop / $xa")")x"
for j in 1 2; do
  cs=$(med sweep$j.cpu_sweep); cr=$(med sweep$j.cpu_runs); cc=$(med sweep$j.cpu_scripts)
  pw=$(med sweep$j.pool)
  echo "CPU, --jobs $j: the sweep's process $(f "$cs" 3) s ($(f "$(calc "100 * $cs / $pw")" 3) % of one" \
    "core over the pool's $(f "$pw") s, $(f "$(calc "100 * $cs / ($cs + $cr + $cc)")" 3) % of all" \
    "the sweep's CPU); the runs' mlab processes $(f "$cr") s, their scripts $(f "$cc") s"
done

if [ "$(id -u)" = 0 ] && command -v slurmctld > /dev/null && command -v sbatch > /dev/null; then
  source "$ROOT/tests/slurm/cluster.sh"
  CLUSTER=1
  cluster_start "$W/cluster" 2> /dev/null
  cluster_wait_idle 120
  for r in $(seq "$ROUNDS"); do
    timed slurm sweep_run "$r" 2 slurm
    line=$(grep "^slurm: " "$W/sw-$r-2-slurm.err" | tail -n 1)
    add slurm.start "$(sed -E 's/.*submit to run start ([0-9.]+) s at best, ([0-9.]+) s median.*/\2/' <<< "$line")"
    add slurm.first "$(sed -E 's/.*submit to run start ([0-9.]+) s at best.*/\1/' <<< "$line")"
    add slurm.seen "$(sed -E 's/.*run end to seen here ([0-9.]+) s.*/\1/' <<< "$line")"
  done
  sl=$(med slurm)
  echo "Slurm, one node on loopback, --jobs 2 (array %2): wall $(f "$sl") s, $(f "$(calc "$N * 60 / $sl")" 1)" \
    "runs/min ($(f "$(calc "$loop / $sl")")x the loop, $(f "$(calc "$s2 / $sl")")x the local --jobs 2);" \
    "submit to a run's start $(f "$(med slurm.first)") s for the first, $(f "$(med slurm.start)") s median" \
    "(later ones wait for a slot); a run's end to the sweep seeing it $(f "$(med slurm.seen)") s;" \
    "per run over the local pool: $(f "$(calc "($sl - $s2) / ($N / 2)")") s per slot"
else
  echo "Slurm: skipped (needs root and Slurm: bash scripts/setup.sh)"
fi
