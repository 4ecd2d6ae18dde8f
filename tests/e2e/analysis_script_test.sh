#!/usr/bin/env bash
# mlab script: the read-only API over runs (run names, globs, folders;
# manifest, steps, replies and their fields, files and diffs at a step),
# output helpers, the sandbox (no io, no host modules, mlab read-only, no
# path out of a workspace, no symbolic link followed) and the budget.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
S="$T/scripts"
mkdir -p "$S" "$T/tmp"
export TMPDIR="$T/tmp"
mlab run "$TINY" --agent "$FIX/analysis/agents/fork_a.lua" --runs-dir "$RUNS" --id alpha -q > /dev/null
cat > "$T/linker.lua" <<'EOF'
-- writes a script that plants a symbolic link out of the workspace, runs it
return { name = "linker", run = function(ctx)
  ctx.env:write_file("link.py", "import os\nos.symlink('/etc/hostname', 'outside')\n")
  ctx.env:execute("link.py")
  ctx.env:final_answer("linked")
end }
EOF
mlab run "$TINY" --agent "$T/linker.lua" --runs-dir "$RUNS" --id beta -q > /dev/null
# An imported run from a bundle with replies (fields of the reply behind a step).
mkdir -p "$T/bundle/traces"
"$PY" - "$T/bundle" <<'PY'
import json, sys
b = sys.argv[1]
steps = [{"action": {"name": "Execute Script", "args": {"script_name": "train.py"}}, "observation": "accuracy 0.5", "timestamp": 1700000001.0},
         {"action": {"name": "Append Summary to Research Log", "args": {"content": "x"}}, "observation": "ok", "timestamp": 1700000002.0},
         {"action": {"name": "Final Answer", "args": {"final_answer": "done"}}, "observation": "end", "timestamp": 1700000003.0}]
json.dump({"steps": steps, "task_description": "Improve it."}, open(b + "/traces/toy__m1__0.trace.json", "w"))
open(b + "/runs.jsonl", "w").write(json.dumps({"run_key": "toy__m1__0", "model": "m1", "task": "toy", "run": "0",
    "final_message": "Finished due to env.is_final() == True", "max_steps": 50}) + "\n")
rep = lambda t, a, act, v: {"run_key": "toy__m1__0", "model": "m1", "turn": t, "attempt": a, "agent_verdict": v,
    "action_input_parse_error": False if v == "accepted" else None, "prompt_tokens": 100, "sampled_tokens": 20,
    "text": "Reflection: r%d\nResearch Plan and Status: plan %d\nFact Check: f\nThought: think %d\nAction: %s\nAction Input: {}\n" % (t, t, t, act)}
lines = [rep(0, 0, "Execute", "rejected"), rep(0, 1, "Execute Script", "accepted"), rep(1, 0, "Final Answer", "accepted")]
open(b + "/replies.jsonl", "w").write("".join(json.dumps(x) + "\n" for x in lines))
PY
mlab import mlagentbench "$T/bundle" --runs-dir "$RUNS" -q

