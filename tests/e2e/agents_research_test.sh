#!/usr/bin/env bash
# agents/research.lua, the reference's research agent, on digits under
# `--preset mlagentbench` with a scripted model and a separate fast model
# (--llm-fast): its first prompt is the reference's (checked against a real
# one from tests/fixtures/real_traces/), a Markdown reply is rejected and
# retried with the reference's note, Understand File gets a JSON list as
# Python's repr, a long observation is summarised by the fast model in
# 10,000-character blocks, an Action Input its JSON reader refuses is no
# step, the history window and its headers are the reference's, the
# observations are the reference environment's (Execute Script's prefix and
# stdout, `ls`, difflib's diff), and llm.jsonl shows the temperatures and the
# fast-model role.  Then it replays.
source "$(dirname "$0")/agents_lib.sh"
run_agent research --preset mlagentbench --llm-fast "openai:fastmodel@BASE"
cp "$T/server.jsonl" "$T/requests"

cat > "$T/rt.py" <<'PY'
import json, lzma, sys
T, R, HOME = sys.argv[1], sys.argv[2], sys.argv[3]
reqs = [json.loads(l) for l in open(T + "/requests")]
texts = [q["body"]["messages"][0]["content"] for q in reqs]
calls = [json.loads(l) for l in open(R + "/llm.jsonl")]
steps = [s for s in map(json.loads, open(R + "/trace.jsonl")) if "step" in s]
turns = [t for t in texts if t.startswith("You are a helpful research assistant.")]
NOTE = ("\n\n Your response was in incorrect format. Please provide a valid response with all entries: "
        "Reflection, Research Plan and Status, Fact Check, Thought, Action, Action Input\n\n")
PY
rt() { "$PY" - "$T" "$R" "$MLAB_HOME"; }
PRE="exec(open(sys.argv[1] + '/rt.py').read())"

check "run.json: the preset, its budgets and harness, the fast model" rt <<PY
import sys; $PRE
m = json.load(open(R + "/run.json"))
assert m["preset"] == "mlagentbench" and m["agent"] == "research", m
assert m["budgets"]["max_steps"] == 50 and m["budgets"]["max_time"] == 18000, m["budgets"]
assert m["harness"]["style"] == "mlagentbench" and m["harness"]["out_cap"] == 16 * 1024 * 1024, m["harness"]
assert m["llm_fast"].startswith("openai:fastmodel@http://127.0.0.1:"), m["llm_fast"]
PY

check "the first prompt is the reference's (a real gemini-pro prompt, problem and Reflection aside)" rt <<PY
import sys; $PRE
real = [json.loads(l) for l in lzma.decompress(open(HOME + "/tests/fixtures/real_traces/prompts.jsonl.xz", "rb").read()).decode().splitlines()]
real = next(r["prompt"] for r in real if r["kind"] == "agent" and r["model"] == "gemini-pro" and r["turn"] == 0)
head, rest = real.split("\n\nResearch Problem: ", 1)
rest = rest[rest.index("\n\nYou do not know anything about this problem so far."):]
refl = head.index("- Reflection:\n")
head = head[:refl] + head[head.index("\`\`\`\n\n", refl) + 5:]     # no retrieval: no Reflection
problem = open(HOME + "/tasks/digits/research_problem.md").read()
want = head + "\n\nResearch Problem: " + problem + rest      # rest ends with "Now let's start!"
assert turns[0] == want, next((i, turns[0][i-80:i+80], want[i-80:i+80]) for i in range(len(want)) if turns[0][i] != want[i])
PY

check "a Markdown reply is rejected and asked again with the reference's note" rt <<PY
import sys; $PRE
assert turns[1] == turns[0] + NOTE, turns[1][-400:]
PY

check "Understand File: the JSON list as Python's repr, asked of the fast model at 0.01" rt <<PY
import sys; $PRE
u = [c for c in calls if c["request"]["messages"][0]["content"].startswith("Given this (partial) file from line 1 character 0")]
assert len(u) == 1, len(u)
q = u[0]["request"]
assert "what to look for and what should returned: ['the model', 'the metric']\n" in q["messages"][0]["content"], q
assert q["temperature"] == 0.01 and q["stop"] == ["Observation:"] and u[0]["role"] == "fast" and u[0]["model"] == "fastmodel", u[0]
PY

