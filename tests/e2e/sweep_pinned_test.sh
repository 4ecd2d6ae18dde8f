#!/usr/bin/env bash
# A sweep runs the code as it was when it began: editing an agent or a
# task while the sweep runs changes nothing in it, and a later pass says
# the sources changed but keeps running its copies.  Also: names that
# would pin two files under one name are refused; --backend slurm without
# Slurm says so in one line; --dry-run prints the job script and writes
# nothing.
source "$(dirname "$0")/lib.sh"
cd "$T"
SW="$T/sw"
mkdir -p "$T/agents"
cp "$FIX/agents/sweep_counter.lua" "$T/agents/edit_me.lua"
cp -r "$FIX/tasks/tiny" "$T/tinyc"
sed -i 's/task "tiny"/task "tinyc"/' "$T/tinyc/task.lua"
original=$(sha256sum "$T/agents/edit_me.lua" | cut -d' ' -f1)
SWEEP=(sweep --out sw --tasks ./tinyc --agents agents/edit_me.lua --seeds 3 --jobs 1)

"$MLAB" "${SWEEP[@]}" > "$T/out1" 2> "$T/err1" &
pid=$!
for _ in $(seq 500); do
  [ "$(cat "$SW"/runs/*/trace.jsonl 2>/dev/null | grep -c '"step"' || true)" -ge 2 ] && break
  sleep 0.02
