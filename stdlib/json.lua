-- json.lua - JSON with a stable key order.
--
-- cjson writes object keys in hash order, which changes from run to run;
-- trace lines and run manifests must diff cleanly, so objects are written
-- with sorted keys.  Strings and numbers are still written by cjson.
--
--   json.encode(value [, indent]) -> text     json.decode(text) -> value | nil, err
--   json.null                                 json.array(t) marks t as an array
local cjson = require("cjson")

local M = { null = cjson.null }

local ARRAY = setmetatable({}, { __mode = "k" })

-- Marks t so that an empty t is written as [] rather than {}.
function M.array(t)
  ARRAY[t] = true
  return t
end

local function is_array(t)
  local n = #t
  if n == 0 then return ARRAY[t] == true and next(t) == nil end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  return a < b
end

local encode_value

local function encode_table(t, out, indent, depth, seen)
  if seen[t] then error("json: cannot encode a table that contains itself", 0) end
  if depth > 100 then error("json: nested more than 100 levels", 0) end
  seen[t] = true
  local nl, pad, pad_in = "", "", ""
  if indent then
    nl = "\n"
    pad = string.rep(indent, depth)
    pad_in = pad .. indent
  end
  if is_array(t) then
    if #t == 0 then out[#out + 1] = "[]"; seen[t] = nil; return end
    out[#out + 1] = "[" .. nl
    for i = 1, #t do
      out[#out + 1] = pad_in
      encode_value(t[i], out, indent, depth + 1, seen)
      if i < #t then out[#out + 1] = "," end
      out[#out + 1] = nl
    end
    out[#out + 1] = pad .. "]"
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    if #keys == 0 then out[#out + 1] = "{}"; seen[t] = nil; return end
    table.sort(keys, key_less)
    out[#out + 1] = "{" .. nl
    for i, k in ipairs(keys) do
      out[#out + 1] = pad_in .. cjson.encode(tostring(k)) .. (indent and ": " or ":")
      encode_value(t[k], out, indent, depth + 1, seen)
      if i < #keys then out[#out + 1] = "," end
      out[#out + 1] = nl
    end
    out[#out + 1] = pad .. "}"
  end
  seen[t] = nil
end

function encode_value(v, out, indent, depth, seen)
  local tv = type(v)
  if tv == "table" then
    encode_table(v, out, indent, depth, seen)
  elseif tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = cjson.encode(v)
    end
  elseif tv == "string" then
    -- cjson escapes '/' as '\/'; a path reads better without it.
    out[#out + 1] = (cjson.encode(v):gsub("\\/", "/"))
  elseif tv == "boolean" then
    out[#out + 1] = cjson.encode(v)
  elseif v == nil or v == cjson.null then
    out[#out + 1] = "null"
  else
    error("json: cannot encode a " .. tv, 0)
  end
end

-- indent: nil for one line, or a string such as "  " for pretty output.
function M.encode(v, indent)
  local out = {}
  encode_value(v, out, indent, 0, {})
  return table.concat(out)
end

function M.decode(text)
  if type(text) ~= "string" then return nil, "json: expected a string" end
  -- The sandbox's cjson returns nil, message; the host's raises.
  local ok, v, e = pcall(cjson.decode, text)
  if not ok then return nil, "json: " .. tostring(v) end
  if v == nil and e then return nil, "json: " .. tostring(e) end
  return v
end

return M
