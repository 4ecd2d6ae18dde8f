#!/usr/bin/env bash
# docs/agents.md is a promise: every function it documents for agent
# authors (ctx.env methods, ctx.actions methods, stdlib functions) is called
# by at least one test or test agent.  A function documented but never
# exercised fails here.
source "$(dirname "$0")/lib.sh"

# The tour agent makes every ctx.env call and checks its answer.
mlab run "$FIX/tasks/tiny" --agent "$FIX/agents/api_tour.lua" --runs-dir "$RUNS" --id tour \
  -q > "$T/tour.out" 2>&1 || true
check "the API tour ends with its final answer" grep -q '"status": "final_answer"' "$RUNS/tour/run.json"
check "the API tour's checks all held" test "$(cat "$RUNS/tour/workspace/tour.txt")" = ok
check "the API tour's score is what it wrote" grep -q '"score": 7' "$RUNS/tour/run.json"

rc=0
"$PY" - "$MLAB_HOME" <<'PY' || rc=$?
import os, re, sys
home = sys.argv[1]
doc = open(os.path.join(home, "docs/agents.md")).read()
corpus = []
for base in ("tests", "agents", "examples"):
    for d, _, files in os.walk(os.path.join(home, base)):
        for f in files:
            if f.endswith((".lua", ".sh", ".py")):
                text = open(os.path.join(d, f), errors="replace").read()
                # local ai = require("action_input"): ai.parse is action_input.parse
                for alias, mod in re.findall(r'local (\w+) = require\("(\w+)"\)', text):
                    text = re.sub(r"\b" + alias + r"\.", mod + ".", text)
                corpus.append(text)
corpus = "\n".join(corpus)
missing, checked = [], 0

def need(pattern, what):
    global checked
    checked += 1
    if not re.search(pattern, corpus):
        missing.append(what)

section = lambda name: doc.split("## " + name, 1)[1].split("\n## ", 1)[0]
for fn in re.findall(r"^\| `(\w+)\(", section("ctx.env"), re.M):
    need(r"[:.]" + fn + r"\(", "ctx.env:" + fn)
for extra in re.findall(r"`(\w+)\(` ?/ ?`?(\w+)\(", section("ctx.env")):
    for fn in extra:
        need(r"[:.]" + fn + r"\(", "ctx.env:" + fn)
for fn in set(re.findall(r"ctx\.actions:(\w+)", doc)):
    need(r"actions:" + fn + r"\(", "ctx.actions:" + fn)
need(r"llm:chat\s*[{(]", "ctx.llm:chat")
for mod, fns in re.findall(r"^\| `(\w+)` \| (.*) \|$", section("stdlib"), re.M):
    for fn in re.findall(r"`(\w+)\(", fns):
        need(r"\b" + mod + r"\." + fn + r"\b", mod + "." + fn)
print("%d documented functions checked" % checked)
if missing:
    print("documented but exercised by no test: " + ", ".join(missing))
    sys.exit(1)
PY
check "every documented function is exercised" test "$rc" -eq 0
finish
