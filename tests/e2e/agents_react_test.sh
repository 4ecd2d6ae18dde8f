#!/usr/bin/env bash
# agents/react.lua, the reference's LangChain ReAct baseline, on digits with
# a scripted model: LangChain's zero-shot prompt over the reference's tool
# texts, its scratchpad and stops, an unknown tool answered without a step,
# an Action Input in quotes (LangChain strips them), the edit, the run and
# LangChain's "Final Answer:" (recorded as the Final Answer step); then a
# reply LangChain could not parse ends a second run, as it ended the
# reference's.
source "$(dirname "$0")/agents_lib.sh"
run_agent react
cp "$T/server.jsonl" "$T/react.requests"
check "the prompts: LangChain's template, the reference's tools, the scratchpad" "$PY" - "$T" "$R" <<'PY'
import json, sys
T, R = sys.argv[1], sys.argv[2]
reqs = [json.loads(l)["body"] for l in open(T + "/react.requests")]
turns = [q for q in reqs if q["messages"][0]["content"].startswith("Answer the following questions")]
assert len(turns) == 6, len(turns)
p = turns[0]["messages"][0]["content"]
assert p.startswith("Answer the following questions as best you can. You have access to the following tools:\n\n"
                    "List Files: Use this to navigate the file system.\n        Usage:\n        ```\n"), p[:300]
assert ("\n\nUse the following format:\n\nQuestion: the input question you must answer\nThought: you should always "
        "think about what to do\nAction: the action to take, should be one of [List Files, Copy File, Undo Edit "
        "Script, Execute Script, Final Answer, Understand File, Inspect Script Lines, Edit Script (AI)]\nAction Input: "
        "the input to the action\nObservation: the result of the action\n... (this Thought/Action/Action Input/"
        "Observation can repeat N times)\nThought: I now know the final answer\nFinal Answer: the final answer to "
        "the original input question\n\nBegin!\n\nQuestion: # Handwritten digit recognition") in p, p[-1500:]
assert p.endswith("\nThought:"), p[-100:]
for q in turns:
    assert q["temperature"] == 0.5 and q["max_tokens"] == 2000 and q["stop"] == ["\nObservation:", "\n\tObservation:"], q
p3 = turns[2]["messages"][0]["content"]
assert p3.endswith("\nThought: Let me read it whole.\nAction: Read The File\nAction Input: train.py\nObservation: "
                   "Read The File is not a valid tool, try another one.\nThought:"), p3[-400:]
assert "\nObservation: Here are the lines (the file ends at line" in p3
PY
check "trace: inspect, run, edit, run, the final answer" "$PY" - "$R" <<'PY'
import json, sys
steps = [s for s in map(json.loads, open(sys.argv[1] + "/trace.jsonl")) if "step" in s]
names = [s["action"] for s in steps]
assert names == ["Inspect Script Lines", "Execute Script", "Edit Script (AI)", "Execute Script", "Final Answer"], names
assert steps[3]["input"] == {"script_name": "train.py"}, steps[3]["input"]
assert steps[4]["input"]["final_answer"].startswith("SVC(C=10) replaced the depth-4 tree"), steps[4]["input"]
PY

# A reply with neither an action nor a final answer ended LangChain's run.
start_server '{"replies": [{"text": " I think the model could be better."}]}'
set +e
"$MLAB" run digits --agent react --runs-dir "$RUNS" --id crash -q --llm "openai:scripted@$BASE" > "$T/crash.out" 2>&1
set -e
stop_server
check "an unparsable reply ends the run as LangChain's did" "$PY" - "$RUNS/crash" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
assert m["status"] == "agent_error" and "Could not parse LLM output: ` I think the model could be better.`" in m["message"], m
PY
finish
