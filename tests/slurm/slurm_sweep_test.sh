#!/usr/bin/env bash
# mlab sweep --backend slurm on a real Slurm: Debian's slurmctld, slurmd
# and munge (scripts/setup.sh installs them) started as a one-node cluster
# on loopback in a temporary folder.  A sweep of a model-free agent runs
# as one job array; mid-run, one task gets Slurm's warning before its time
# limit (USR1 to the batch shell: the run ends as killed and the task
# requeues itself), another is requeued as a preemption would (SIGTERM to
# the whole job), and a third, added later, is cancelled outright and
# resubmitted by the same command: every run resumes and ends whole.  The
# daemons are stopped by their pids and nothing is left behind.
set -euo pipefail
: "${MLAB:?set MLAB to the mlab binary}"
: "${MLAB_HOME:?set MLAB_HOME to the source tree}"
export MLAB_HOME
if [ "$(id -u)" != 0 ]; then
  echo "skipped: a Slurm cluster needs root"
  exit 77
fi
for prog in slurmctld slurmd sbatch squeue scontrol scancel sinfo munged; do
  if ! command -v "$prog" > /dev/null && [ ! -x "/usr/sbin/$prog" ]; then
    echo "FAIL: $prog is not installed (bash scripts/setup.sh installs Slurm and munge)" >&2
    exit 1
  fi
done

HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/cluster.sh"
T=$(mktemp -d /tmp/mlab-slurm.XXXXXX)
chmod 755 "$T" # munged (the munge user) reaches its socket through it
follower=
cleanup() {
  local rc=$?
  [ -z "$follower" ] || kill -TERM "$follower" 2> /dev/null || true
  cluster_stop || true
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export MLAB_CACHE="$T/cache"
PY=/usr/bin/python3
FIX="$MLAB_HOME/tests/fixtures"
failures=0 checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then checks=$((checks + 1)); else fail "$what"; fi; }

cluster_start "$T/cluster"
cluster_wait_idle 120

cd "$T"
SW="$T/sw"
# Seeds 40 and 41 take 48 and 49 steps (several seconds); seed 0 ten.
SWEEP=(sweep --backend slurm --out sw --tasks "$FIX/tasks/tiny"
       --agents "$FIX/agents/sweep_counter.lua" --max-steps 100 --max-time 300 --jobs 2)

steps_of() { # SEED: complete steps of its run so far
  local n; n=$(grep -c '"step":[0-9]' "$SW/runs/tiny-sweep_counter-none-s$1/trace.jsonl" \
    2>/dev/null || true)
  echo "${n:-0}"
}
wait_steps() { # SEED N: until the run has N steps (120 s at most)
  for _ in $(seq 1200); do [ "$(steps_of "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}
job_of() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])]['job'])" \
  "$SW/slurm/jobs.json" "$1"; }
wait_follower() { # the follower ends within 300 s; its exit status
  for _ in $(seq 3000); do kill -0 "$follower" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$follower" 2> /dev/null; then
    kill -TERM "$follower"; wait "$follower" || true; follower=; return 124
  fi
  local rc=0; wait "$follower" || rc=$?; follower=; return "$rc"
}
show_logs() { tail -n 30 "$T"/follow*.err "$SW"/runs/.logs/slurm-*.out >&2 || true; }

