-- baseline.lua - the reference study's trivial agent: run the starter
-- script once as it is, then give the final answer.  Its score is the
-- task's baseline, so it checks that the harness measures what it says.
return {
  name = "baseline",
  run = function(ctx)
    local r, err = ctx.env:execute(ctx.task.starter)
    if not r then
      ctx.env:final_answer("The starter script could not run: " .. err)
      return
    end
    local last = r.output:match("([^\n]*)\n*$") or ""
    ctx.env:final_answer(("Ran %s unchanged (exit status %d). %s"):format(
      ctx.task.starter, r.status, last))
  end,
}
