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
    -- The last non-empty line (gmatch is linear; a pattern anchored at $
    -- would retry from every position: quadratic in the output's length).
    local last = ""
    for line in r.output:gmatch("[^\n]+") do last = line end
    ctx.env:final_answer(("Ran %s unchanged (exit status %d). %s"):format(
      ctx.task.starter, r.status, last))
  end,
}
