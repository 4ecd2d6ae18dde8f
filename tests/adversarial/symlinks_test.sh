#!/usr/bin/env bash
# Symbolic links out of and inside the workspace.  A submission.txt that is
# a link to the hidden answer (dangling in the sandbox, valid on the host)
# must not be followed by the evaluator, at the end of the run or through
# `mlab eval --step N`; the actions refuse links that leave the workspace.
source "$(dirname "$0")/lib.sh"
prepared
agent links_out <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("link.sh", "ln -sf @HIDDEN@/answer.txt submission.txt\n"
    .. "ln -s @HIDDEN@ hidden\nln -s @HIDDEN@/labels.csv data/labels.csv\nls -l\n")
  ctx.env:execute("link.sh")
  local a, ea = ctx.env:read_file("submission.txt")
  local b, eb = ctx.env:read_file("hidden/answer.txt")
  local c, ec = ctx.env:copy_file("data/labels.csv", "copied.csv")
  ctx.env:write_file("answers.txt", table.concat({ tostring(a or ea), tostring(b or eb),
    tostring(c or ec) }, "\n") .. "\n")
  ctx.env:final_answer("done")
end }
LUA
attack links_out links_out
run_ended links_out
check "links out: actions refused them" test "$(grep -c 'through a symbolic link\|to nowhere' "$R/workspace/answers.txt")" -eq 3
not_success links_out
no_token links_out
outside_intact links_out
n=$(json "$R/run.json" 'd["steps"]')
rc=0; mlab eval links_out --runs-dir "$RUNS" --step "$((n - 1))" > "$T/eval.out" 2> "$T/eval.err" || rc=$?
check "links out: mlab eval --step does not follow the link" sh -c \
  "[ $rc = 1 ] && grep -q 'submission.txt is missing' '$T/eval.err' && ! grep -q '\"score\": 100' '$T/eval.out' && ! grep -qs '$TOKEN' '$T/eval.out' '$T/eval.err'"
rc2=0; mlab eval links_out --runs-dir "$RUNS" > "$T/eval2.out" 2> "$T/eval2.err" || rc2=$?
check "links out: mlab eval does not follow the link" sh -c \
  "[ $rc2 = 1 ] && grep -q 'submission.txt is missing' '$T/eval2.err' && ! grep -q '\"score\": 100' '$T/eval2.out'"

# A link inside the workspace is an ordinary name for a file there, but the
# evaluator gets regular files only: a linked submission is not one.
agent links_in <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("guess.txt", "a guess\n")
  ctx.env:write_file("link.sh", "rm -f submission.txt; ln -s guess.txt submission.txt\n")
  ctx.env:execute("link.sh")
  local text = ctx.env:read_file("submission.txt")
  ctx.env:write_file("seen.txt", tostring(text))
  ctx.env:final_answer("done")
end }
LUA
attack links_in links_in
run_ended links_in
check "links in: readable through the link" grep -q "a guess" "$R/workspace/seen.txt"
check "links in: the evaluator did not follow it" grep -q '"evaluation_error": ".*submission.txt is missing' "$R/run.json"
not_success links_in
finish
