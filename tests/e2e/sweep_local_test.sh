#!/usr/bin/env bash
# mlab sweep on the local pool: two tasks x three seeds with --jobs 2,
# interrupted with SIGINT part-way (running runs end as killed, steps
# kept), then the same command again: every run complete exactly once,
# the finished ones untouched, the killed ones resumed.  Then the sweep
# grows by a seed, and --status reads it.
source "$(dirname "$0")/lib.sh"
cd "$T"
SW="$T/sw"
AGENT="$FIX/agents/sweep_counter.lua"
cp -r "$FIX/tasks/tiny" "$T/tinyb"
sed -i 's/task "tiny"/task "tinyb"/' "$T/tinyb/task.lua"
SWEEP=(sweep --out sw --tasks "$FIX/tasks/tiny,./tinyb" --agents "$AGENT" --seeds 3
       --jobs 2 --max-steps 40)

count_status() { # STATUS: runs whose run.json records it
  { grep -l "\"status\": \"$1\"" "$SW"/runs/*/run.json 2>/dev/null || true; } | wc -l
}
# Part-way: a run has ended, and a running one is early in its steps.
part_way() {
  [ "$(count_status final_answer)" -ge 1 ] || return 1
  local r
  for r in $(grep -l '"status": "running"' "$SW"/runs/*/run.json 2>/dev/null); do
    local n; n=$(grep -c '"step"' "$(dirname "$r")/trace.jsonl" 2>/dev/null || true)
    [ "${n:-0}" -ge 2 ] && [ "${n:-0}" -le 5 ] && return 0
  done
  return 1
}

"$MLAB" "${SWEEP[@]}" > "$T/out1" 2> "$T/err1" &
pid=$!
# Part-way: at least one run ended and one is running.
for _ in $(seq 600); do
  part_way && break
  sleep 0.02
done
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
check "SIGINT ends the sweep with 130 (got $rc)" test "$rc" = 130
check "the sweep says how to resume" grep -q "run the same command again" "$T/err1"
n_final=$(count_status final_answer); n_killed=$(count_status killed)
check "the interrupt came part-way ($n_final ended, $n_killed killed)" \
  test "$n_final" -ge 1 -a "$n_killed" -ge 1
check "no run is left running" test "$(count_status running)" = 0
check "no process is left in the sweep" no_procs_in "$SW"
check "the interrupted sweep's runs are whole" "$PY" - "$SW" <<'PY'
import json, os, subprocess, sys
sw = sys.argv[1]
for rid in os.listdir(sw + "/runs"):
    if rid.startswith("."):
        continue
    r = sw + "/runs/" + rid
    m = json.load(open(r + "/run.json"))
    assert m["status"] in ("final_answer", "killed"), (rid, m["status"])
    steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
    assert steps[-1].get("event") == "end", rid  # a killed run recorded its end
    steps = [s for s in steps if "step" in s]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1)), rid
    for s in steps:
        c = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-parse",
                                     "step-%d^{commit}" % s["step"]], text=True).strip()
        assert c == s["commit"], (rid, s["step"])
PY
# What the first pass finished must not be touched again.
"$PY" - "$SW" > "$T/before.json" <<'PY'
import json, os, sys
sw = sys.argv[1]
out = {}
for rid in sorted(os.listdir(sw + "/runs")):
    if not rid.startswith("."):
        m = json.load(open("%s/runs/%s/run.json" % (sw, rid)))
        out[rid] = [m["status"], m.get("ended"), os.stat("%s/runs/%s/run.json" % (sw, rid)).st_mtime_ns]
print(json.dumps(out))
PY

"$MLAB" "${SWEEP[@]}" > "$T/out2" 2> "$T/err2"
rc=$?
check "the second pass ends with 0 (got $rc)" test "$rc" = 0
check "it resumes the killed runs and starts no finished one" \
  grep -q "($n_final done before.* $n_killed to resume" "$T/err2"
check "every run is complete exactly once" "$PY" - "$SW" "$T/before.json" <<'PY'
import json, os, subprocess, sys
sw, before = sys.argv[1], json.load(open(sys.argv[2]))
ids = sorted(r for r in os.listdir(sw + "/runs") if not r.startswith("."))
want = sorted("%s-sweep_counter-none-s%d" % (t, s) for t in ("tiny", "tinyb") for s in range(3))
assert ids == want, ids
assert not os.path.exists(sw + "/runs/.retired"), "nothing was retried"
for rid in ids:
    r = sw + "/runs/" + rid
    m = json.load(open(r + "/run.json"))
    seed = int(rid[-1])
    assert m["status"] == "final_answer", (rid, m["status"])
    assert m["seed"] == seed and m["steps"] == 8 + seed + 2, (rid, m["seed"], m["steps"])
    assert m["agent_path"] == sw + "/code/agents/sweep_counter.lua", m["agent_path"]
    assert m["task_dir"] == sw + "/code/tasks/" + rid.split("-")[0], m["task_dir"]
    assert open(r + "/workspace/answer.txt").read() == "%d\n" % (seed + 1)
    was = before.get(rid, ["not started"])
    log = open("%s/runs/.logs/%s.log" % (sw, rid)).read()
    starts = log.count(": run ")
    resumes = log.count(": resume ")
    assert starts == 1, (rid, starts)
    if was[0] == "final_answer":
        now = [m["status"], m.get("ended"), os.stat(r + "/run.json").st_mtime_ns]
        assert now == was, (rid, "a finished run was touched")
        assert resumes == 0 and "resumed" not in m, rid
    elif was[0] == "killed":
        assert resumes == 1 and m.get("resumed") == 1, (rid, resumes, m.get("resumed"))
    else:
        assert resumes == 0 and "resumed" not in m, rid
    steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
    assert [s["step"] for s in steps if "step" in s] == list(range(1, m["steps"] + 1)), rid
    n = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-list", "--count",
                                 "step-%d" % m["steps"]], text=True).strip()
    assert int(n) == m["steps"] + 1, (rid, n)
PY
check "the table counts six final answers" grep -Eq "^all +6 +6 +0 +0 +0 +0 +0" "$T/out2"

# A third pass has nothing to do; a fourth seed extends the sweep.
"$MLAB" "${SWEEP[@]}" > "$T/out3" 2> "$T/err3"
check "nothing runs twice" grep -q "(6 done before); local" "$T/err3"
"$MLAB" sweep --out sw --seeds 4 > "$T/out4" 2> "$T/err4"
check "a new seed adds its runs only" grep -q "(6 done before, 2 to start); local, jobs 2" "$T/err4"
check "the new runs end" test "$(count_status final_answer)" = 8
check "sweep.json records the grown matrix" \
  test "$(json "$SW/sweep.json" 'd["matrix"]["seeds"]')" = "[0, 1, 2, 3]"
check "sweep.json records the mlab version and pinned hashes" "$PY" - "$SW" <<'PY'
import hashlib, json, sys
sw = sys.argv[1]
d = json.load(open(sw + "/sweep.json"))
assert d["mlab_version"] and len(d["runs"]) == 8
for rel in ("agents/sweep_counter.lua", "tasks/tiny/task.lua", "tasks/tinyb/evaluate.py", "bin/mlab"):
    h = hashlib.sha256(open(sw + "/code/" + rel, "rb").read()).hexdigest()
    assert d["files"][rel] == h, rel
PY
"$MLAB" sweep --out sw --status > "$T/status"
check "--status reads the sweep" grep -q "8 runs: answer 8" "$T/status"
finish
