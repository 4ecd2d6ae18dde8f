-- action_input.lua - the JSON object of an "Action Input", as models send it.
--
-- Models rarely send clean JSON: they wrap it in code fences, add prose
-- after it, quote with ' or """, write Python's True/None, leave a comma
-- before }, put raw newlines and unescaped quotes inside strings, or stop
-- half way.  parse() first tries the text as it is, then a repaired copy,
-- then (given the expected keys) slices the values out by key.  What it
-- could not read comes back as nil, message with the reason, so an agent
-- can tell the model what to fix.
--
--   action_input.parse(text [, keys]) -> table, notes | nil, message
--     keys: the argument names the action takes (enables the last two
--     fallbacks); notes: list of the repairs made (empty when clean)
--   action_input.example(keys) -> '{"a": "...", "b": "..."}'
local json = require("json")

local M = {}

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function snippet(s, n)
  n = n or 80
  s = s:gsub("%s+", " ")
  if #s > n then s = s:sub(1, n) .. "..." end
  return s
end

function M.example(keys)
  if not keys or #keys == 0 then return '{"name": "value"}' end
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = ('"%s": "..."'):format(k) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- The body of the first code fence, when one opens before the object.  A
-- fence the stop sequence cut off (no closing ```) keeps everything after.
local function unfence(s)
  local open = s:find("```", 1, true)
  local brace = s:find("{", 1, true)
  if not open or (brace and brace < open) then return s, false end
  local body_start = s:find("\n", open, true)
  if not body_start then return s:sub(open + 3), true end
  local close = s:find("```", body_start, true)
  return s:sub(body_start + 1, close and close - 1 or #s), true
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r",
                  ["\t"] = "\\t", ["\b"] = "\\b", ["\f"] = "\\f" }
local VALID_ESCAPE = { ['"'] = true, ["\\"] = true, ["/"] = true, b = true,
                       f = true, n = true, r = true, t = true, u = true }
local WORDS = { True = "true", False = "false", None = "null",
                ["true"] = "true", ["false"] = "false", ["null"] = "null" }

-- Does the quote at i end its string?  In valid JSON a closing quote is
-- followed by , } ] or : (after blanks); a quote followed by anything else
-- is a quote the model forgot to escape.
local function closes(s, i)
  local nxt = s:match("^%s*(.)", i + 1)
  return nxt == nil or nxt == "," or nxt == "}" or nxt == "]" or nxt == ":"
end

