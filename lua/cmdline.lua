--[[ cmdline.lua - what every mlab command shares: options, the runs
folder, naming a run, output and usage errors.

  local cl = require("cmdline")
  local o, pos, rest = cl.parse(args, { agent = "value", q = "flag" })
  cl.usage(text)                 -- raise a usage error (exit 2, one line)
  cl.runs_dir(o)                 -- --runs-dir, $MLAB_RUNS_DIR or ./runs
  cl.number(o, name, default)    -- a number option >= 0
  cl.step(v)                     -- a step number argument
  local rd = cl.run(o, name)     -- the run named (rundir.find) or usage error
  cl.out(...) / cl.err(msg)      -- stdout / "mlab: msg" on stderr
  cl.ROOT, cl.VERSION            -- the mlab tree and version
]]
local sys = require("mlab.sys")
local rundir = require("rundir")

local M = {}

M.ROOT = package.mlab_root
M.VERSION = "?"

function M.out(...) io.stdout:write(...) end
function M.err(msg) io.stderr:write("mlab: ", msg, "\n") end

-- A usage error: cli.lua prints it on one line and exits 2.
function M.usage(text) error({ usage = text }, 0) end

-- Splits args into positionals and --options (spec: name -> "value"|"flag").
function M.parse(args, spec)
  local o, pos, rest = {}, {}, nil
  local i = 1
  while i <= #args do
    local a = args[i]
    if rest then
      rest[#rest + 1] = a
    elseif a == "--" then
      rest = {}
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local name, val = a:match("^%-%-?([^=]+)=(.*)$")
      name = name or a:gsub("^%-%-?", "")
      local kind = spec[name]
      if not kind then return nil, "unknown option " .. a end
      if kind == "flag" then
        o[name] = true
      else
        if not val then
          i = i + 1
          val = args[i]
          if val == nil then return nil, a .. " needs a value" end
        end
        o[name] = val
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return o, pos, rest
end

function M.runs_dir(o)
  local d = o["runs-dir"] or sys.getenv("MLAB_RUNS_DIR") or "runs"
  if d:sub(1, 1) ~= "/" then d = (sys.getenv("PWD") or ".") .. "/" .. d end
  return d
end

function M.number(o, name, default)
  if o[name] == nil then return default end
  local n = tonumber(o[name])
  if not n or n < 0 then M.usage("--" .. name .. " takes a number >= 0") end
  return n
end

function M.step(v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 then M.usage("a step is a whole number >= 0, not '" .. tostring(v) .. "'") end
  return n
end

-- The run a user names (an id, a unique prefix, a path, "last"); a run
-- that cannot be found is a usage error.
function M.run(o, name)
  local rd, e = rundir.find(M.runs_dir(o), name)
  if not rd then M.usage(e) end
  return rd
end

return M
