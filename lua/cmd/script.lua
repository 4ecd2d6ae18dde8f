-- cmd/script.lua - `mlab script FILE.lua [ARGS]`: an analysis script over
-- runs, in the agents' sandbox and under a budget, with the read-only API
-- of analysis.lua as the global `mlab`.
local cl = require("cmdline")
local sys = require("mlab.sys")
local budget = require("mlab.budget")
local ctl = require("mlab.run")
local term = require("term")

local M = {}

M.help = [[
usage: mlab script [--runs-dir D] [--out FILE] [--max-time S] [--max-mem MB] FILE.lua [ARGS...]

Runs an analysis script.  Options before FILE are mlab's; everything after
FILE is the script's (the global `arg`, and `...`).  The script runs in
the agents' sandbox (no io, no os beyond clocks, require finds stdlib/,
examples/analysis/ and the script's own folder) with the global `mlab`: a
read-only API over run directories (mlab.runs(names): run folders, folders
of runs, globs, ids or "last"; per run its manifest, steps, model calls
and the reply behind each step, scores, files and diffs at any step) and
output helpers (mlab.out, mlab.table as text, md, csv or json).  print and
mlab.out write to stdout, or to FILE with --out.  The script gets
--max-time seconds (default 600) and --max-mem MB of Lua heap (default
2048).  Exit status: the integer the script returns, else 0; 1 when it
fails.  docs/analysis.md is the reference; examples/analysis/ holds the
failure-mode detectors (failure_modes.lua prints a table per model).
]]

local function split(args)
  local mine, i = {}, 1
  while i <= #args do
    local a = args[i]
    if a == "--" then i = i + 1; break end
    if a:sub(1, 1) ~= "-" then break end
    mine[#mine + 1] = a
    local name = a:match("^%-%-?([^=]+)$")
    if name == "runs-dir" or name == "out" or name == "max-time" or name == "max-mem" then
      i = i + 1
      mine[#mine + 1] = args[i]
    end
    i = i + 1
  end
  return mine, args[i], table.move(args, i + 1, #args, 1, {})
end

function M.main(args)
  local mine, file, rest = split(args)
  local o, perr = cl.parse(mine, { ["runs-dir"] = "value", out = "value", ["max-time"] = "value",
    ["max-mem"] = "value" })
  if not o then cl.usage(perr) end
  if not file then cl.usage("mlab script: which script? (see mlab script --help)") end
  local st = sys.stat(file)
  if not st or st.type ~= "file" then cl.err("no script at " .. file); return 2 end
  local max_time = cl.number(o, "max-time", 600)
  local max_mem = cl.number(o, "max-mem", 2048)

  local sink, sink_err
  if o.out then
    sink, sink_err = io.open(o.out, "wb")
    if not sink then cl.err("cannot write " .. o.out .. ": " .. tostring(sink_err)); return 2 end
  end
  local tty = not sink and sys.isatty(1)
  local function write(s)
    if sink then sink:write(s) else io.stdout:write(tty and term.visible(s) or s) end
  end
  local tmp = ("%s/mlab-script-%s"):format(sys.getenv("TMPDIR") or "/tmp", sys.random_hex(6))
  assert(sys.mkdir_p(tmp))
  local api, close = require("analysis").new({ runs_dir = cl.runs_dir(o), tmp = tmp, write = write })

  local sandbox = require("sandbox")
  local dir = file:match("^(.*)/[^/]*$") or "."
  local env = sandbox.new({
    root = cl.ROOT, dirs = { dir, cl.ROOT .. "/examples/analysis" },
    print = function(...)
      local parts = table.pack(...)
      for i = 1, parts.n do parts[i] = tostring(parts[i]) end
      write(table.concat(parts, "\t", 1, parts.n) .. "\n")
    end,
  })
  rawset(env, "mlab", api)
  rawset(env, "arg", rest)
  local chunk, lerr = sandbox.loadfile(file, env)
  local code = 0
  if not chunk then
    cl.err(lerr)
    code = 1
  else
    budget.set({ time = max_time, mem_mb = max_mem })
    budget.start()
    local result
    local status, msg = ctl.call_agent(function() result = chunk(table.unpack(rest)) end)
    if status ~= "ok" then
      cl.err(("%s: %s: %s"):format(file, status, term.visible(tostring(msg))))
      code = 1
    elseif math.type(result) == "integer" then
      code = result
    end
  end
  close()
  sys.remove_tree(tmp)
  if sink then sink:close() end
  return code
end

return M
