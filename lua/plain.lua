--[[ plain.lua - agent values made safe for the host: copies and views.

  local plain = require("plain")
  local v, err = plain.copy(x [, what])   -- a deep copy of plain data, read raw
  local ro = plain.readonly(t)            -- a read-only deep copy (ctx.task)

An agent hands the host tables of its own (a step's input, a chat
request).  Reading them with t.k, pairs or # would run the agent's
metamethods (__index, __pairs, __len) wherever the host happens to be,
including inside run.critical (mlab.run) where no budget reaches.  copy() reads with
next and rawget only, so nothing of the agent's runs, and it runs at the
door, in the agent's own budget.  What it returns is the host's: strings,
numbers, booleans and tables of them, no cycles, bounded in depth and size.
]]
local M = {}

M.MAX_DEPTH = 32
M.MAX_ITEMS = 100000 -- table entries in one value

local function copy(v, what, depth, seen, count)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then return v end
  if t ~= "table" then
    return nil, ("%s: a %s cannot be passed to the host"):format(what, t)
  end
  if seen[v] then return nil, what .. ": a table that contains itself" end
  if depth > M.MAX_DEPTH then
    return nil, ("%s: nested deeper than %d levels"):format(what, M.MAX_DEPTH)
  end
  seen[v] = true
  local out = {}
  local k, x = next(v)
  while k ~= nil do
    count[1] = count[1] + 1
    if count[1] > M.MAX_ITEMS then
      return nil, ("%s: more than %d entries"):format(what, M.MAX_ITEMS)
    end
    local tk = math.type(k) == "integer" and "integer" or type(k)
    if tk ~= "string" and tk ~= "integer" then
      return nil, ("%s: keys must be strings or integers, not a %s"):format(what, type(k))
    end
    local c, err = copy(x, what, depth + 1, seen, count)
    if err then return nil, err end
    out[k] = c
    k, x = next(v, k)
  end
  seen[v] = nil
  return out
end

function M.copy(v, what)
  return copy(v, what or "value", 0, {}, { 0 })
end

local function readonly(t)
  local view = {}
  local data = {}
  for k, v in pairs(t) do
    data[k] = type(v) == "table" and readonly(v) or v
  end
  return setmetatable(view, {
    __index = data,
    __newindex = function(_, k)
      error("read-only: cannot set '" .. tostring(k) .. "'", 2)
    end,
    __pairs = function() return next, data, nil end,
    __len = function() return #data end,
    __metatable = "read-only",
  })
end

-- A fresh read-only deep copy of host data t: what the agent changes in it
-- (it can rawset into the view) changes nothing the host reads.
function M.readonly(t)
  return readonly(t)
end

return M