done
# Mid-sweep: the agent now fails at once, the evaluator scores 999.
ended=$({ grep -l '"status": "final_answer"' "$SW"/runs/*/run.json 2>/dev/null || true; } | wc -l)
check "the edit comes while the sweep runs ($ended of 3 ended)" \
  sh -c "kill -0 $pid 2>/dev/null && [ $ended -lt 3 ]"
cat > "$T/agents/edit_me.lua" <<'LUA'
return { run = function(ctx) error("the edited agent ran") end }
LUA
cat > "$T/tinyc/evaluate.py" <<'PY'
import json
print(json.dumps({"score": 999}))
PY
rc=0; wait "$pid" || rc=$?
check "the sweep ends (exit $rc)" test "$rc" = 0
check "the sweep planned all three runs" grep -q "(3 to start)" "$T/err1"
check "every run used the pinned agent and task" "$PY" - "$SW" <<'PY'
import json, sys
sw = sys.argv[1]
for seed in range(3):
    m = json.load(open("%s/runs/tinyc-edit_me-none-s%d/run.json" % (sw, seed)))
    assert m["status"] == "final_answer", (seed, m["status"], m.get("message"))
    assert m["score"] == seed + 1, (seed, m["score"])
    assert m["agent_path"] == sw + "/code/agents/edit_me.lua"
    assert m["task_dir"] == sw + "/code/tasks/tinyc"
PY
check "sweep.json has the hash of the agent as pinned" \
  test "$(json "$SW/sweep.json" 'd["files"]["agents/edit_me.lua"]')" = "$original"
check "the pinned copy is the original" \
  test "$(sha256sum "$SW/code/agents/edit_me.lua" | cut -d' ' -f1)" = "$original"

"$MLAB" sweep --out sw --seeds 4 > "$T/out2" 2> "$T/err2"
check "a later pass names the edited agent" \
  grep -q "agents/edit_me.lua changed since this sweep pinned it" "$T/err2"
check "and the edited task" grep -q "tinyc changed since this sweep pinned it" "$T/err2"
check "and still runs the pinned copies" \
  test "$(json "$SW/runs/tinyc-edit_me-none-s3/run.json" 'd["status"], d["score"]')" = "final_answer 4"

# One name, two files: refused before anything is written.
cp "$FIX/agents/sweep_counter.lua" "$T/baseline.lua"
rc=0; "$MLAB" sweep --out sw3 --tasks ./tinyc --agents ./baseline.lua > /dev/null 2> "$T/err3" || rc=$?
check "an agent file named like a shipped agent is refused" \
  sh -c "[ $rc = 2 ] && grep -q 'rename your file' '$T/err3' && [ ! -e '$T/sw3' ]"
mkdir -p "$T/other"
cp "$T/agents/edit_me.lua" "$T/other/edit_me.lua"
rc=0; "$MLAB" sweep --out sw --agents "$T/other/edit_me.lua" > /dev/null 2> "$T/err4" || rc=$?
check "a second file under a pinned agent's name is refused" \
  sh -c "[ $rc = 2 ] && grep -q 'rename your file' '$T/err4'"

# Slurm: not installed (as PATH sees it), and the script of a dry run.
rc=0; PATH=/nonexistent "$MLAB" sweep --out sw4 --tasks ./tinyc --agents baseline \
  --backend slurm > /dev/null 2> "$T/err5" || rc=$?
check "--backend slurm without Slurm says so in one line" \
  sh -c "[ $rc = 2 ] && [ \$(wc -l < '$T/err5') = 1 ] && grep -q 'not installed here' '$T/err5'"
"$MLAB" sweep --out dry --tasks ./tinyc --agents baseline --seeds 3 --jobs 2 --max-time 120 \
  --backend slurm --dry-run --partition debug > "$T/dry.sh"
check "--dry-run prints the array job" grep -q "^#SBATCH --array=0-2%2$" "$T/dry.sh"
check "which asks for a warning before its limit and requeues" \
  sh -c "grep -q '^#SBATCH --signal=B:USR1@90$' '$T/dry.sh' && grep -q '^#SBATCH --requeue$' '$T/dry.sh'"
check "its time covers the budget (minutes)" grep -q "^#SBATCH --time=6$" "$T/dry.sh"
check "and the partition" grep -q "^#SBATCH --partition=debug$" "$T/dry.sh"
check "each task runs one cell of the sweep" grep -q "sweep --out '$T/dry' --cell \"\$cell\"" "$T/dry.sh"
check "the script is valid bash" bash -n "$T/dry.sh"
check "a dry run writes nothing" test ! -e "$T/dry"

# The harness is pinned like the budgets: --preset (with its budgets as
# defaults) and --llm-fast reach every run, and cannot change later.
"$MLAB" sweep --out swp --tasks ./tinyc --agents ./agents/edit_me.lua --preset mlagentbench \
  --max-steps 30 -q > /dev/null 2> "$T/errp"
rid=$(json "$T/swp/sweep.json" 'd["runs"][0]["id"]')
check "--preset reaches the run" test "$(json "$T/swp/runs/$rid/run.json" 'd.get("preset")')" = mlagentbench
check "its budgets are the defaults, given ones win" \
  test "$(json "$T/swp/runs/$rid/run.json" '(d["budgets"]["max_time"], d["budgets"]["max_steps"])')" = "(18000, 30)"
rc=0; "$MLAB" sweep --out swp --preset none -q > /dev/null 2> "$T/errp2" || rc=$?
check "another --preset for the same sweep is refused" \
  sh -c "[ $rc = 2 ] && grep -q 'runs with --preset mlagentbench' '$T/errp2'"

# Runs share the processors: with --jobs 2 each run's scripts get half of
# them as OpenMP and OpenBLAS thread counts, unless the caller set them.
cat > "$T/agents/threads.lua" <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("threads.py", "import os\nprint('threads', os.environ.get('OMP_NUM_THREADS'), "
    .. "os.environ.get('OPENBLAS_NUM_THREADS'))\n")
  ctx.env:execute("threads.py")
  ctx.env:final_answer("done")
end }
LUA
half=$(( $(nproc) / 2 )); [ "$half" -ge 1 ] || half=1
env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS "$MLAB" sweep --out swt --tasks ./tinyc \
  --agents ./agents/threads.lua --seeds 2 --jobs 2 -q > /dev/null 2>&1
check "with --jobs 2 a run's scripts get $half thread(s) each" \
  sh -c "[ \$(cat '$T'/swt/runs/*/trace.jsonl | grep -c 'threads $half $half') = 2 ]"
env -u OPENBLAS_NUM_THREADS OMP_NUM_THREADS=3 "$MLAB" sweep --out swt2 --tasks ./tinyc \
  --agents ./agents/threads.lua --jobs 2 -q > /dev/null 2>&1
check "a thread count the caller set is kept" grep -q "threads 3 $half" "$T"/swt2/runs/*/trace.jsonl
finish
