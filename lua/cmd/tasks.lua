-- cmd/tasks.lua - `mlab tasks`: the tasks, their metrics and baselines.
local cl = require("cmdline")
local view = require("view")
local sys = require("mlab.sys")
local json = require("json")
local task_mod = require("task")

local M = {}

M.help = [[
usage: mlab tasks [--measure NAME]

Lists the tasks: name, kind, metric, the baseline recorded in task.lua, the
one measured here (cached), and the size of the prepared data the agent sees.
--measure NAME prepares the data if needed and re-measures the baseline by
running the starter code.
]]

local function tree_size(path)
  local st = sys.stat(path)
  if not st then return 0 end
  if st.type ~= "directory" then return st.size end
  local total = 0
  for _, n in ipairs(sys.list_dir(path) or {}) do total = total + tree_size(path .. "/" .. n) end
  return total
end

local function human_size(n)
  if n >= 1048576 then return ("%.1f MB"):format(n / 1048576) end
  return ("%.0f KB"):format(n / 1024)
end

function M.main(args)
  local o, pos = cl.parse(args, { measure = "value", help = "flag" })
  if not o or #pos > 0 then cl.usage(M.help) end
  if o.measure then
    local task, terr = task_mod.find(cl.ROOT, o.measure)
    if not task then cl.err(terr); return 2 end
    local data, perr = task_mod.prepare(task, function(s) io.stderr:write(s, "\n") end)
    if not data then cl.err(perr); return 2 end
    local rec, merr = task_mod.measure(task, data)
    if not rec then cl.err(merr); return 1 end
    local within = task.baseline == nil or math.abs(rec.score - task.baseline) <= task.noise
    cl.out(json.encode({ task = task.name, measured = rec.score, recorded = task.baseline,
      noise = task.noise, within_noise = within, seconds = rec.seconds }, "  "), "\n")
    return within and 0 or 1
  end
  cl.out(("%-20s %-10s %-22s %-9s %-9s %s\n"):format("task", "kind", "metric", "baseline",
    "measured", "data"))
  for _, name in ipairs(task_mod.list(cl.ROOT)) do
    local t, terr = task_mod.find(cl.ROOT, name)
    if t then
      local dir = task_mod.cache_dir(t)
      local size = sys.stat(dir .. "/prepared.json") and human_size(tree_size(dir .. "/public"))
        or "not prepared"
      local measured = json.decode(sys.read(dir .. "/baseline.json") or "")
      if measured and measured.fingerprint ~= task_mod.fingerprint(t) then measured = nil end
      cl.out(("%-20s %-10s %-22s %-9s %-9s %s\n"):format(name, t.category,
        t.metric.name .. " (" .. t.metric.goal .. ")", view.score(t.baseline),
        view.score(measured and measured.score), size))
    else
      cl.out(("%-20s BROKEN: %s\n"):format(name, terr))
    end
  end
  return 0
end

return M
