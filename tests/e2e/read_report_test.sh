#!/usr/bin/env bash
# Reading a batch of runs: `mlab runs` (header, filters, JSON, CSV), `mlab
# log` (failed steps marked with the exception, the end reason whole),
# `mlab eval --all-steps` on every run, and `mlab report` whose numbers are
# computed again here from the run.json and scores.jsonl files: success with
# Wilson intervals, success at any step, mean improvement and its standard
# error, a run without a valid score, an infrastructure error counted apart,
# and --compare (Fisher's exact test against scipy, a seeded bootstrap).
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
AG="$FIX/runs/agents"

# -- a batch: two agents x three seeds, a run without a valid score, a
# crashing agent, and an infrastructure error -----------------------------
for s in 0 1 2; do
  mlab run "$TINY" --agent "$AG/climber.lua" --seed $s --runs-dir "$RUNS" --id climber-$s -q > /dev/null
  mlab run "$TINY" --agent "$AG/steady.lua" --seed $s --runs-dir "$RUNS" --id steady-$s -q > /dev/null
done
mlab run "$TINY" --agent "$AG/vanish.lua" --runs-dir "$RUNS" --id vanish -q > /dev/null
mlab run "$TINY" --agent "$FIX/agents/crash.lua" --runs-dir "$RUNS" --id crash -q > /dev/null || true
# An infrastructure error as run.lua records one (status host_error): a
# copy of a successful run, so that counting it would change the numbers.
cp -r "$RUNS/steady-2" "$RUNS/infra"
"$PY" - "$RUNS/infra/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d.update(id="infra", status="host_error", message="mlab failed: disk full")
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY

# -- mlab runs ------------------------------------------------------------
mlab runs --runs-dir "$RUNS" > "$T/runs.txt"
check "runs has a header with every column" grep -qE \
  '^id +task +agent +model +status +steps +tokens +time +score +improvement +success +any$' "$T/runs.txt"
check "runs: one line per run" test "$(tail -n +2 "$T/runs.txt" | wc -l)" -eq 9
check "runs shows the agent's short name, not its path" sh -c \
  "grep -qE '^climber-0 +tiny +climber +none +final_answer' '$T/runs.txt' && ! grep -q fixtures '$T/runs.txt'"
mlab runs --runs-dir "$RUNS" --json > "$T/runs.json"
check "runs --json: every run, the agent path kept" "$PY" - "$T/runs.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))
assert len(rs) == 9, len(rs)
c = [r for r in rs if r["id"] == "climber-1"][0]
assert c["agent"] == "climber" and c["agent_path"].endswith("/climber.lua"), c
assert c["score"] == 1.04 and c["success"] is False and c["status"] == "final_answer", c
assert [r for r in rs if r["id"] == "infra"][0]["status"] == "host_error"
PY
mlab runs --runs-dir "$RUNS" --csv > "$T/runs.csv"
check "runs --csv reads back with the same rows" "$PY" - "$T/runs.csv" "$T/runs.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
js = {r["id"]: r for r in json.load(open(sys.argv[2]))}
assert len(rows) == 9
for r in rows:
    j = js[r["id"]]
    assert r["agent"] == j["agent"] and r["status"] == j["status"], (r, j)
    assert (r["score"] == "" and j.get("score") is None) or abs(float(r["score"]) - j["score"]) < 1e-9
PY
count() { mlab runs --runs-dir "$RUNS" "$@" | tail -n +2 | wc -l; }
check "--agent filters" test "$(count --agent steady)" -eq 4
check "--status filters" test "$(count --status host_error)" -eq 1
check "--task filters" test "$(count --task tiny)" -eq 9
check "--since an age keeps today's runs" test "$(count --since 1d)" -eq 9
check "--since a date to come keeps none" test "$(count --since 2999-01-01)" -eq 0
check "runs takes folders and globs" test "$(mlab runs "$RUNS/steady-*" | tail -n +2 | wc -l)" -eq 3

# -- mlab log -----------------------------------------------------------------
mlab log climber-1 --runs-dir "$RUNS" > "$T/log.txt"
check "log marks the failed script with its exception, not its first line" grep -qE \
  '^ +4  ! Execute Script .* exit 1: json\.decoder\.JSONDecodeError' "$T/log.txt"
check "log marks the refused action" grep -qE '^ +5  ! Read File .* refused: ' "$T/log.txt"
check "log leaves good steps unmarked" grep -qE '^ +2    Execute Script' "$T/log.txt"
cat > "$T/warner.lua" <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("warn.py", "import sys\n"
    .. "print('/usr/lib/python3/x.py:1: UserWarning: a long warning first', file=sys.stderr)\n"
    .. "print('result: 42')\n")
  ctx.env:execute("warn.py")
  ctx.env:final_answer("done")
end }
LUA
mlab run "$TINY" --agent "$T/warner.lua" --runs-dir "$T/wruns" --id warner -q > /dev/null
mlab log warner --runs-dir "$T/wruns" > "$T/warner.txt"
check "log shows what a script said last (its result), not a warning it printed first" \
  grep -qE '^ +2    Execute Script .* result: 42$' "$T/warner.txt"
