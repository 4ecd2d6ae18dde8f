-- cmd/export.lua - `mlab export atif RUN`: a run in an interchange format.
local cl = require("cmdline")
local json = require("json")

local M = {}

M.help = [[
usage: mlab export atif RUN [--out FILE] [--runs-dir D]

Writes RUN as an ATIF trajectory (the Agent Trajectory Interchange Format of
the Harbor project, RFC 0001, schema_version "ATIF-v1.4"), which Harbor,
Docent, Inspect Scout and Phoenix read: step 1 is the task, then one step
per mlab step (the agent's with the model reply behind it, one tool call
and its observation; the framework's research-log steps as system steps),
token totals in final_metrics, and mlab's run facts under extra.mlab.  The
git history and the recorded model calls stay in the run directory.
Prints the JSON, or writes it to FILE.
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", out = "value" })
  if not o then cl.usage(pos) end
  if pos[1] ~= "atif" or #pos ~= 2 then cl.usage(M.help) end
  local rd = cl.run(o, pos[2])
  local doc, err = require("atif").trajectory(rd, { version = cl.VERSION })
  if not doc then cl.err(err); return 2 end
  local text = json.encode(doc, "  ") .. "\n"
  if o.out then
    local f, ferr = io.open(o.out, "wb")
    if not f then cl.err("cannot write " .. o.out .. ": " .. tostring(ferr)); return 2 end
    f:write(text)
    f:close()
    cl.out(("%s: %d steps written to %s\n"):format(rd.id, #doc.steps, o.out))
  else
    cl.out(text)
  end
  return 0
end

return M