check "the long observation: two 10,000-character blocks and a merge by the fast model" rt <<PY
import sys; $PRE
obs = [c for c in calls if "The full observation is too long" in c["request"]["messages"][0]["content"]]
assert len(obs) == 3 and all(c["role"] == "fast" and c["request"]["temperature"] == 0.01 for c in obs), obs
t = [c["request"]["messages"][0]["content"] for c in obs]
assert "from character 1 to character 10001: \n" in t[0] and "from character 10001 to character" in t[1], t[1][:400]
assert "Segment {idx}: \n\n[Observation]: rows of 64" in t[2], t[2][:800]
# the history holds the merge's text after "[Observation]:"
assert any("\`\`\`\n the CSV has an id, 64 pixel columns" in x for x in turns), "summary not in the history"
PY

check "agent calls: temperature 0.5, 2000 tokens, stop Observation:, the main model" rt <<PY
import sys; $PRE
agent = [c for c in calls if c["request"]["messages"][0]["content"].startswith("You are a helpful research assistant.")]
assert len(agent) == 9, len(agent)
for c in agent:
    q = c["request"]
    assert q["temperature"] == 0.5 and q["max_tokens"] == 2000 and q["stop"] == ["Observation:"], q
    assert c.get("role") is None and c["model"] == "scripted", c
edit = [c for c in calls if c["request"]["messages"][0]["content"].startswith("Given this python script:")]
assert len(edit) == 1 and edit[0]["request"]["temperature"] == 0.5 and edit[0]["request"]["max_tokens"] == 4000, edit
PY

check "an Action Input the reference's JSON reader refuses is no step; its error is the observation" rt <<PY
import sys; $PRE
names = [s["action"] for s in steps]
assert names == ["List Files", "Understand File", "Inspect Script Lines", "Execute Script", "Edit Script (AI)",
                 "Execute Script", "Final Answer"], names
err = ("Observation:\n\`\`\`\nActionInputParsingError: Expecting property name enclosed in double quotes: line 1 "
       "column 2 (char 1)\nThe action input for Execute Script needs to be a valid json with proper entries. You "
       "may have missed the comma between entries or used triple quotes (json does not recognizes triple quotes). "
       "Please use the correct format and try again:\n{\n            script_name: [a valid python script name with "
       "relative path to current directory if needed]\n}\n\`\`\`\n\n")
assert err in turns[5], turns[5][-1500:]
assert not any("ActionInputParsingError" in t for t in turns[6:]), "the failed turn stays after a good one"
PY

check "history: 'Now let's start!' and every step while there are at most three; later the last three, each after Assistant:" rt <<PY
import sys; $PRE
for t in turns[:5]:
    assert "\nNow let's start!\n\n" in t, t[-300:]
t = turns[5]                       # four steps so far: the last three shown
assert "Now let's start!" not in t and t.count("\n\nAssistant:\nReflection: ") == 3, t[-3000:]
assert "Reflection:  Nothing yet." not in t and "\nReflection:  There is train.py." in t, t[-3000:]
PY

check "observations as the reference's environment wrote them" rt <<PY
import sys; $PRE
ls = steps[0]["observation"]
assert ls.endswith("\n") and "train.py\n" in ls and "/" not in ls, ls
ex = [s for s in steps if s["action"] == "Execute Script"]
for s in ex:
    assert s["observation"].startswith("The script has been executed. Here is the output:\nvalidation accuracy: "), s
    assert s["result"]["status"] == 0 and "limit" not in s["result"], s["result"]
ed = steps[4]["observation"]
assert ed.startswith("The edited file is saved to train.py. Here is the diff, please check if the edit is correct "
                     "and desirable:\n\n--- \n+++ \n@@ "), ed[:300]
ins = steps[2]["observation"]
assert ins.startswith("Here are the lines (the file ends at line ") and not ins.endswith("\n"), ins[:100]
PY
finish