cat > "$S/api.lua" <<'EOF'
local a = mlab.runs({ "alpha" })[1]
assert(a.id == "alpha" and a.dir:match("/alpha$"))
assert(getmetatable(a) == "run")
local m = a:manifest()
assert(m.status == "final_answer" and m.score == 3, m.status)
local steps = a:steps()
assert(#steps == 5 and steps[1].step == 1 and math.type(steps[1].step) == "integer")
assert(steps[2].action == "Execute Script" and steps[2].observation:match("answer: 2"))
assert(a:step(3).input.content == "3\n" and a:ended().status == "final_answer")
steps[1].action = "changed"                             -- a copy: the run is not touched
assert(a:steps()[1].action == "Write File")
assert(a:file(1, "answer.txt") == "2\n" and a:file(3, "answer.txt") == "3\n")
assert(a:file(0, "answer.txt") == "1\n")
local files = a:files(5)
assert(#files == 2 and files[1] == "answer.txt" and files[2] == "run.py", table.concat(files, " "))
assert(a:diff(1, 3, "answer.txt"):match("\n%-2\n%+3"))
local ch = a:changed(3)
assert(#ch == 1 and ch[1].status == "M" and ch[1].path == "answer.txt")
assert(a:page(2):match("/alpha/run%.html#step%-2$"))
assert(a:model() == "none" and a:task().name == "tiny" and a:task().noise ~= nil)
local nofile, err = a:file(2, "../alpha/run.json")
assert(nofile == nil and err:match("relative"), err)
assert(a:file(2, "/etc/hostname") == nil)
assert(a:file(2, "nothere.txt") == nil)
local b = mlab.runs({ "beta" })[1]
local link, lerr = b:file(3, "outside")
assert(link == nil and lerr:match("symbolic link"), tostring(lerr))
-- imported: the reply behind a step and its fields
local t = mlab.runs({ "mlagentbench-toy-m1-0" })[1]
assert(t:reply(1).reply:match("Action: Execute Script") and t:fields(1).Thought == "think 0")
assert(t:reply(2) == nil and t:fields(3)["Research Plan and Status"] == "plan 1")
assert(t:model() == "m1" and #t:calls() == 3)
-- names: globs, folders, prefixes, last
assert(#mlab.runs({ arg[1] .. "/*" }) == 3)
assert(#mlab.runs({ arg[1] }) == 3)
assert(mlab.runs({ "alp" })[1].id == "alpha")
assert(#mlab.runs({ "last" }) == 1)
local ok, e = pcall(mlab.runs, { "nosuchrun" })
assert(not ok and tostring(e):match("no run 'nosuchrun'"), e)
-- output helpers
local rows = { { run = "a", n = 1 }, { run = "b,c", n = 2.5 } }
assert(mlab.table(rows, { columns = { "run", "n" }, format = "csv" }) == 'run,n\na,1\n"b,c",2.5\n')
assert(mlab.table(rows, { columns = { "run", "n" }, format = "md" }):match("^| run | n |\n| %-%-%- | %-%-%- |\n| a | 1 |"))
assert(mlab.json.decode(mlab.table(rows, { format = "json" }))[2].run == "b,c")
assert(mlab.table(rows, { columns = { "run", "n" } }) == "run  n\na    1\nb,c  2.5\n")
assert(mlab.html("<a & b>") == "&lt;a &amp; b&gt;")
-- the sandbox
assert(not pcall(function() return io.open end))
assert(not pcall(require, "mlab.sys") and not pcall(require, "rundir") and not pcall(require, "analysis"))
assert(not pcall(function() mlab.runs = nil end))
assert(os.execute == nil and os.remove == nil)
mlab.out("args:", table.concat(arg, ","), "\n")
return 3
EOF
set +e
mlab script --runs-dir "$RUNS" "$S/api.lua" "$RUNS" x y > "$T/api.out" 2> "$T/api.err"
rc=$?
set -e
check "the API script passes ($(cat "$T/api.err"))" sh -c "test $rc = 3 && grep -q 'args:$RUNS,x,y' '$T/api.out'"

echo 'print("to the file")' > "$S/out.lua"
mlab script --out "$T/o.txt" "$S/out.lua" > "$T/o.stdout"
check "--out writes the script's output to a file" sh -c "test \"\$(cat '$T/o.txt')\" = 'to the file' && test ! -s '$T/o.stdout'"
echo 'while true do end' > "$S/spin.lua"
set +e
start=$(date +%s)
mlab script --max-time 1 "$S/spin.lua" 2> "$T/spin.err"
rc=$?
set -e
check "a script that never ends is stopped by its budget ($(cat "$T/spin.err"))" sh -c \
  "test $rc = 1 && grep -q 'budget' '$T/spin.err' && test \$(( \$(date +%s) - $start )) -lt 20"
printf 'local x = {}\nx.y.z = 1\n' > "$S/bad.lua"
set +e
mlab script "$S/bad.lua" 2> "$T/bad.err"
rc=$?
set -e
check "a failing script: exit 1 and its error" sh -c "test $rc = 1 && grep -q 'bad.lua:2' '$T/bad.err'"
check "no checkouts left behind" sh -c "test -z \"\$(ls -A '$T/tmp')\""
finish
