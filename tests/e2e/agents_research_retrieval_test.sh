#!/usr/bin/env bash
# agents/research_retrieval.lua on digits with a scripted model: reads the
# starter, runs the baseline, reflects (the Reflection action it shows),
# has the AI edit swap the tree for an SVC, runs it, answers; then replays.
# What this agent adds to research.lua is checked from the model server's
# request log and the run directory: every accepted step is summarised by
# the model and appended to research_log.log in the workspace (one entry a
# step, in order, in the git snapshots too); from the fourth turn on, what
# Retrieval from Research Log returns opens the prompt's history, and not
# before; Reflection is offered, and reads the log.
source "$(dirname "$0")/agents_lib.sh"
run_agent research_retrieval
cp "$T/server.jsonl" "$T/rr.requests"

# Shared by the checks below: the requests by kind, the trace, the script.
cat > "$T/rr.py" <<'PY'
import json, subprocess, sys
T, R, HOME = sys.argv[1], sys.argv[2], sys.argv[3]
reqs = [json.loads(l) for l in open(T + "/rr.requests")]
texts = [q["body"]["messages"][0]["content"] for q in reqs]
def kind(t):
    if t.startswith("You are a helpful research assistant."): return "turn"
    if t.startswith("Given your action and the observation:\n"): return "summary"
    if "\n\nReflect on this: " in t: return "reflect"
    if "\n\nThe research log of the steps so far:\n" in t: return "retrieve"
    if t.startswith("Given this python script:"): return "edit"
    return "other"
kinds = [kind(t) for t in texts]
of = lambda k: [t for t, x in zip(texts, kinds) if x == k]
turns, summaries, retrievals, reflects = of("turn"), of("summary"), of("retrieve"), of("reflect")
steps = [s for s in map(json.loads, open(R + "/trace.jsonl")) if "step" in s]
script = json.loads(subprocess.check_output([sys.executable, HOME + "/tests/fixtures/agents_e2e/conversations.py",
                                             "research_retrieval", HOME], text=True))
turn_replies = [e["text"] for e in script["replies"]]
summary_texts = [e["text"] for e in script["rules"] if e["match"].startswith("Given your action")]
retrieved_texts = [e["text"] for e in script["rules"] if "research log of the steps" in e["match"]]
def entry(n, text):            # stdlib/research_log.lua's entry(step, text)
    return "\n\nStep %d:\n%s\n" % (n, text.rstrip())
RH = "Here is a summary of relevant actions and observations you have done:\n```\n"
RECENT = "Here are the exact several steps you have done most recently"
PY
rr() { "$PY" - "$T" "$R" "$MLAB_HOME"; }
PRE="exec(open(sys.argv[1] + '/rr.py').read())"

check "model calls: the turns, a summary after each step, reflection, retrieval from turn four" rr <<PY
import sys; $PRE
assert kinds == ["turn", "summary", "turn", "summary", "turn", "reflect", "summary",
                 "retrieve", "turn", "edit", "summary", "retrieve", "turn", "summary",
                 "retrieve", "turn"], kinds
PY

check "trace: each accepted step followed by its Append Summary; Retrieval before turns 4-6" rr <<PY
import sys; $PRE
names = [s["action"] for s in steps]
A, G = "Append Summary to Research Log", "Retrieval from Research Log"
assert names == ["Inspect Script Lines", A, "Execute Script", A, "Reflection", A,
                 G, "Edit Script (AI)", A, G, "Execute Script", A, G, "Final Answer"], names
PY

check "each summary request is about the step just taken (its reply, action, observation)" rr <<PY
import sys; $PRE
acted = [s for s in steps if s["action"] not in ("Append Summary to Research Log",
                                                 "Retrieval from Research Log", "Final Answer")]
assert len(summaries) == len(acted) == 5, (len(summaries), len(acted))
for i, (t, s) in enumerate(zip(summaries, acted)):
    reply = turn_replies[i][:turn_replies[i].index("\nObservation:")]
    assert t.startswith("Given your action and the observation:\n" + reply + "\n[Action]: " + s["action"]
                        + "\n[Observation]:\n\`\`\`\n"), (i, t[:400])
    assert s["observation"].strip() in t, (i, s["observation"][:200], t[:600])
    assert "Summarise this step in a few lines for the research log" in t, t
assert "validation accuracy: 0.6190" in summaries[1] and "validation accuracy: 0.9" in summaries[4]
# A summary may quote "Observation:"; only the turns stop there.
stops = [q["body"].get("stop") for q, k in zip(reqs, kinds) if k == "summary"]
assert stops == [None] * 5, stops
assert all(q["body"].get("stop") == ["Observation:"] for q, k in zip(reqs, kinds) if k == "turn")
PY

