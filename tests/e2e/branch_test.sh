#!/usr/bin/env bash
# mlab branch R N: a new run from step N of R.  Model-free: the branch
# shares R's commits 0..N (the same ids in plain git), its trace starts
# with R's steps 1..N marked inherited, another agent that takes the same
# first steps goes on its own way, run.json names parent and fork step, and
# mlab replay of the branch gives the same run.  With a model: the calls
# before the fork are answered from R's recording (the new server never sees
# them), the rest go to the new --llm.  An agent that asks for other first
# steps ends as agent_error; a step past the end is refused.
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
TINY="$FIX/tasks/tiny"
AG="$FIX/analysis/agents"
g() { git --git-dir "$RUNS/$1/history.git" rev-parse "$2"; }

mlab run "$TINY" --agent "$AG/fork_a.lua" --runs-dir "$RUNS" --id parent -q > /dev/null
mlab branch parent 2 --agent "$AG/fork_b.lua" --runs-dir "$RUNS" --id fork -q > "$T/fork.out"
cat "$T/fork.out"
check "the branch ends with its own final answer and score" sh -c \
  "grep -q '^status   final_answer' '$T/fork.out' && grep -q '^score    7 ' '$T/fork.out' && grep -q '^parent   parent at step 2' '$T/fork.out'"
check "commits 0..2 are the parent's own" sh -c \
  "for n in 0 1 2; do test \"\$(git --git-dir '$RUNS/parent/history.git' rev-parse step-\$n)\" = \"\$(git --git-dir '$RUNS/fork/history.git' rev-parse step-\$n)\" || exit 1; done"
check "step 3 differs, and its parent is the shared step 2" sh -c \
  "test \"$(g parent step-3)\" != \"$(g fork step-3)\" && test \"$(g fork step-3^)\" = \"$(g parent step-2)\""
git --git-dir "$RUNS/fork/history.git" log --format=%H step-6 > "$T/fork.log"
git --git-dir "$RUNS/parent/history.git" log --format=%H step-2 > "$T/parent.log"
check "plain git shows the fork's history: 7 commits, the first 3 shared" sh -c \
  "test \"\$(wc -l < '$T/fork.log')\" = 7 && tail -n 3 '$T/fork.log' | cmp -s - '$T/parent.log'"
check "the branch has no tags of the parent's later steps" sh -c \
  "test \"\$(git --git-dir '$RUNS/fork/history.git' tag | sort -V | tr '\n' ' ')\" = 'step-0 step-1 step-2 step-3 step-4 step-5 step-6 '"
check "trace: steps 1-2 inherited, then the new agent's own" "$PY" - "$RUNS" <<'PY'
import json, sys
r = sys.argv[1]
p = [json.loads(l) for l in open(r + "/parent/trace.jsonl") if '"step"' in l]
f = [json.loads(l) for l in open(r + "/fork/trace.jsonl") if '"step"' in l]
assert [s.get("inherited") for s in f] == [True, True, None, None, None, None], f
for a, b in zip(p[:2], f[:2]):
    assert (a["action"], a["input"], a["observation"], a["commit"]) == (b["action"], b["input"], b["observation"], b["commit"])
assert [s["action"] for s in f[2:]] == ["Write File", "Write File", "Execute Script", "Final Answer"], f
m = json.load(open(r + "/fork/run.json"))
assert m["parent"]["id"] == "parent" and m["parent"]["step"] == 2, m["parent"]
assert m["agent"] == "fork_b" and m["status"] == "final_answer" and m["steps"] == 6 and m["score"] == 7, m
assert "resumed" not in m, m
PY
check "the parent is untouched" sh -c "grep -q '\"score\": 3' '$RUNS/parent/run.json' && test \"\$(git --git-dir '$RUNS/parent/history.git' tag | wc -l)\" = 6"
cat > "$T/branches.lua" <<'EOF'
local p = mlab.runs({ arg[1] })[1]
for _, b in ipairs(p:branches()) do print(b.id, b.step) end
EOF
check "the parent lists its branch" sh -c "'$MLAB' script '$T/branches.lua' '$RUNS/parent' | grep -qx 'fork	2'"
mlab replay fork --runs-dir "$RUNS" -q --id fork-replay > "$T/replay.out" || true
check "replay of the branch gives the same run ($(tail -n 1 "$T/replay.out"))" grep -q "^replay   identical to fork" "$T/replay.out"

set +e
mlab branch parent 2 --agent baseline --runs-dir "$RUNS" --id other -q > "$T/other.out" 2>&1
rc=$?
mlab branch parent 9 --runs-dir "$RUNS" --id past -q > "$T/past.out" 2>&1
rc2=$?
set -e
check "an agent that asks for other first steps ends as agent_error (diverged)" sh -c \
  "test $rc = 1 && grep -q 'agent_error.*diverged at step 1' '$T/other.out'"
check "a step past the end is refused, no run left ($(cat "$T/past.out"))" sh -c \
  "test $rc2 = 2 && grep -q 'has 5 steps' '$T/past.out' && test ! -e '$RUNS/past'"

# With a model: the calls before the fork come from the recording.
start_server() {
  printf '%s\n' "$1" > "$T/script.json"
  rm -f "$T/port" "$T/server.jsonl"
  "$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" --port-file "$T/port" \
    --log "$T/server.jsonl" --idle 120 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  BASE="http://127.0.0.1:$(cat "$T/port")/v1"
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
start_server '{"replies": [{"text": "alpha"}, {"text": "beta"}, {"text": "gamma"}]}'
mlab run "$TINY" --agent "$AG/asker.lua" --runs-dir "$RUNS" --id mparent -q --llm "openai:m@$BASE" > /dev/null
stop_server
start_server '{"default": {"text": "delta"}}'
mlab branch mparent 3 --llm "openai:other@$BASE" --runs-dir "$RUNS" --id mfork -q > "$T/mfork.out"
stop_server
check "the model branch ends with its answer" grep -q '^status   final_answer' "$T/mfork.out"
check "the new server saw only the call after the fork" sh -c \
  "test \"\$(wc -l < '$T/server.jsonl')\" = 1 && grep -q 'third question' '$T/server.jsonl'"
check "notes: two recorded replies, then the new model's" sh -c \
  "printf 'alpha\nbeta\ndelta\n' | cmp -s - '$RUNS/mfork/workspace/notes.txt'"
check "llm.jsonl: the inherited calls, then the new one, numbered on" "$PY" - "$RUNS/mfork" <<'PY'
import json, sys
c = [json.loads(l) for l in open(sys.argv[1] + "/llm.jsonl")]
assert [x["call"] for x in c] == [1, 2, 3] and [x["reply"] for x in c] == ["alpha", "beta", "delta"], c
assert c[2]["model"] == "other", c[2]
m = json.load(open(sys.argv[1] + "/run.json"))
assert m["llm"].startswith("openai:other@") and m["parent"] == {"id": "mparent", "step": 3, "dir": m["parent"]["dir"]}, m
PY
mlab replay mfork --runs-dir "$RUNS" -q --id mfork-replay > "$T/mreplay.out" || true
check "replay of the model branch gives the same run" grep -q "^replay   identical to mfork" "$T/mreplay.out"
finish
