-- cmd/show.lua - `mlab show RUN STEP`: one step and its diff.
local cl = require("cmdline")
local snap_mod = require("mlab.snap")
local json = require("json")
local term = require("term")

local M = {}

M.help = [[
usage: mlab show RUN STEP [--runs-dir D]

The step's action, input, observation and the diff it made.
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 2 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local n = cl.step(pos[2])
  local h = assert(snap_mod.open(rd.paths.git))
  if n == 0 then
    cl.out("step 0: starter files\n\n")
    cl.out(assert(h:changes("step-0")))
    return 0
  end
  local s
  s = rd:steps()[n]
  if not s then cl.err(("run has no step %d"):format(n)); return 2 end
  cl.out(("step %d: %s   (%.2f s, %d tokens, commit %s)\n"):format(n, s.action, s.duration_s or 0,
    math.tointeger(s.tokens) or 0, s.commit or "?"))
  cl.out("\ninput:\n", json.encode(s.input, "  "), "\n")
  cl.out("\nobservation:\n", term.visible(s.error and ("error: " .. s.error) or tostring(s.observation)), "\n")
  local patch = h:diff("step-" .. (n - 1), "step-" .. n)
  cl.out("\ndiff:\n", patch and patch ~= "" and term.visible(patch) or "(no change to the workspace)\n")
  return 0
end

return M