mlab log crash --runs-dir "$RUNS" > "$T/crash.txt"
check "log gives the end reason whole (the agent's error and where)" sh -c \
  "grep -q 'run ended: agent_error' '$T/crash.txt' && grep -q 'agent bug: deliberate failure' '$T/crash.txt' \
   && grep -q 'crash.lua:2' '$T/crash.txt'"

# --follow: a run still going, watched until it ends
mlab run "$TINY" --agent "$FIX/agents/sleeper.lua" --max-steps 30 --runs-dir "$RUNS" --id live -q \
  > /dev/null 2>&1 &
live=$!
for _ in $(seq 100); do [ -s "$RUNS/live/trace.jsonl" ] && break; sleep 0.1; done
timeout 120 "$MLAB" log live --follow --runs-dir "$RUNS" > "$T/follow.txt"
wait "$live" || true
check "log --follow printed every step as it came, then the end and the score" sh -c \
  "test \$(grep -cE '^ +[0-9]+  ' '$T/follow.txt') -eq 30 && grep -q 'run ended: budget_exhausted' '$T/follow.txt' \
   && grep -q '^status   budget_exhausted' '$T/follow.txt' && grep -q '^score    1 ' '$T/follow.txt'"
check "log --follow started while the run was going" grep -q '^status   running' "$T/follow.txt"
rm -rf "$RUNS/live"

# -- a score at every step ----------------------------------------------------
for r in climber-0 climber-1 climber-2 steady-0 steady-1 steady-2 vanish crash; do
  mlab eval "$r" --all-steps --runs-dir "$RUNS" > "$T/all-$r.txt"
done
check "eval --all-steps reports success at some step" grep -q 'success at any step: yes; final: no' "$T/all-climber-0.txt"
check "scores.jsonl: each distinct tree scored once" "$PY" - "$RUNS" <<'PY'
import json, subprocess, sys, os
runs = sys.argv[1]
for r in ["climber-0", "climber-1", "steady-2", "vanish", "crash"]:
    d = os.path.join(runs, r)
    n = json.load(open(d + "/run.json"))["steps"]
    trees = {subprocess.check_output(["git", "--git-dir", d + "/history.git", "rev-parse",
             "step-%d^{tree}" % i], text=True).strip() for i in range(n + 1)}
    recs = [json.loads(l) for l in open(d + "/scores.jsonl")]
    scored = [x["tree"] for x in recs if "tree" in x]
    assert sorted(scored) == sorted(trees), (r, len(scored), len(trees))
    assert any(x.get("event") == "all_steps" for x in recs)
PY

# -- mlab report: the numbers, computed again here ---------------------------
mlab report --runs-dir "$RUNS" --format json > "$T/report.json"
mlab report --runs-dir "$RUNS" > "$T/report.txt"
check "report text has one line per (task, agent, model)" test "$(grep -c '^tiny ' "$T/report.txt")" -eq 4
check "report counts the infrastructure error apart" grep -q '1 infrastructure error counted apart' "$T/report.txt"
check "report numbers match an independent computation" "$PY" - "$RUNS" "$T/report.json" <<'PY'
import glob, json, math, os, statistics, sys
runs, rep = sys.argv[1], json.load(open(sys.argv[2]))
def wilson(k, n, z=1.959963984540054):
    p = k / n; d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d; h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0, c - h), min(1, c + h)
groups = {}
for f in glob.glob(os.path.join(runs, "*", "run.json")):
    m = json.load(open(f))
    groups.setdefault(m["agent"], []).append((os.path.dirname(f), m))
got = {g["agent"]: g for g in rep["groups"]}
assert sorted(got) == sorted(groups), (sorted(got), sorted(groups))
for agent, ms in groups.items():
    g = got[agent]
    counted = [(d, m) for d, m in ms if m["status"] != "host_error"]
    n = len(counted); k = sum(1 for _, m in counted if m.get("success"))
    assert g["n"] == n and g["successes"] == k, (agent, g["n"], n, g["successes"], k)
    assert g["infra"] == len(ms) - n
    lo, hi = wilson(k, n)
    assert abs(g["success_ci"][0] - lo) < 1e-9 and abs(g["success_ci"][1] - hi) < 1e-9, (agent, g["success_ci"], lo, hi)
    imps = [m["improvement"] for _, m in counted if isinstance(m.get("score"), (int, float)) and m.get("improvement") is not None]
    assert g["no_score"] == n - len(imps), (agent, g["no_score"])
    if imps:
        assert abs(g["mean_improvement"] - statistics.mean(imps)) < 1e-9
    if len(imps) > 1:
        assert abs(g["se_improvement"] - statistics.stdev(imps) / math.sqrt(len(imps))) < 1e-9
    # success at any step: the best score among the run's step trees
    anyk = 0
    for d, m in counted:
        recs = [json.loads(l) for l in open(d + "/scores.jsonl")] if os.path.exists(d + "/scores.jsonl") else []
        best = max([r["score"] for r in recs if isinstance(r.get("score"), (int, float))], default=None)
        ok = m.get("success") or (best is not None and (best - m["baseline"]) / abs(m["baseline"]) > m["threshold"])
        anyk += bool(ok)
    assert g["any_successes"] == anyk and g["any_known"] == n, (agent, g["any_successes"], anyk)
    assert g["tokens_total"] == sum(m.get("tokens", 0) for _, m in ms)
    assert abs(g["time_mean_s"] - statistics.mean(m["time_s"] for _, m in ms)) < 1e-6
