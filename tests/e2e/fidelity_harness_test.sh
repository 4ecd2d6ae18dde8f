#!/usr/bin/env bash
# The reference's harness under --preset mlagentbench: the same actions on
# the tiny task give the observations MLAgentBench's environment wrote (its
# EnvError texts, `ls`, Execute Script's prefix with stdout on success and
# stderr on failure, its checks of Inspect Script Lines, its invalid-action
# and invalid-input messages), while mlab's harness gives its own; a limit
# that fires is named in the step's result (the output cap here).
source "$(dirname "$0")/lib.sh"
AGENT="$FIX/agents/reference_probe.lua"
TASK="$FIX/tasks/tiny"
probe() { # probe ID [options]
  local id=$1; shift
  set +e
  "$MLAB" run "$TASK" --agent "$AGENT" --runs-dir "$RUNS" --id "$id" -q --llm none "$@" > "$T/$id.out" 2>&1
  local rc=$?
  set -e
  check "$id: the run ends with the final answer (rc $rc: $(tail -n 2 "$T/$id.out" | tr '\n' ' '))" \
    test "$(json "$RUNS/$id/run.json" "d['status']")" = final_answer
}
has() { grep -qF -- "$2" "$RUNS/$1/agent.log" || fail "$1: agent.log lacks: $2"; }

probe ref --preset mlagentbench --max-steps 40
has ref '== List Files | ok=true | answer.txt\nrun.py\n'
has ref '== List Files | ok=false | EnvError: The action input for List Files needs to be a valid json with proper entries. You may have missed the comma between entries. Please use the correct format and try again:\n{\n            dir_path: [a valid relative path to a directory, such as "." or "folder1/folder2"]\n}'
has ref '== List Files | ok=false | EnvError: cannot access file ../.. because it is not in the work directory.'
has ref '== Read File | ok=false | EnvError: cannot read file nope.txt'
has ref '== Copy File | ok=true | File run.py copied to run3.py'
has ref '== Execute Script | ok=true | The script has been executed. Here is the output:\nanswer: 1\n'
has ref '== Execute Script | ok=true | The script has been executed. Here is the output:\nto stderr\n'
has ref '== Execute Script | ok=true | The script has been executed. Here is the output:\nonly stderr\n'
has ref '== Execute Script | ok=false | EnvError: The file nope.py does not exist.'
has ref '== Inspect Script Lines | ok=false | EnvError: the number of lines to display is limited to 100 lines'
has ref '== Inspect Script Lines | ok=false | EnvError: start_line_number and end_line_number must be integers'
has ref '== Inspect Script Lines | ok=true | Here are the lines (the file ends at line 2):\n\nprint("answer:", open("answer.txt").read().strip())\n'
has ref '== Undo Edit Script | ok=false | EnvError: There is no change to undo.'
has ref '== Fly | ok=false | Invalid action: Fly. Action did not execute. Please use one of the following actions:\nList Files, Read File, Write File, Append File, Copy File, Undo Edit Script, Execute Script, Python REPL, Final Answer, Understand File, Append Summary to Research Log, Inspect Script Lines, Edit Script (AI), Edit Script Segment (AI), Reflection, Retrieval from Research Log'
has ref '== Execute Script | ok=false | The action input for Execute Script needs to be a valid json'
check "preset: the failing script's status and stdout stay in the trace; no limit fired" "$PY" - "$RUNS/ref" <<'PY'
import json, sys
steps = [s for s in map(json.loads, open(sys.argv[1] + "/trace.jsonl")) if "step" in s]
fails = [s for s in steps if s["action"] == "Execute Script" and s["input"].get("script_name") == "fails.py"][0]
assert fails["result"]["status"] == 3 and "limit" not in fails["result"], fails
loud = [s for s in steps if s["action"] == "Execute Script" and s["input"].get("script_name") == "loud.py"][0]
assert len(loud["observation"]) > 100000 and "limit" not in loud["result"], loud["result"]
err = [s for s in steps if s["action"] == "Read File"][0]
assert err["error"] and err["code"] == "not_found" and err["observation"] == "EnvError: cannot read file nope.txt", err
PY

probe own
has own '== List Files | ok=true | answer.txt\nrun.py'
has own '== Read File | ok=false | error: '
has own '== Copy File | ok=true | File run.py copied to run3.py.'
has own '== Execute Script | ok=true | to stdout\nto stderr\n\n[exit status 3]'
has own "== Fly | ok=false | error: Invalid action: 'Fly' is not a valid action"
check "mlab's harness: the output cap fired and the step says so" "$PY" - "$RUNS/own" <<'PY'
import json, sys
steps = [s for s in map(json.loads, open(sys.argv[1] + "/trace.jsonl")) if "step" in s]
loud = [s for s in steps if s["action"] == "Execute Script" and s["input"].get("script_name") == "loud.py"][0]
assert loud["result"]["truncated"] is True and loud["result"]["limit"] == "output_cap", loud["result"]
PY
finish
