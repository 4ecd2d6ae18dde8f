#!/usr/bin/env bash
# agents/research_retrieval.lua (the reference's research agent with the
# research log) on digits with a scripted model, on mlab's own harness:
# reads the starter, runs the baseline, reflects, has the AI edit swap the
# tree for an SVC, runs it, answers; then replays.  What the log adds is
# checked from the model server's request log and the run directory: after
# every step the fast model is asked for a "[Reasoning]: ..." summary with
# the reference's prompt, appended as "\n\nStep N:\n..." to research_log.log
# by its own step; from the fifth turn on, Retrieval from Research Log (an
# empty plan, as the reference asked) opens the prompt's history, with the
# reference's header; Reflection is offered and reads the log; the final
# answer is summarised too (the reference did; the append is refused).
source "$(dirname "$0")/agents_lib.sh"
run_agent research_retrieval
cp "$T/server.jsonl" "$T/rr.requests"

cat > "$T/rr.py" <<'PY'
import json, subprocess, sys
T, R, HOME = sys.argv[1], sys.argv[2], sys.argv[3]
reqs = [json.loads(l) for l in open(T + "/rr.requests")]
texts = [q["body"]["messages"][0]["content"] for q in reqs]
def kind(t):
    if t.startswith("You are a helpful research assistant."): return "turn"
    if t.startswith("Given your action and the observation: \n"): return "summary"
    if "\n    Reflect on this: " in t: return "reflect"
    if "Concisely summarize and list all relevant information from the research log" in t: return "retrieve"
    if t.startswith("Given this python script:"): return "edit"
    return "other"
kinds = [kind(t) for t in texts]
of = lambda k: [t for t, x in zip(texts, kinds) if x == k]
turns, summaries, retrievals, reflects = of("turn"), of("summary"), of("retrieve"), of("reflect")
steps = [s for s in map(json.loads, open(R + "/trace.jsonl")) if "step" in s]
calls = [json.loads(l) for l in open(R + "/llm.jsonl")]
script = json.loads(subprocess.check_output([sys.executable, HOME + "/tests/fixtures/agents_e2e/conversations.py",
                                             "research_retrieval", HOME], text=True))
summary_texts = [e["text"] for e in script["rules"] if e["match"].startswith("Given your action")]
retrieved_texts = [e["text"] for e in script["rules"] if "Concisely summarize" in e["match"]]
def entry(n, text):            # the reference's "\n\nStep N:\n" + summary + "\n"
    return "\n\nStep %d:\n%s\n" % (n, text)
HEADER = ("\n        Here is a summary of relevant actions and observations you have done:\n        ```\n        %s"
          "\n        ```\n        Here are the exact several steps you have done most recently (up to 3 steps):\n        ")
PY
rr() { "$PY" - "$T" "$R" "$MLAB_HOME"; }
PRE="exec(open(sys.argv[1] + '/rr.py').read())"

check "model calls: the turns, a summary after each step, reflection, retrieval from turn five, the answer's summary" rr <<PY
import sys; $PRE
assert kinds == ["turn", "summary", "turn", "summary", "turn", "reflect", "summary", "turn", "edit", "summary",
                 "retrieve", "turn", "summary", "retrieve", "turn", "summary"], kinds
PY

check "trace: each step followed by its Append Summary; Retrieval before turns five and six" rr <<PY
import sys; $PRE
names = [s["action"] for s in steps]
A, G = "Append Summary to Research Log", "Retrieval from Research Log"
assert names == ["Inspect Script Lines", A, "Execute Script", A, "Reflection", A, "Edit Script (AI)", A,
                 G, "Execute Script", A, G, "Final Answer"], names
PY

check "summaries: the reference's prompt, the fast role at 0.01, the step's entries and observation" rr <<PY
import sys; $PRE
acted = [s for s in steps if s["action"] not in ("Append Summary to Research Log", "Retrieval from Research Log")]
assert len(summaries) == len(acted) == 6, (len(summaries), len(acted))
for t, s in zip(summaries, acted):
    assert t.startswith("Given your action and the observation: \n        Reflection:  "), t[:200]
    assert ("\nAction:  " + s["action"] + "\n") in t, t[:1500]
    obs = s["observation"] if s["action"] != "Final Answer" else "end"
    assert "[Observation]:\n        \`\`\`\n        " + obs + "\n        \`\`\`\n" in t, (s["action"], t[-800:])
    assert t.endswith("Do not include additional information or suggestions.\n        "), t[-200:]
fast = [c for c in calls if c["request"]["messages"][0]["content"].startswith("Given your action")]
assert all(c["role"] == "fast" and c["request"]["temperature"] == 0.01 for c in fast), fast
PY

check "Append Summary steps carry the summaries as the reference's entries; the log holds them" rr <<PY
import sys; $PRE
appends = [s for s in steps if s["action"] == "Append Summary to Research Log"]
assert [a["input"]["content"] for a in appends] == [entry(i, t) for i, t in enumerate(summary_texts[:5])], \
    [a["input"] for a in appends]
assert all(a["observation"] == "Successfully appended to research log" for a in appends), appends
log = open(R + "/workspace/research_log.log").read()
assert log == "".join(entry(i, t) + "\n" for i, t in enumerate(summary_texts[:5])), repr(log)
PY

check "turns one to four: no retrieval; five and six: its answer opens the history" rr <<PY
import sys; $PRE
assert len(turns) == 6, len(turns)
for t in turns[:4]:
    assert "Here is a summary of relevant" not in t and t.count("\nNow let's start!\n\n") == 1, t[-1500:]
for k, t in enumerate(turns[4:]):
    assert HEADER % retrieved_texts[k] in t, t[-3000:]
    assert "Now let's start!" not in t and t.count("\n\nAssistant:\nReflection: ") == 3, t[-3000:]
got = [s["observation"] for s in steps if s["action"] == "Retrieval from Research Log"]
assert got == retrieved_texts, got
PY

check "retrieval asks with an empty plan and the log so far" rr <<PY
import sys; $PRE
assert [s["input"] for s in steps if s["action"] == "Retrieval from Research Log"] == [{"current_plan": ""}] * 2
for k, t in enumerate(retrievals):
    n = k + 4                                  # entries in the log by then
    log = "".join(entry(i, x) + "\n" for i, x in enumerate(summary_texts[:n]))
    assert t.endswith("Your current Research Plan and Status\n\n    \nYour current research log:\n\`\`\`\n" + log
                      + "\n\`\`\`\nConcisely summarize and list all relevant information from the research log "
                      "that will be helpful for future step in this format:\n"), t[-600:]
PY

check "Reflection is offered and reads the log; Append Summary and Retrieval are not offered" rr <<PY
import sys; $PRE
for t in turns:
    assert "\n- Reflection:\n" in t, t[:3000]
    assert "\n- Retrieval from Research Log:" not in t and "\n- Append Summary to Research Log:" not in t
assert len(reflects) == 1
t = reflects[0]
assert "Reflect on this: which stronger model to try on 8x8 digits \n" in t, t
assert "SUMMARY-1 " in t and "SUMMARY-2 " in t and "SUMMARY-3 " not in t, t
r = [s for s in steps if s["action"] == "Reflection"]
assert r[0]["observation"].startswith("Reflection: The depth-4 tree underfits") and r[0]["observation"].endswith("\n")
PY
finish