# the fixtures' own story: climber never succeeds at the end but always at some step
assert got["climber"]["successes"] == 0 and got["climber"]["any_successes"] == 3
assert got["steady"]["successes"] == 2 and got["steady"]["n"] == 3 and got["steady"]["infra"] == 1
assert got["vanish"]["no_score"] == 1 and got["vanish"]["n"] == 1 and got["vanish"]["successes"] == 0
PY

mlab report --runs-dir "$RUNS" --compare climber steady --format json > "$T/cmp.json"
mlab report --runs-dir "$RUNS" --compare climber steady --format json > "$T/cmp2.json"
mlab report --runs-dir "$RUNS" --compare climber steady > "$T/cmp.txt"
check "--compare: Fisher's p equals scipy's, the bootstrap interval holds the difference" "$PY" - "$T/cmp.json" <<'PY'
import json, sys
from scipy.stats import fisher_exact
c = json.load(open(sys.argv[1]))["compare"]
assert c["field"] == "agent" and c["a"] == "climber" and c["b"] == "steady"
t = c["tasks"][0]
a, b = t["a"], t["b"]
p = fisher_exact([[a["successes"], a["n"] - a["successes"]], [b["successes"], b["n"] - b["successes"]]])[1]
assert abs(t["fisher_p"] - p) < 1e-9, (t["fisher_p"], p)
lo, hi = t["diff_ci"]
assert lo <= t["diff_improvement"] <= hi, t
assert abs(t["diff_improvement"] - (a["mean_improvement"] - b["mean_improvement"])) < 1e-12
PY
check "--compare with the same seed gives the same interval" cmp "$T/cmp.json" "$T/cmp2.json"
check "--compare says what its tests are" sh -c \
  "grep -q \"Fisher's exact test, two-sided\" '$T/cmp.txt' && grep -q 'percentile bootstrap 95% interval' '$T/cmp.txt'"
mlab report --runs-dir "$RUNS" --format csv > "$T/report.csv"
mlab report --runs-dir "$RUNS" --format md > "$T/report.md"
check "report --format csv has the json's numbers" "$PY" - "$T/report.csv" "$T/report.json" <<'PY'
import csv, json, sys
rows = {r["agent"]: r for r in csv.DictReader(open(sys.argv[1]))}
for g in json.load(open(sys.argv[2]))["groups"]:
    r = rows[g["agent"]]
    assert int(r["n"]) == g["n"] and int(r["successes"]) == g["successes"]
    if g["success_ci"]:
        assert abs(float(r["success_lo"]) - g["success_ci"][0]) < 1e-9
PY
check "report --format md is a Markdown table" sh -c \
  "grep -q '^| task | agent | model | n |' '$T/report.md' && grep -q '^| --- | --- | --- | ---: |' '$T/report.md'"
check "report of a sweep folder and of a glob" sh -c \
  "'$MLAB' report '$RUNS' --format json | grep -q '\"agent\": \"steady\"' && \
   test \$('$MLAB' report '$RUNS/climber-*' --format json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)[\"runs\"]))') -eq 3"

# -- two runs compared ------------------------------------------------------------
mlab diff climber-0 steady-2 --runs-dir "$RUNS" > "$T/rr.diff"
check "diff R1 R2 compares the two final workspaces" sh -c \
  "grep -q '^-1.00' '$T/rr.diff' && grep -q '^+1.24' '$T/rr.diff' && grep -q '^diff --git a/crash.py' '$T/rr.diff'"
mlab diff climber-0@1 steady-2@1 --runs-dir "$RUNS" -- answer.txt > "$T/rr1.diff"
check "diff R1@N R2@M -- PATH" sh -c "grep -q '^-1.2' '$T/rr1.diff' && grep -q '^+1.24' '$T/rr1.diff' \
  && test \$(grep -c '^diff --git' '$T/rr1.diff') -eq 1"
mlab diff climber-0 steady-2 --stat --runs-dir "$RUNS" > "$T/rr.stat"
check "diff --stat between runs" grep -q '^ answer.txt *| *2 +-' "$T/rr.stat"
mlab show climber-1 4 --runs-dir "$RUNS" > "$T/show4.txt"
check "show marks a failed step with its exception" grep -q '^FAILED   exit 1: json.decoder.JSONDecodeError' "$T/show4.txt"
check "show gives the score after the step" grep -q '^score    1.2 after this step (+20.0% over the baseline)' "$T/show4.txt"
finish
