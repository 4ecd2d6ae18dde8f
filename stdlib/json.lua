-- json.lua - JSON with a stable key order, and a canonical form.
--
-- cjson writes object keys in hash order, which changes from run to run;
-- trace lines and run manifests must diff cleanly, so objects are written
-- with sorted keys.  Strings are still written by cjson.
--
-- Every text written is valid UTF-8: a byte that is not part of a UTF-8
-- sequence (0x80-0xff) is written as the escape \udc80-\udcff, Python's
-- "surrogateescape" (PEP 383), and decode turns it back into the byte, so
-- a script's raw output survives a round trip exactly.  In Python:
-- json.loads(line)["observation"].encode("utf-8", "surrogateescape").
--
--   json.encode(value [, indent]) -> text     json.decode(text) -> value | nil, err
--   json.canonical(value) -> text             json.null
--   json.array(t) marks t as an array (an empty t is written [])
--
-- The canonical form is what must compare byte for byte (the model
-- layer's recorded requests, replay): one line, keys sorted bytewise and
-- only strings, every number written exactly (integral values as
-- integers, others in the fewest of 14 or 17 significant digits that read
-- back to the same double).  It raises on what JSON cannot say (NaN,
-- infinities, functions, non-string keys), where encode writes null or
-- turns the key into a string.
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

-- cjson escapes '/' as '\/'; a path reads better without it.  Safe: a
-- backslash before '/' in cjson's output is always the one it added.
local function plain_string(s)
  return (cjson.encode(s):gsub("\\/", "/"))
end

-- A Lua string as a JSON string literal (see the escape rule above).
function M.string(s)
  if utf8.len(s) then return plain_string(s) end
  local out, i, n = {}, 1, #s
  while i <= n do
    local ok, bad = utf8.len(s, i)
    local j = ok and n + 1 or bad
    if j > i then out[#out + 1] = plain_string(s:sub(i, j - 1)):sub(2, -2) end
    if j <= n then
      out[#out + 1] = ("\\udc%02x"):format(s:byte(j))
      j = j + 1
    end
    i = j
  end
  return '"' .. table.concat(out) .. '"'
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  return a < b
end


-- Exact and stable: integral doubles as integers, other doubles in the
-- shortest of %.14g / %.17g that reads back as the same value.
local function canonical_number(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then
    error("json: cannot encode " .. tostring(v) .. " canonically", 0)
  end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return string.format("%d", math.tointeger(v))
  end
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

local encode_value

local function encode_table(t, out, o, depth)
  local seen = o.seen
  if seen[t] then error("json: cannot encode a table that contains itself", 0) end
  if depth > 100 then error("json: nested more than 100 levels", 0) end
  seen[t] = true
  local indent = o.indent
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
      encode_value(t[i], out, o, depth + 1)
      if i < #t then out[#out + 1] = "," end
      out[#out + 1] = nl
    end
    out[#out + 1] = pad .. "]"
  else
    local keys = {}
    for k in pairs(t) do
      if o.canonical and type(k) ~= "string" then
        error("json: object key " .. tostring(k) .. " is not a string", 0)
      end
      keys[#keys + 1] = k
    end
    if #keys == 0 then out[#out + 1] = "{}"; seen[t] = nil; return end
    table.sort(keys, key_less)
    out[#out + 1] = "{" .. nl
    for i, k in ipairs(keys) do
      out[#out + 1] = pad_in .. M.string(tostring(k)) .. (indent and ": " or ":")
      encode_value(t[k], out, o, depth + 1)
      if i < #keys then out[#out + 1] = "," end
      out[#out + 1] = nl
    end
    out[#out + 1] = pad .. "}"
  end
  seen[t] = nil
end

function encode_value(v, out, o, depth)
  local tv = type(v)
  if tv == "table" then
    encode_table(v, out, o, depth)
  elseif tv == "number" then
    if o.canonical then
      out[#out + 1] = canonical_number(v)
    elseif v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = cjson.encode(v)
    end
  elseif tv == "string" then
    out[#out + 1] = M.string(v)
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == nil or v == cjson.null then
    out[#out + 1] = "null"
  else
    error("json: cannot encode a " .. tv, 0)
  end
end

-- indent: nil for one line, or a string such as "  " for pretty output.
function M.encode(v, indent)
  local out = {}
  encode_value(v, out, { indent = indent, seen = {} }, 0)
  return table.concat(out)
end

function M.canonical(v)
  local out = {}
  encode_value(v, out, { canonical = true, seen = {} }, 0)
  return table.concat(out)
end

-- Lone \udc80-\udcff escapes (not the second half of a surrogate pair,
-- and not an escaped backslash followed by "u") stand for raw bytes.
-- cjson refuses lone surrogates, so they become a NUL SOH marker and two
-- hex digits first, and the marker becomes the byte after decoding.
local MARK = "\\u0000\\u0001"

local function unmark(v)
  if type(v) == "string" then
    return (v:gsub("\0\1(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
  elseif type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do t[unmark(k)] = unmark(x) end
    return setmetatable(t, getmetatable(v))
  end
  return v
end

local function mark_bytes(text)
  local n = 0
  local out = text:gsub("()(\\+)u[dD][cC]([89a-fA-F]%x)", function(at, slashes, hex)
    if #slashes % 2 == 0 then return nil end
    local before = text:sub(math.max(1, at - 6), at - 1)
    if before:match("^\\u[dD][89abAB]%x%x$") then return nil end -- a pair
    n = n + 1
    return slashes:sub(2) .. MARK .. hex:lower()
  end)
  return out, n
end

function M.decode(text)
  if type(text) ~= "string" then return nil, "json: expected a string" end
  local marked = 0
  if text:find("\\u[dD][cC]") then
    if text:find(MARK, 1, true) then
      return nil, "json: text holds both byte escapes and a NUL SOH pair"
    end
    text, marked = mark_bytes(text)
  end
  -- The sandbox's cjson returns nil, message; the host's raises.
  local ok, v, e = pcall(cjson.decode, text)
  if not ok then return nil, "json: " .. tostring(v) end
  if v == nil and e then return nil, "json: " .. tostring(e) end
  if marked > 0 then v = unmark(v) end
  return v
end

return M
