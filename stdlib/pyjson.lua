-- pyjson.lua - JSON and text as the reference study's Python saw them.
--
-- MLAgentBench (the reference) read a model's Action Input with Python's
-- json.loads and put values into prompts with f-strings; to reproduce its
-- observations and prompts byte for byte, mlab needs the same decisions:
-- which texts parse, the exact error message when one does not (it is
-- shown to the model as "ActionInputParsingError: ..."), and how a list
-- or a number is written when a prompt interpolates it (str(), repr()).
--
--   pyjson.loads(text) -> value | nil, message
--       CPython 3.11's json.loads (the C scanner): strict strings (a raw
--       control character is an error), NaN/Infinity accepted, and its
--       messages: "Expecting ',' delimiter: line 3 column 5 (char 40)",
--       positions counted in characters (code points), not bytes.
--       Objects come back as tables with pyjson.is_object(t) true and
--       their keys in order (pyjson.keys(t)); arrays as sequences with
--       pyjson.is_array(t) true; null as pyjson.null; integers as Lua
--       integers, other numbers as floats.
--   pyjson.repr(v) -> text    Python's repr(): 'a', ['x', 'y'], {'k': 1},
--       1.0, True, None
--   pyjson.str(v) -> text     Python's str() (an f-string's "{v}"): a
--       string as it is, anything else as repr()
--   pyjson.object({ {k, v}, ... }) -> a dict with that key order
--   pyjson.type_name(v) -> "str" | "int" | "float" | "list" | "dict" |
--       "bool" | "NoneType"
--   pyjson.len(s) -> characters (code points; bytes when not UTF-8)
--   pyjson.sub(s, i, j) -> s[i:j] with Python's 0-based slice rules over
--       characters (j nil: to the end; negative indexes count from the end)
--   pyjson.strip(s [, chars]) -> Python's str.strip(): whitespace (as
--       str.isspace() sees ASCII) or any of the characters in chars
--   pyjson.split(s, sep) -> list: str.split(sep) (sep non-empty)
local M = {}

M.null = setmetatable({}, { __name = "pyjson.null", __tostring = function() return "None" end })

local OBJECT, ARRAY = {}, {}
local ORDER = setmetatable({}, { __mode = "k" })

