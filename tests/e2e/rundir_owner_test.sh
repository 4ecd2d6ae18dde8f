#!/usr/bin/env bash
# run.json, trace.jsonl, llm.jsonl and scores.jsonl have one owner:
# lua/rundir.lua.  No other module names those files in code or reaches
# them through a run's paths; anything that reads or writes them goes
# through a rundir method.  Prose (comments, usage texts) may name them.
source "$(dirname "$0")/lib.sh"
cd "$MLAB_HOME"
code_hits() { # PATTERN: lines of host and agent Lua outside rundir.lua, comments dropped
  grep -rnE "$1" lua stdlib agents examples --include='*.lua' \
    | grep -v '^lua/rundir.lua:' | grep -vE '^[^:]+:[0-9]+:\s*--' || true
}
names=$(code_hits '(run\.json|trace\.jsonl|llm\.jsonl|scores\.jsonl)"')
check "no module names a run file in a string but rundir.lua: $names" test -z "$names"
paths=$(code_hits 'paths\.(manifest|trace|llm|scores)\b')
check "no module reaches a run file through run.paths: $paths" test -z "$paths"
# The check itself can fail: a planted reader is found.
mkdir -p "$T/lua" && printf 'local f = io.open(dir .. "/trace.jsonl")\n' > "$T/lua/x.lua"
check "the check finds a planted reader" sh -c "cd '$T' && grep -rnE '(trace\.jsonl)\"' lua | grep -q x.lua"
finish