-- Reads the string that opens at i (quote q, 1 or 3 chars long) and
-- returns its JSON form and the index after it, or nil when it never ends.
local function read_string(s, i, q, out_notes)
  local out = { '"' }
  local j = i + #q
  while j <= #s do
    local c = s:sub(j, j)
    if c == "\\" then
      local d = s:sub(j + 1, j + 1)
      if d == "'" then
        out[#out + 1] = "'"
      elseif d == "\n" then -- luacheck: ignore 542
        -- a line continuation: nothing
      elseif VALID_ESCAPE[d] then
        out[#out + 1] = "\\" .. d
      else
        out[#out + 1] = "\\\\" .. (ESCAPES[d] or d)
      end
      j = j + 2
    elseif s:sub(j, j + #q - 1) == q and (#q == 3 or closes(s, j)) then
      out[#out + 1] = '"'
      return table.concat(out), j + #q
    else
      if c == '"' and q == '"' then out_notes.quotes = true end
      out[#out + 1] = ESCAPES[c] or (c:byte() < 32 and ("\\u%04x"):format(c:byte())) or c
      j = j + 1
    end
  end
  return nil
end

-- Scans the object that opens at `start` (a '{'), writing a repaired JSON
-- copy.  Returns the copy, the index of the closing brace and the repairs
-- made, or nil, message when the object is never closed.
local function repair(s, start)
  local out, notes, depth = {}, {}, 0
  local last = nil -- index in out of the last token outside strings
  local i = start
  while i <= #s do
    local c = s:sub(i, i)
    if c == '"' or c == "'" then
      local q = s:sub(i, i + 2)
      if q ~= '"""' and q ~= "'''" then q = c end
      if q ~= '"' then notes[#notes + 1] = "quotes " .. q .. " read as \"" end
      local str, nexti = read_string(s, i, q, notes)
      if not str then return nil, "a string opened at " .. snippet(s:sub(i, i + 30), 30) .. " is never closed" end
      out[#out + 1] = str
      last = #out
      i = nexti
    elseif c:match("[%a_]") then
      local word = s:match("^[%w_]+", i)
      local after = s:match("^%s*(.)", i + #word)
      if after == ":" then
        out[#out + 1] = '"' .. word .. '"'
        notes[#notes + 1] = "unquoted key " .. word
      elseif WORDS[word] then
        if WORDS[word] ~= word then notes[#notes + 1] = word .. " read as " .. WORDS[word] end
        out[#out + 1] = WORDS[word]
      else
        out[#out + 1] = word -- not JSON; decode will say so
      end
      last = #out
      i = i + #word
    else
      if (c == "}" or c == "]") and last and out[last] == "," then
        table.remove(out, last)
        notes[#notes + 1] = "trailing comma dropped"
      end
      out[#out + 1] = c
      if not c:match("%s") then last = #out end
      if c == "{" or c == "[" then
        depth = depth + 1
      elseif c == "}" or c == "]" then
        depth = depth - 1
        if depth == 0 then
          if notes.quotes then notes[#notes + 1] = "unescaped \" inside a string" end
          notes.quotes = nil
          return table.concat(out), i, notes
        end
      end
      i = i + 1
    end
  end
  return nil, "the JSON object is cut off: it has no closing '}'"
end

local function unquote(v)
  v = trim(v):gsub(",$", "")
  v = trim(v)
  local q = v:sub(1, 1)
  if (q == '"' or q == "'") and v:sub(-1) == q and #v >= 2 then
    v = v:sub(2, -2)
    v = v:gsub('\\(["\\nt\'])', { ['"'] = '"', ["\\"] = "\\", n = "\n", t = "\t", ["'"] = "'" })
  end
  return v
end

-- Last resort: find each expected key and take everything up to the next
-- one as its value (what models write when a value holds code or quotes).
local function by_keys(body, keys)
  local found = {}
  for _, k in ipairs(keys) do
    local pat = "[\"']" .. k:gsub("%p", "%%%0") .. "[\"']%s*:"
    local a, b = body:find(pat)
    if a then found[#found + 1] = { key = k, from = a, value_at = b + 1 } end
  end
  if #found == 0 then return nil end
  table.sort(found, function(x, y) return x.from < y.from end)
  local t = {}
  for i, f in ipairs(found) do
    local stop = found[i + 1] and found[i + 1].from - 1 or #body
    local v = body:sub(f.value_at, stop)
    if not found[i + 1] then v = v:gsub("%s*}%s*$", "") end
    v = unquote(v)
    t[f.key] = tonumber(v) and not v:find("^0%d") and math.tointeger(tonumber(v)) or v
  end
  return t
end

local function dedupe(list)
  local seen, out = {}, {}
  for _, v in ipairs(list) do
    if not seen[v] then seen[v] = true; out[#out + 1] = v end
  end
  return out
end

-- cjson reads every number as a float (line numbers must be integers) and
-- null as a sentinel (an argument given as null is an argument not given).
local function integers(t)
  for k, x in pairs(t) do
    if x == json.null then
      t[k] = nil
    elseif math.type(x) == "float" and math.tointeger(x) then
      t[k] = math.tointeger(x)
    elseif type(x) == "table" then
      integers(x)
    end
  end
  return t
end

function M.parse(text, keys)
  if type(text) ~= "string" then return nil, "Action Input is missing" end
  local notes = {}
  local s = text
  -- The stop text, when the model wrote it.
  local cut = s:find("\n%s*Observation%s*:")
  if cut then s = s:sub(1, cut - 1) end
  local fenced
  s, fenced = unfence(s)
  if fenced then notes[#notes + 1] = "code fence removed" end
  s = trim(s)
  if s == "" then
    return nil, "Action Input is empty: it must be a JSON object such as " .. M.example(keys)
  end
  local start = s:find("{", 1, true)
  if not start then
    -- One argument and a bare value: take the value as that argument.
    if keys and #keys == 1 and not s:find("\n") then
      notes[#notes + 1] = "bare value taken as " .. keys[1]
      return { [keys[1]] = unquote(s) }, notes
    end
    return nil, ("Action Input is not a JSON object (no '{' in %q); write it as %s"):format(
      snippet(s), M.example(keys))
  end
  if start > 1 then notes[#notes + 1] = "text before the object ignored" end
  local fixed, stop, rnotes = repair(s, start)
  if not fixed then
    -- Only an object the model closed: a cut-off one may hold half a file.
    local v = keys and s:sub(-1) == "}" and by_keys(s:sub(start), keys)
    if v then
      notes[#notes + 1] = "values read by key"
      return integers(v), dedupe(notes)
    end
    return nil, "Action Input is not valid JSON: " .. stop .. " (write it as " .. M.example(keys) .. ")"
  end
  if trim(s:sub(stop + 1)) ~= "" then notes[#notes + 1] = "text after the object ignored" end
  local v = json.decode(s:sub(start, stop))
  if v == nil then
    v = json.decode(fixed)
    for _, n in ipairs(rnotes) do notes[#notes + 1] = n end
  end
  if v == nil and keys then
    v = by_keys(s:sub(start, stop), keys)
    if v then notes[#notes + 1] = "values read by key" end
  end
  if v == nil then
    local _, err = json.decode(fixed)
    return nil, ("Action Input is not valid JSON (%s): %s"):format(
      tostring(err):gsub("^json: ", ""), snippet(s:sub(start, stop)))
  end
  if type(v) ~= "table" or (#v > 0 and next(v, #v) == nil) then
    return nil, "Action Input must be a JSON object such as " .. M.example(keys)
  end
  return integers(v), dedupe(notes)
end

return M