-- A dict with keys in this order: pyjson.object({ {k, v}, ... }).
function M.object(items)
  local obj, order = setmetatable({}, OBJECT), {}
  ORDER[obj] = order
  for _, kv in ipairs(items or {}) do
    if obj[kv[1]] == nil then order[#order + 1] = kv[1] end
    obj[kv[1]] = kv[2]
  end
  return obj
end

function M.is_object(t) return type(t) == "table" and getmetatable(t) == OBJECT end
function M.is_array(t) return type(t) == "table" and getmetatable(t) == ARRAY end

-- The keys of a decoded object in the order the text gave them (a key
-- given twice keeps its first place, as in a Python dict); for any other
-- table, its string keys sorted.
function M.keys(t)
  if ORDER[t] then return table.move(ORDER[t], 1, #ORDER[t], 1, {}) end
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, function(a, b) return tostring(a) < tostring(b) end)
  return out
end

---------------------------------------------------------------------------
-- Characters

-- Bytes 1..pos-1 of s as a count of characters: the Python index of byte pos.
local function char_index(s, pos)
  local n = 0
  for i = 1, pos - 1 do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xC0 then n = n + 1 end
  end
  return n
end

function M.len(s)
  return utf8.len(s) or #s
end

function M.sub(s, i, j)
  local n = utf8.len(s)
  local bytes = n == nil or n == #s
  if bytes then n = #s end
  i = i or 0
  if j == nil then j = n end
  if i < 0 then i = math.max(n + i, 0) end
  if j < 0 then j = math.max(n + j, 0) end
  i, j = math.min(i, n), math.min(j, n)
  if j <= i then return "" end
  if bytes then return s:sub(i + 1, j) end
  return s:sub(utf8.offset(s, i + 1), utf8.offset(s, j + 1) - 1)
end

-- str.isspace() for ASCII: \t \n \v \f \r, \28-\31 and space.
local SPACE = "[\t\n\v\f\r\28-\31 ]"

function M.strip(s, chars)
  if chars == nil then
    return (s:gsub("^" .. SPACE .. "+", ""):gsub(SPACE .. "+$", ""))
  end
  local set = {}
  for c in chars:gmatch(".") do set[c] = true end
  local a, b = 1, #s
  while a <= b and set[s:sub(a, a)] do a = a + 1 end
  while b >= a and set[s:sub(b, b)] do b = b - 1 end
  return s:sub(a, b)
end

function M.split(s, sep)
  local out, i = {}, 1
  while true do
    local a, b = s:find(sep, i, true)
    if not a then break end
    out[#out + 1] = s:sub(i, a - 1)
    i = b + 1
  end
  out[#out + 1] = s:sub(i)
  return out
end

---------------------------------------------------------------------------
-- json.loads

local Fail = {}

local function fail(s, msg, pos)
  local p = char_index(s, pos)
  local before = s:sub(1, pos - 1)
  local _, lines = before:gsub("\n", "")
  local last_nl = before:match(".*()\n")
  local col = last_nl and (p - char_index(s, last_nl)) or (p + 1)
  error(setmetatable({ message = ("%s: line %d column %d (char %d)"):format(msg, lines + 1, col, p) },
    Fail), 0)
end

-- StopIteration(pos): "Expecting value" where the caller started.
local function stop(s, pos) fail(s, "Expecting value", pos) end

local WS = { [" "] = true, ["\t"] = true, ["\n"] = true, ["\r"] = true }
local function skip(s, i)
  while WS[s:sub(i, i)] do i = i + 1 end
  return i
end

local ESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

-- The string whose opening quote is at i - 1; returns value, next index.
local function scanstring(s, i)
  local begin = i - 1
  local out = {}
  local len = #s
  while true do
    local j = i
    local c
    while j <= len do
      c = s:sub(j, j)
      if c == '"' or c == "\\" then break end
      if c:byte() <= 0x1f then fail(s, "Invalid control character at", j) end
      j = j + 1
    end
    if j > len then fail(s, "Unterminated string starting at", begin) end
    out[#out + 1] = s:sub(i, j - 1)
    j = j + 1
    if c == '"' then return table.concat(out), j end
    if j > len then fail(s, "Unterminated string starting at", begin) end
    local e = s:sub(j, j)
    if e ~= "u" then
      if not ESC[e] then fail(s, "Invalid \\escape", j - 1) end
      out[#out + 1] = ESC[e]
      i = j + 1
    else
      local hex = s:sub(j + 1, j + 4)
      if j + 4 >= len then fail(s, "Invalid \\uXXXX escape", j) end
      if not hex:match("^%x%x%x%x$") then fail(s, "Invalid \\uXXXX escape", j) end
      local cp = tonumber(hex, 16)
      i = j + 5
      if cp >= 0xD800 and cp <= 0xDBFF and s:sub(i, i + 1) == "\\u" then
        local lo = s:sub(i + 2, i + 5)
        if not lo:match("^%x%x%x%x$") then fail(s, "Invalid \\uXXXX escape", i + 1) end
        local l = tonumber(lo, 16)
        if l >= 0xDC00 and l <= 0xDFFF then
          cp = 0x10000 + ((cp - 0xD800) << 10) + (l - 0xDC00)
          i = i + 6
        end
      end
      if cp >= 0xD800 and cp <= 0xDFFF then
        out[#out + 1] = "\u{FFFD}" -- a lone surrogate: no UTF-8 for it
      else
        out[#out + 1] = utf8.char(cp)
      end
    end
  end
end

local scan

local function parse_object(s, i)
  local obj, order = setmetatable({}, OBJECT), {}
  ORDER[obj] = order
  i = skip(s, i)
  if s:sub(i, i) ~= "}" then
    while true do
      if s:sub(i, i) ~= '"' then fail(s, "Expecting property name enclosed in double quotes", i) end
      local key
      key, i = scanstring(s, i + 1)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then fail(s, "Expecting ':' delimiter", i) end
      i = skip(s, i + 1)
      local v
      v, i = scan(s, i)
      if obj[key] == nil then order[#order + 1] = key end
      obj[key] = v
      i = skip(s, i)
      if s:sub(i, i) == "}" then break end
      if s:sub(i, i) ~= "," then fail(s, "Expecting ',' delimiter", i) end
      i = skip(s, i + 1)
    end
  end
  return obj, i + 1
end

local function parse_array(s, i)
  local arr = setmetatable({}, ARRAY)
  i = skip(s, i)
  if s:sub(i, i) ~= "]" then
    while true do
      local v
      v, i = scan(s, i)
      arr[#arr + 1] = v
      i = skip(s, i)
      if s:sub(i, i) == "]" then break end
      if s:sub(i, i) ~= "," then fail(s, "Expecting ',' delimiter", i) end
      i = skip(s, i + 1)
    end
  end
  return arr, i + 1
end

local function number(s, i)
  local start = i
  if s:sub(i, i) == "-" then
    i = i + 1
    if i > #s then stop(s, start) end
  end
  local c = s:sub(i, i)
  if c:match("[1-9]") then
    i = i + 1
    while s:sub(i, i):match("^%d$") do i = i + 1 end
  elseif c == "0" then
    i = i + 1
  else
    stop(s, start)
  end
  local float = false
  if s:sub(i, i) == "." and s:sub(i + 1, i + 1):match("^%d$") then
    float = true
    i = i + 2
    while s:sub(i, i):match("^%d$") do i = i + 1 end
  end
  if s:sub(i, i) == "e" or s:sub(i, i) == "E" then
    local e_start = i
    i = i + 1
    if s:sub(i, i) == "-" or s:sub(i, i) == "+" then i = i + 1 end
    local d = i
    while s:sub(i, i):match("^%d$") do i = i + 1 end
    if i > d then float = true else i = e_start end
  end
  local text = s:sub(start, i - 1)
  local v = tonumber(text)
  if float and math.type(v) == "integer" then v = v + 0.0 end
  if not float then v = math.tointeger(v) or v end
  return v, i
end

scan = function(s, i)
  local c = s:sub(i, i)
  if c == "" then stop(s, i) end
  if c == '"' then return scanstring(s, i + 1) end
  if c == "{" then return parse_object(s, i + 1) end
  if c == "[" then return parse_array(s, i + 1) end
  if c == "n" and s:sub(i, i + 3) == "null" then return M.null, i + 4 end
  if c == "t" and s:sub(i, i + 3) == "true" then return true, i + 4 end
  if c == "f" and s:sub(i, i + 4) == "false" then return false, i + 5 end
  if c == "N" and s:sub(i, i + 2) == "NaN" then return 0.0 / 0.0, i + 3 end
  if c == "I" and s:sub(i, i + 7) == "Infinity" then return math.huge, i + 8 end
  if c == "-" and s:sub(i, i + 8) == "-Infinity" then return -math.huge, i + 9 end
  return number(s, i)
end

function M.loads(s)
  if type(s) ~= "string" then return nil, "the JSON object must be str, bytes or bytearray, not " .. M.type_name(s) end
  local ok, v = pcall(function()
    if s:sub(1, 3) == "\239\187\191" then fail(s, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 1) end
    local val, i = scan(s, skip(s, 1))
    i = skip(s, i)
    if i <= #s then fail(s, "Extra data", i) end
    return val
  end)
  if ok then return v end
  if getmetatable(v) == Fail then return nil, v.message end
  error(v, 0)
end

---------------------------------------------------------------------------
-- repr and str

function M.type_name(v)
  local t = type(v)
  if t == "string" then return "str" end
  if t == "boolean" then return "bool" end
  if v == nil or v == M.null then return "NoneType" end
  if t == "number" then return math.type(v) == "integer" and "int" or "float" end
  if t == "table" then
    if M.is_object(v) then return "dict" end
    if M.is_array(v) or #v > 0 or next(v) == nil then return "list" end
    return "dict"
  end
  return t
end

-- Characters str.isprintable() rejects beyond ASCII controls (those repr
-- escapes): C1 controls, separators but space, format characters.
local function unprintable(cp)
  return (cp >= 0x80 and cp <= 0xA0) or cp == 0xAD or (cp >= 0x2000 and cp <= 0x200F)
    or (cp >= 0x2028 and cp <= 0x202F) or (cp >= 0x205F and cp <= 0x206F) or cp == 0x3000
    or cp == 0xFEFF or (cp >= 0xFFF9 and cp <= 0xFFFB) or (cp >= 0xD800 and cp <= 0xDFFF)
end

local function repr_string(s)
  local q = "'"
  if s:find("'", 1, true) and not s:find('"', 1, true) then q = '"' end
  local out = { q }
  local valid = utf8.len(s) ~= nil
  local function put(cp, raw)
    if raw == "\\" then out[#out + 1] = "\\\\"
    elseif raw == q then out[#out + 1] = "\\" .. q
    elseif raw == "\t" then out[#out + 1] = "\\t"
    elseif raw == "\n" then out[#out + 1] = "\\n"
    elseif raw == "\r" then out[#out + 1] = "\\r"
    elseif cp < 0x20 or cp == 0x7F then out[#out + 1] = ("\\x%02x"):format(cp)
    elseif cp >= 0x80 and unprintable(cp) then
      out[#out + 1] = cp <= 0xFF and ("\\x%02x"):format(cp) or ("\\u%04x"):format(cp)
    else out[#out + 1] = raw end
  end
  if valid then
    for _, cp in utf8.codes(s) do put(cp, utf8.char(cp)) end
  else
    for i = 1, #s do
      local b = s:byte(i)
      if b >= 0x80 then out[#out + 1] = ("\\udc%02x"):format(b) else put(b, string.char(b)) end
    end
  end
  out[#out + 1] = q
  return table.concat(out)
end

-- Python's float repr: the shortest text that reads back the same, in
-- exponent form when the exponent is below -4 or at least 16.
local function repr_float(x)
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  if x == 0 then return (1 / x < 0) and "-0.0" or "0.0" end
  local e_text
  for p = 1, 17 do
    e_text = ("%." .. (p - 1) .. "e"):format(x)
    if tonumber(e_text) == x then break end
  end
  local sign, digits, exp = e_text:match("^(-?)(%d[%.%d]*)e([-+]%d+)$")
  digits = digits:gsub("%.", "")
  exp = tonumber(exp)
  digits = digits:gsub("0+$", "")
  if digits == "" then digits = "0" end
  if exp < -4 or exp >= 16 then
    local mant = digits:sub(1, 1) .. (#digits > 1 and ("." .. digits:sub(2)) or "")
    return ("%s%se%s%02d"):format(sign, mant, exp < 0 and "-" or "+", math.abs(exp))
  end
  local point = exp + 1 -- digits before the point
  if point <= 0 then return sign .. "0." .. ("0"):rep(-point) .. digits end
  if point >= #digits then return sign .. digits .. ("0"):rep(point - #digits) .. ".0" end
  return sign .. digits:sub(1, point) .. "." .. digits:sub(point + 1)
end

function M.repr(v)
  local t = M.type_name(v)
  if t == "str" then return repr_string(v) end
  if t == "bool" then return v and "True" or "False" end
  if t == "NoneType" then return "None" end
  if t == "int" then return tostring(v) end
  if t == "float" then return repr_float(v) end
  if t == "list" then
    local parts = {}
    for i = 1, #v do parts[i] = M.repr(v[i]) end
    return "[" .. table.concat(parts, ", ") .. "]"
  end
  if t == "dict" then
    local parts = {}
    for _, k in ipairs(M.keys(v)) do parts[#parts + 1] = M.repr(k) .. ": " .. M.repr(v[k]) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

function M.str(v)
  if type(v) == "string" then return v end
  return M.repr(v)
end

return M
