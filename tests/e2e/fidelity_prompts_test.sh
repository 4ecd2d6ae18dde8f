#!/usr/bin/env bash
# The reference study reproduced, checked against its real prompts: the
# research agent (agents/research.lua) runs the 58 recorded MLAgentBench
# runs of tests/fixtures/real_traces/ again (their replies and
# observations as its model and environment) and every prompt it builds
# is compared with the one the reference sent; the model-backed actions'
# prompts and Edit Script's diffs are rebuilt from the traces
# (tests/fidelity/compare_prompts.lua).  Prints the figures per kind.
source "$(dirname "$0")/lib.sh"
"$PY" "$MLAB_HOME/tests/fidelity/cases.py" "$T/cases"
cp "$MLAB_HOME/tests/fidelity/compare_prompts.lua" "$T/cases/"
set +e
"$MLAB" test-lua "$T/cases/compare_prompts.lua" > "$T/out.txt" 2>&1
rc=$?
set -e
grep -v "^Response is invalid\|^the summary has no\|^Action Input of\|^the summary failed" "$T/out.txt" | tail -n 40
check "every prompt identical or different only in documented ways" test "$rc" = 0
check "the agent took each recorded run's actions" grep -q "runs replayed: 58, the agent took the trace's actions in 58" "$T/out.txt"
check "every agent prompt was reached" "$PY" - "$T/out.txt" <<'PY'
import sys
rows = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]) if l.split() and l.split()[0] in ("agent", "agent_retry")}
assert rows["agent"][3] == "0" and rows["agent_retry"][3] == "0", rows
assert int(rows["agent"][0]) + int(rows["agent"][1]) == 231, rows
assert int(rows["agent_retry"][0]) + int(rows["agent_retry"][1]) == 76, rows
PY
finish
