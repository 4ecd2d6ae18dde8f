-- sandbox.lua - the global environment agent code runs in.
--
-- An allow-list (Redis's scripting rule): what is not here does not exist
-- for an agent.  No io, no os beyond clocks, no debug, no package, no
-- binary chunks, no string.dump, no collectgarbage.  Reading an undefined
-- global raises, so a typo fails loudly instead of yielding nil.  require
-- finds modules only in stdlib/ and agents/ (and the agent's own folder),
-- loaded as text into the same sandbox.
--
-- setmetatable refuses a __gc field: finalizers run when the collector
-- decides, which may be while the host records a step with the budget
-- lifted, or after the run; an agent's code must not run there.  (Lua only
-- marks an object for finalization if __gc is present when setmetatable is
-- called, so adding it to the metatable later does nothing.)
local M = {}

local SAFE = {
  "assert", "error", "ipairs", "pairs", "next", "select", "tonumber",
  "tostring", "type", "pcall", "xpcall", "getmetatable",
  "rawequal", "rawlen", "rawget", "rawset",
}

local function safe_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc (finalizers) is not available to agents", 2)
  end
  return setmetatable(t, mt)
end

local function copy(t, skip)
  local c = {}
  for k, v in pairs(t) do
    if not (skip and skip[k]) then c[k] = v end
  end
  return c
end

-- The string metatable is shared by every string in the state; without
-- __metatable an agent could reach the host's `string` table through it.
getmetatable("").__metatable = "locked"

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- The only cjson an agent sees: encode, decode, null (Neovim's rule).
local function safe_cjson()
  local cjson = require("cjson")
  return {
    encode = cjson.encode,
    decode = function(s)
      local ok, v = pcall(cjson.decode, s)
      if ok then return v end
      return nil, tostring(v)
    end,
    null = cjson.null,
  }
end

-- opts: root (mlab home), dirs (extra module folders), print (function)
function M.new(opts)
  local env = {}
  for _, k in ipairs(SAFE) do env[k] = _G[k] end
  env.setmetatable = safe_setmetatable
  env.string = copy(string, { dump = true })
  env.table = copy(table)
  env.math = copy(math)
  env.utf8 = copy(utf8)
  env.coroutine = copy(coroutine)
  env.os = { time = os.time, clock = os.clock, date = os.date }
  env.print = opts.print or function() end
  env._VERSION = _VERSION
  env._G = env

  env.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then
      error("load: only text chunks are allowed", 2)
    end
    if type(chunk) == "string" and chunk:byte(1) == 27 then
      return nil, "load: binary chunks are not allowed"
    end
    return load(chunk, name, "t", e or env)
  end

  local dirs = { opts.root .. "/stdlib", opts.root .. "/agents" }
  for _, d in ipairs(opts.dirs or {}) do dirs[#dirs + 1] = d end
  local loaded = { cjson = safe_cjson() }
  loaded["cjson.safe"] = loaded.cjson
  env.require = function(name)
    if type(name) ~= "string" then error("require: expected a module name", 2) end
    if loaded[name] ~= nil then return loaded[name] end
    local rel = name:gsub("%.", "/")
    if rel:find("^/") or rel:find("%.%.") then
      error("require: bad module name '" .. name .. "'", 2)
    end
    local tried = {}
    for _, d in ipairs(dirs) do
      local path = d .. "/" .. rel .. ".lua"
      local src = read_file(path)
      if src then
        local chunk, err = load(src, "@" .. path, "t", env)
        if not chunk then error(err, 2) end
        local v = chunk(name, path)
        if v == nil then v = true end
        loaded[name] = v
        return v
      end
      tried[#tried + 1] = "\n\tno file '" .. path .. "'"
    end
    error("module '" .. name .. "' not found:" .. table.concat(tried), 2)
  end

  return setmetatable(env, {
    __index = function(_, k)
      error("undefined global '" .. tostring(k) .. "'", 2)
    end,
  })
end

-- Loads a file as text into env; returns the chunk or nil, message.
function M.loadfile(path, env)
  local src = read_file(path)
  if not src then return nil, "cannot read " .. path end
  return load(src, "@" .. path, "t", env)
end

return M
