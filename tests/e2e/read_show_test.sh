#!/usr/bin/env bash
# `mlab show` joins the model's reasoning to its step: a research_plus run
# on digits against the scripted model server, with calls that are not the
# agent's decision around the ones that are (a reply the agent rejected, the
# summaries of a long observation made before the next step, the AI edit's
# own call inside its step, an unknown action retried).
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
"$PY" "$FIX/agents_e2e/conversations.py" research_plus "$MLAB_HOME" > "$T/script.json"
"$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" --port-file "$T/port" \
  --log "$T/server.jsonl" --idle 300 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
mlab run digits --agent research_plus --runs-dir "$RUNS" --id research -q \
  --llm "openai:scripted@http://127.0.0.1:$(cat "$T/port")/v1" > "$T/run.out" 2>&1 || true
kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
check "the research run gave its final answer" test "$(json "$RUNS/research/run.json" "d['status']")" = final_answer

# The calls in llm.jsonl, as the test reads them: which step each precedes.
"$PY" - "$RUNS/research" > "$T/calls.txt" <<'PY'
import json, sys
for l in open(sys.argv[1] + "/llm.jsonl"):
    c = json.loads(l)
    print(c["call"], c["step"], (c.get("reply") or "").splitlines()[0][:50] if c.get("reply") else "-")
PY
step_of() { # the step whose action the call with text $1 chose (its step field + 1)
  awk -v t="$1" 'index($0, t) { print $2 + 1; exit }' "$T/calls.txt"
}
s3=$(step_of "Reflection: The data are 8x8 digit images")
mlab show research "$s3" --runs-dir "$RUNS" > "$T/s3.txt"
check "show: the reasoning of the call that chose the step, not the summaries before it" sh -c \
  "grep -q '^reasoning (model call 6 of llm.jsonl; 3 calls while this step was pending)' '$T/s3.txt' \
   && grep -A1 '^  Reflection:' '$T/s3.txt' | grep -q 'The data are 8x8 digit images' \
   && grep -A1 '^  Thought:' '$T/s3.txt' | grep -q 'run the baseline' && ! grep -q 'Part summary' '$T/s3.txt'"
s5=$(step_of "Reflection: The baseline is about 0.63")
mlab show research "$s5" --runs-dir "$RUNS" > "$T/s5.txt"
check "show: an AI edit's own model call is not taken for the agent's reasoning" sh -c \
  "grep -q '^step $s5: Edit Script (AI)' '$T/s5.txt' && grep -q '^reasoning (model call 8 of llm.jsonl; 2 calls' '$T/s5.txt' \
   && grep -A1 '^  Thought:' '$T/s5.txt' | grep -q 'swap the model'"
s6=$(awk '/Reflection: The edit is right/ { s = $2 + 1 } END { print s }' "$T/calls.txt")
mlab show research "$s6" --runs-dir "$RUNS" > "$T/s6.txt"
check "show: after a retried reply, the reply that was used" sh -c \
  "grep -q '^reasoning (model call 11 of llm.jsonl; 2 calls' '$T/s6.txt' \
   && grep -A1 '^  Thought:' '$T/s6.txt' | grep -q 'run the edited script'"
mlab show research 1 --runs-dir "$RUNS" > "$T/s1.txt"
check "show: a reply with Markdown headers is read (the rejected prose before it is not)" sh -c \
  "grep -q '^reasoning (model call 2 of llm.jsonl; 2 calls' '$T/s1.txt' \
   && grep -A1 '^  Reflection:' '$T/s1.txt' | grep -q 'Nothing observed yet'"
mlab show research --html --runs-dir "$RUNS" > "$T/page.out"
check "show --html writes RUN/run.html by default" sh -c \
  "test \"\$(cat '$T/page.out')\" = '$RUNS/research/run.html' && test -s '$RUNS/research/run.html'"
check "the run page has each step's reasoning" "$PY" - "$RUNS/research/run.html" "$s3" <<'PY'
import re, sys
page, n = open(sys.argv[1]).read(), sys.argv[2]
sec = re.search(r'<section class="step[^"]*" id="step-%s".*?</section>' % n, page, re.S).group(0)
assert "<dt>Thought</dt><dd>run the baseline</dd>" in sec, sec[:2000]
assert "Part summary" not in sec
PY
mlab show research --html "$T/r.html" --runs-dir "$RUNS" > /dev/null
check "show --html FILE writes FILE" test -s "$T/r.html"
finish
