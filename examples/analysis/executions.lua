--[[ executions.lua - the worked example of docs/analysis.md: how often
each run executed a script, how often that failed, and the error it hit
most.

  mlab script examples/analysis/executions.lua [--format md] RUNS...
]]
local lib = require("fm_lib")

local o, names = mlab.options(arg, { format = "value" })
if not o then error(names, 0) end
local rows = {}
for _, run in ipairs(mlab.runs(names)) do
  local steps = run:steps()
  local execs, failed, errors = 0, 0, {}
  for _, s in ipairs(steps) do
    if lib.is_exec(s) and not lib.bookkeeping(s) then
      execs = execs + 1
      if lib.exec_failed(s) then
        failed = failed + 1
        local e = lib.error_line(s)
        errors[e] = (errors[e] or 0) + 1
      end
    end
  end
  local top, n = "", 0
  for _, e in ipairs(mlab.sort_keys(errors)) do   -- sorted: the same ties every time
    if errors[e] > n then top, n = e, errors[e] end
  end
  rows[#rows + 1] = { run = run.id, model = run:model(), steps = #steps, executions = execs,
    failed = failed, top_error = n > 0 and mlab.quote(top, 50) .. " (" .. n .. "x)" or "" }
end
mlab.out(mlab.table(rows, { columns = { "run", "model", "steps", "executions", "failed", "top_error" },
  format = o.format or "text" }))
