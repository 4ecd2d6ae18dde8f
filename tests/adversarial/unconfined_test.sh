#!/usr/bin/env bash
# Where scripts cannot be confined (no user namespaces: here mlab itself runs
# in a sandbox that refuses them), mlab must not run them unconfined
# silently: the execute action fails with a message that says why and names
# --unconfined, and the script does not run.  MLAB_NO_SANDBOX=1 does the same.
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
  MLAB=$MLAB_REAL
  run_ended nouserns
  check "no user namespaces: the script did not run" test ! -e "$R/workspace/ran.txt"
  check "no user namespaces: the agent is told why and about --unconfined" \
    grep -q "cannot be confined.*--unconfined" "$R/workspace/answer.txt"
else
  echo "note: bwrap cannot nest here; the no-user-namespace case is not simulated"
fi
MLAB_NO_SANDBOX=1 attack nosandbox unconf
run_ended nosandbox
check "MLAB_NO_SANDBOX: the script did not run" test ! -e "$R/workspace/ran.txt"
check "MLAB_NO_SANDBOX: the agent is told why" grep -q "MLAB_NO_SANDBOX.*--unconfined" "$R/workspace/answer.txt"
finish
