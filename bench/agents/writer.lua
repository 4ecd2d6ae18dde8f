-- Writes one small file per step and nothing else: no model, no script, so
-- a run's wall time is the host's own cost of taking and recording steps.
-- Run it with --max-steps N; it stops when the host refuses a step.
return {
  name = "writer",
  run = function(ctx)
    for i = 1, 100000 do
      ctx.env:write_file(("notes/n%02d.txt"):format(i % 20), ("step %d\n"):format(i))
    end
  end,
}