check "Append Summary steps carry the model's summaries as numbered entries" rr <<PY
import sys; $PRE
appends = [s for s in steps if s["action"] == "Append Summary to Research Log"]
assert len(summary_texts) == 5 and all("SUMMARY-%d " % (i + 1) in t for i, t in enumerate(summary_texts))
assert [a["input"]["content"] for a in appends] == [entry(i + 1, t) for i, t in enumerate(summary_texts)], \
    [a["input"] for a in appends]
assert all(a["observation"] == "Successfully appended to research log" for a in appends), appends
PY

check "workspace/research_log.log holds the five entries in order" rr <<PY
import sys; $PRE
log = open(R + "/workspace/research_log.log").read()
assert log == "".join(entry(i + 1, t) for i, t in enumerate(summary_texts)), repr(log)
PY

check "git snapshots: the log grows by one entry at each Append Summary step, only there" rr <<PY
import sys; $PRE
def log_at(n):
    p = subprocess.run(["git", "--git-dir", R + "/history.git", "show", "step-%d:research_log.log" % n],
                       capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None
prev, count = None, 0
for s in steps[:-1]:
    cur = log_at(s["step"])
    if s["action"] == "Append Summary to Research Log":
        count += 1
        want = entry(count, summary_texts[count - 1])
        assert cur == (prev or "") + want, (s["step"], cur, prev)
    else:
        assert cur == prev, (s["step"], s["action"], cur, prev)
    prev = cur
assert count == 5 and cur.count("\nStep ") == 5, cur
PY

check "no retrieval in the first three turn prompts" rr <<PY
import sys; $PRE
assert len(turns) == 6, len(turns)
for i, t in enumerate(turns[:3]):
    assert RH not in t and "RETRIEVED-" not in t and "SUMMARY-" not in t, (i + 1, t[-1500:])
PY

check "turns 4-6: the retrieval's answer opens the history" rr <<PY
import sys; $PRE
for k, t in enumerate(turns[3:]):
    want = RH + retrieved_texts[k] + "\n\`\`\`\n\n" + RECENT
    assert want in t, (k + 4, t[-3000:])
    assert t.count(RH) == 1 and t.index(want) < t.index("Reflection: ", t.index(RECENT)), k + 4
    others = [x for j, x in enumerate(retrieved_texts) if j != k]
    assert not any(x in t for x in others), (k + 4, "another turn's retrieval")
got = [s["observation"] for s in steps if s["action"] == "Retrieval from Research Log"]
assert got == retrieved_texts, got
PY

check "each retrieval asks with the log so far and the last step's plan" rr <<PY
import sys; $PRE
assert len(retrievals) == 3, len(retrievals)
for k, t in enumerate(retrievals):
    n = k + 3                                  # entries in the log by then
    log = t[t.index("The research log of the steps so far:\n\`\`\`\n"):]
    for i in range(5):
        assert (("SUMMARY-%d " % (i + 1)) in log) == (i < n), (k, i, log[:800])
    plan = turn_replies[n - 1].split("Research Plan and Status: ")[1].split("\nFact Check:")[0]
    assert "The current research plan and status:\n" + plan + "\n\nThe research log" in t, (k, plan, t[:2500])
assert "**edited to SVC**" in retrievals[2] and "**edited to SVC**" not in retrievals[1]
assert "# Handwritten digit recognition" in retrievals[0]
PY

check "Reflection is offered; Append Summary and Retrieval are not" rr <<PY
import sys; $PRE
for t in turns:
    assert "\n- Reflection:" in t, t[:3000]
    assert "\n- Retrieval from Research Log:" not in t and "\n- Append Summary to Research Log:" not in t
PY

check "the Reflection step asks with the log so far and its answer reaches the next turn" rr <<PY
import sys; $PRE
assert len(reflects) == 1
t = reflects[0]
assert "Reflect on this: which stronger model to try on 8x8 digits\n" in t, t
log = t[t.index("Your current research log:\n"):t.index("Reflect on this:")]
assert "SUMMARY-1 " in log and "SUMMARY-2 " in log and "SUMMARY-3 " not in log, log
r = [s for s in steps if s["action"] == "Reflection"]
assert len(r) == 1 and r[0]["input"] == {"things_to_reflect_on": "which stronger model to try on 8x8 digits"}, r
assert r[0]["observation"].startswith("Reflection: The depth-4 tree underfits"), r[0]
assert r[0]["tokens"] == 2040, r[0]["tokens"]       # its turn and its own model call
assert "Observation:\n\`\`\`\n" + r[0]["observation"] in turns[3], turns[3][-1500:]
PY
finish
