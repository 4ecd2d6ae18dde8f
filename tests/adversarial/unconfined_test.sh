#!/usr/bin/env bash
# Where scripts cannot be confined (no user namespaces: here mlab itself runs
# in a sandbox that refuses them), mlab must not run them unconfined
# silently: it refuses to start the run (exit 2, one line that says why and
# names --unconfined, no run directory).  With --unconfined the run goes on
# and run.json says so.  MLAB_NO_SANDBOX=1 does the same.
source "$(dirname "$0")/lib.sh"
prepared
agent unconf <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("run.sh", "echo ran > ran.txt\n")
  local r, err = ctx.env:execute("run.sh")
  ctx.env:write_file("answer.txt", tostring(err) .. "\n")
  ctx.env:final_answer("done")
end }
LUA
if bwrap --dev-bind / / --unshare-user --uid 1000 --gid 1000 --disable-userns true 2>/dev/null; then
  # mlab as a user that cannot make user namespaces
  MLAB_REAL=$MLAB
  MLAB="$T/nouserns.sh"
  printf '#!/bin/sh\nexec bwrap --dev-bind / / --unshare-user --uid 1000 --gid 1000 --disable-userns -- "%s" "$@"\n' \
    "$MLAB_REAL" > "$MLAB"
  chmod +x "$MLAB"
  attack nouserns unconf
  check "no user namespaces: the run is refused" test ! -e "$R"
  check "no user namespaces: one line that says why and names --unconfined" \
    sh -c "test \$(wc -l < '$T/nouserns.err') = 1 && grep -q 'cannot be confined.*--unconfined' '$T/nouserns.err'"
  attack nouserns2 unconf --unconfined
  MLAB=$MLAB_REAL
  run_ended nouserns2
  check "no user namespaces, --unconfined: the script ran" test -e "$R/workspace/ran.txt"
  check "no user namespaces, --unconfined: run.json says so" test "$(field unconfined)" = True
else
  echo "note: bwrap cannot nest here; the no-user-namespace case is not simulated"
fi
MLAB_NO_SANDBOX=1 attack nosandbox unconf
check "MLAB_NO_SANDBOX: the run is refused" test ! -e "$R"
check "MLAB_NO_SANDBOX: it says why and names --unconfined" grep -q "MLAB_NO_SANDBOX.*--unconfined" "$T/nosandbox.err"
MLAB_NO_SANDBOX=1 attack nosandbox2 unconf --unconfined
run_ended nosandbox2
check "MLAB_NO_SANDBOX, --unconfined: the script ran" test -e "$R/workspace/ran.txt"
check "MLAB_NO_SANDBOX, --unconfined: run.json says so" test "$(field unconfined)" = True
check "a confined run says it is confined" \
  test "$(json "$RUNS/warmup/run.json" 'd["confinement"]["ok"] and d["unconfined"] is False')" = True
finish
