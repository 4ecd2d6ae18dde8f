#!/usr/bin/env bash
# A 3 GB sparse file (it costs no disk): one append to it must not copy 3 GB
# into the undo store, and as submission.txt it must not make the evaluator
# read 3 GB.
source "$(dirname "$0")/lib.sh"
prepared
agent sparse <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("mk.sh", "truncate -s 3G big.bin\nrm -f submission.txt\ntruncate -s 3G submission.txt\nls -ls\n")
  ctx.env:execute("mk.sh")
  local _, err = ctx.env:append_file("big.bin", "x")
  ctx.env:write_file("answers.txt", tostring(err) .. "\n")
  ctx.env:final_answer("done")
end }
LUA
attack sparse sparse
run_ended sparse
check "sparse: the append was refused for its undo copy" grep -q "undo" "$R/workspace/answers.txt"
check "sparse: the undo store stays small" test "$(du -sk "$R/undo" | cut -f1)" -lt 10240
check "sparse: the file is unchanged" test "$(stat -c %s "$R/workspace/big.bin")" -eq 3221225472
check "sparse: the evaluator did not read 3 GB (evaluation: $(field evaluation_error))" \
  grep -q '"evaluation_error": ".*submission.txt is missing' "$R/run.json"
check "sparse: quick (wall ${WALL}s)" "$PY" -c "assert $WALL < 30"
not_success sparse
finish
