#!/usr/bin/env bash
# kill -9 of `mlab run` at random points, at least 20 times at different
# steps (and a few more while a resume is starting or replaying), each
# time resumed with `mlab resume`: the run ends as an unkilled run of the
# same agent and seed does, with gapless history (commits = steps + 1,
# tags step-0..N, each the parent of the next) and a trace whose every
# line names its step's commit.  A model-free agent on the tiny task.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
AGENT="$FIX/agents/sweep_counter.lua"
SEED=192 # 200 steps of the agent, then answer.txt and the final answer

"$MLAB" run "$TINY" --agent "$AGENT" --seed "$SEED" --max-steps 300 --runs-dir "$RUNS" --id ref -q > /dev/null
check "the reference run answers" grep -q '"status": "final_answer"' "$RUNS/ref/run.json"

R="$RUNS/k"
steps_now() {
  local n; n=$(grep -c '"step":[0-9]' "$R/trace.jsonl" 2>/dev/null || true)
  echo "${n:-0}"
}
alive() { # PID: running, not a zombie waiting for us
  local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}

"$MLAB" run "$TINY" --agent "$AGENT" --seed "$SEED" --max-steps 300 --runs-dir "$RUNS" --id k -q \
  > /dev/null 2>&1 &
pid=$!
kills=0 resumes=0 last=0 distinct=""
for round in $(seq 40); do
  if [ $((round % 4)) = 0 ]; then
    # While the resume starts up or answers steps from the trace.
    sleep "0.0$((RANDOM % 10))"
  else
    target=$((last + 1 + RANDOM % 2))
    for _ in $(seq 2000); do
      [ "$(steps_now)" -ge "$target" ] && break
      alive "$pid" || break
      sleep 0.01
    done
    sleep "0.00$((RANDOM % 10))"
  fi
  alive "$pid" || break
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  n=$(steps_now)
  if [ "$n" -gt "$last" ]; then distinct="$distinct $n"; last=$n; fi
  [ "$(echo $distinct | wc -w)" -ge 22 ] && [ "$kills" -ge 26 ] && break
  "$MLAB" resume k --runs-dir "$RUNS" -q > /dev/null 2>&1 &
  pid=$!
  resumes=$((resumes + 1))
done
wait "$pid" 2>/dev/null || true
for _ in 1 2 3; do
  grep -q '"status": "final_answer"' "$R/run.json" && break
  "$MLAB" resume k --runs-dir "$RUNS" -q > /dev/null 2>&1 || true
  resumes=$((resumes + 1))
done
echo "kills: $kills, at steps:$distinct"
check "at least 20 kills at different steps ($(echo $distinct | wc -w))" \
  test "$(echo $distinct | wc -w)" -ge 20
check "every kill was resumed to completion" "$PY" - "$R" "$RUNS/ref" "$resumes" <<'PY'
import json, subprocess, sys
r, ref, resumes = sys.argv[1], sys.argv[2], int(sys.argv[3])

def git(d, *a):
    return subprocess.check_output(["git", "--git-dir", d + "/history.git", *a], text=True)

def trace(d):
    lines = [json.loads(l) for l in open(d + "/trace.jsonl")]
    return [l for l in lines if "step" in l], [l for l in lines if l.get("event") == "end"]

m, mref = json.load(open(r + "/run.json")), json.load(open(ref + "/run.json"))
assert m["status"] == "final_answer", m["status"]
assert m["steps"] == mref["steps"] == 202, (m["steps"], mref["steps"])
# A resume killed before it rewrote run.json does not count itself.
assert resumes // 2 <= m["resumed"] <= resumes, (m["resumed"], resumes)
assert m["score"] == mref["score"] == 193, m["score"]
assert open(r + "/workspace/answer.txt").read() == "193\n"
steps, ends = trace(r)
rsteps, _ = trace(ref)
n = m["steps"]
# The trace: steps 1..N in order, then one end line.
assert [s["step"] for s in steps] == list(range(1, n + 1)), [s["step"] for s in steps]
assert len(ends) == 1 and open(r + "/trace.jsonl").read().splitlines()[-1].startswith('{"'), ends
assert json.loads(open(r + "/trace.jsonl").read().splitlines()[-1])["event"] == "end"
# The history: tags step-0..N, no more, one commit each, each the parent of the next.
tags = {}
for line in git(r, "for-each-ref", "refs/tags", "--format=%(refname:short) %(objectname)").split("\n"):
    if line:
        name, oid = line.split()
        tags[name] = oid
assert sorted(tags) == sorted("step-%d" % i for i in range(n + 1)), sorted(tags)
chain = git(r, "rev-list", "--parents", "step-%d" % n).split("\n")
chain = [c.split() for c in chain if c]
assert len(chain) == n + 1, ("commits", len(chain), "steps", n)
for i, c in enumerate(reversed(chain)):
    assert c[0] == tags["step-%d" % i], ("tag", i)
    assert c[1:] == ([tags["step-%d" % (i - 1)]] if i else []), ("parent", i)
for s in steps:
    assert s["commit"] == tags["step-%d" % s["step"]], ("trace commit", s["step"])
# Consistent with the unkilled run: the same steps and the same workspace after each.
for a, b in zip(steps, rsteps):
    for k in ("action", "input", "observation", "error"):
        assert a.get(k) == b.get(k), (a["step"], k, a.get(k), b.get(k))
for i in range(n + 1):
    t1, t2 = git(r, "rev-parse", "step-%d^{tree}" % i), git(ref, "rev-parse", "step-%d^{tree}" % i)
    assert t1 == t2, ("tree", i)
PY
check "no script is left running" no_procs_in "$R/workspace"
finish
