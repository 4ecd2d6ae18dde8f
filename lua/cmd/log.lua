-- cmd/log.lua - `mlab log RUN`: the manifest and one line per step.
local cl = require("cmdline")
local view = require("view")
local sys = require("mlab.sys")
local budget = require("mlab.budget")
local scores = require("scores")

local M = {}

M.help = [[
usage: mlab log RUN [--follow] [--runs-dir D]

The run's manifest and one line per step: action, input, time, commit, and
the observation's first words.  A failed step is marked "!" with its reason
(exit N, signal N, timeout, deadline, refused: CODE) and, for a script, the
last meaningful line of its output (a traceback's exception).  The end
line gives how the run ended, whole (an agent's traceback too).  When the
steps were scored (mlab eval RUN --all-steps) a score column shows the
score after each step.
  -f, --follow     watch a run that is still going: new steps as they are
                   recorded, until it ends (Ctrl-C stops watching only)
]]

local HEAD = "\nstep    action               input                           time  commit   %sobservation\n"

-- Score text per step number when the run's steps were scored.
local function score_column(rd, m, steps)
  local any = false
  for _, r in ipairs(rd:scores()) do
    if r.tree then any = true; break end
  end
  if not any then return nil end
  local col = {}
  for _, p in ipairs(scores.curve(rd, m, steps)) do
    col[p.step] = p.scored and (p.score and view.score(p.score) or "failed") or "?"
  end
  return col
end

local function follow(rd, m)
  cl.out(view.summary(m, 0))
  cl.out(HEAD:format(""))
  local printed = 0
  while true do
    local steps, ended = rd:steps()
    for i = printed + 1, #steps do cl.out(view.step_line(steps[i])) end
    printed = #steps
    io.stdout:flush()
    if ended then
      cl.out(view.step_line(ended))
      break
    end
    if rd:status() ~= "running" then
      cl.out(("  --  run %s (no end line)\n"):format(rd:status()))
      break
    end
    sys.sleep(0.5)
    if budget.get().exhausted then return 130 end -- Ctrl-C: stop watching
  end
  -- The score comes after the end line: the run evaluates, then writes run.json.
  for _ = 1, 1200 do
    m = rd:manifest() or m
    if rd:status(m) ~= "running" then break end
    sys.sleep(0.25)
    if budget.get().exhausted then return 130 end
  end
  cl.out("\n", view.summary(m, printed))
  return 0
end

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", follow = "flag", f = "flag" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  if (o.follow or o.f) and rd:status(m) == "running" then return follow(rd, m) end
  local trace, ended = rd:steps()
  local col = score_column(rd, m, trace)
  cl.out(view.summary(m, #trace))
  cl.out(HEAD:format(col and "   score  " or ""))
  for _, s in ipairs(trace) do cl.out(view.step_line(s, col and col[s.step])) end
  if ended then cl.out(view.step_line(ended)) end
  return 0
end

return M