"$MLAB" "${SWEEP[@]}" --seeds 40,41,0 --poll 0.5 > "$T/follow1.out" 2> "$T/follow1.err" &
follower=$!
wait_steps 40 1 || { fail "the array does not start"; show_logs; exit 1; }
J=$(job_of 0)
check "the array runs two tasks at once" grep -q "^#SBATCH --array=0-2%2$" "$SW/slurm/array-1.sh"
check "seed 40 runs" wait_steps 40 5
scancel --batch --signal=USR1 "${J}_0"   # what --signal=B:USR1@90 sends before the limit
check "seed 41 runs" wait_steps 41 5
scontrol requeue "${J}_1"                 # a preemption: the whole job is stopped, requeued
rc=0; wait_follower || rc=$?
[ "$rc" = 0 ] || show_logs
check "the sweep follows its jobs to the end (exit $rc)" test "$rc" = 0
check "the follower shows each run ending" grep -q "^\[3/3\] answer" "$T/follow1.err"
check "the follower reports Slurm's delays" grep -q "^slurm: .* run end to seen here" "$T/follow1.err"
check "the warned task ended its run as killed and requeued itself" sh -c \
  "grep -q 'ended killed' '$SW/runs/.logs/slurm-${J}_0.out' &&
   grep -q 'time limit near: requeueing ${J}_0' '$SW/runs/.logs/slurm-${J}_0.out' &&
   grep -q 'restart 1' '$SW/runs/.logs/slurm-${J}_0.out' &&
   grep -q 'resume tiny-sweep_counter-none-s40' '$SW/runs/.logs/slurm-${J}_0.out'"
check "the requeued task resumed its run" sh -c \
  "grep -q 'restart 1' '$SW/runs/.logs/slurm-${J}_1.out' &&
   grep -q 'resume tiny-sweep_counter-none-s41' '$SW/runs/.logs/slurm-${J}_1.out'"

# A task cancelled outright: the same command submits it again, as a resume.
"$MLAB" "${SWEEP[@]}" --seeds 40,41,0,42 --no-wait > "$T/submit2.out" 2> "$T/submit2.err"
check "a new seed is submitted alone" grep -q "(3 done before, 1 to start); slurm" "$T/submit2.err"
check "seed 42 runs" wait_steps 42 5
J2=$(job_of 1)
scancel "$J2"
for _ in $(seq 600); do [ -z "$(squeue -h -j "$J2" 2> /dev/null)" ] && break; sleep 0.1; done
check "the cancelled run ended as killed" \
  grep -q '"status": "killed"' "$SW/runs/tiny-sweep_counter-none-s42/run.json"
"$MLAB" "${SWEEP[@]}" --poll 0.5 > "$T/follow3.out" 2> "$T/follow3.err" &
follower=$!
rc=0; wait_follower || rc=$?
[ "$rc" = 0 ] || show_logs
check "the same command resubmits it to resume (exit $rc)" \
  grep -q "(3 done before, 1 to resume); slurm" "$T/follow3.err"

check "every run ended whole, the interrupted ones resumed" $PY - "$SW" <<'PY'
import json, subprocess, sys
sw = sys.argv[1]
for seed, resumed in ((0, False), (40, True), (41, True), (42, True)):
    r = "%s/runs/tiny-sweep_counter-none-s%d" % (sw, seed)
    m = json.load(open(r + "/run.json"))
    assert m["status"] == "final_answer", (seed, m["status"], m.get("message"))
    assert m["steps"] == 8 + seed + 2 and m["score"] == seed + 1, (seed, m["steps"], m["score"])
    assert bool(m.get("resumed")) == resumed, (seed, m.get("resumed"))
    steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
    assert [s["step"] for s in steps if "step" in s] == list(range(1, m["steps"] + 1)), seed
    n = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-list", "--count",
                                 "step-%d" % m["steps"]], text=True)
    assert int(n) == m["steps"] + 1, (seed, n)
PY
"$MLAB" sweep --out sw --status > "$T/status"
check "--status agrees" grep -q "4 runs: answer 4" "$T/status"

# Nothing left behind: the daemons stop by their pids, no job step remains.
pids="$(cat "$T/cluster/slurmd.pid" "$T/cluster/slurmctld.pid" "$T/cluster/munge/munged.pid")"
cluster_stop
for p in $pids; do
  check "daemon $p stopped" sh -c "! kill -0 $p 2> /dev/null"
done
check "no job process is left" test -z "$(cluster_strays)"
CLUSTER_DIR=

if [ "$failures" -gt 0 ]; then
  echo "slurm_sweep_test.sh: $failures of $((checks + failures)) checks failed" >&2
  exit 1
fi
echo "slurm_sweep_test.sh: $checks checks passed"
