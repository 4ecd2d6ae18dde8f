#!/usr/bin/env bash
# Installed, not only runnable from the source tree: `cmake --install` puts
# the binary in P/bin and the tree in P/share/mlab; the binary finds it
# from its own location (after a move of the whole prefix too) and runs a
# task from an unrelated directory; a wrong MLAB_HOME is named.
source "$(dirname "$0")/lib.sh"
BUILD=$(dirname "$MLAB")
check "cmake --install into a prefix" sh -c "cmake --install '$BUILD' --prefix '$T/p' > '$T/install.out'"
check "the binary is in bin/" test -x "$T/p/bin/mlab"
check "the tree is in share/mlab" test -f "$T/p/share/mlab/lua/cli.lua" -a -f "$T/p/share/mlab/agents/baseline.lua"
mv "$T/p" "$T/moved"
cd "$T"
check "the moved install lists its tasks" sh -c "env -u MLAB_HOME '$T/moved/bin/mlab' tasks | grep -q '^digits '"
env -u MLAB_HOME "$T/moved/bin/mlab" run "$FIX/tasks/tiny" --agent baseline --runs-dir "$T/runs" --id inst -q \
  > "$T/run.out" 2>&1 || true
check "the moved install runs a task: $(tail -n 3 "$T/run.out")" \
  test "$(json "$T/runs/inst/run.json" 'd["status"]')" = final_answer
check "its agent came from the install" \
  sh -c "grep -q '\"agent_path\": \"$T/moved/share/mlab/agents/baseline.lua\"' '$T/runs/inst/run.json'"
set +e
MLAB_HOME="$T/nowhere" "$T/moved/bin/mlab" tasks > "$T/bad.out" 2>&1
rc=$?
set -e
check "a wrong MLAB_HOME exits 70" test "$rc" = 70
check "and names the variable" grep -q "MLAB_HOME=$T/nowhere holds no lua/cli.lua" "$T/bad.out"
finish
