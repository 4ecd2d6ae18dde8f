--[[ llm_record.lua - what the model layer writes to disk: one line per
call in llm.jsonl, numbered, scrubbed of secrets.

  local record = require("llm_record")
  local rec = record.new(host, secrets [, first_call])
  local n = rec.next()            -- the next call number (first_call + 1, ...)
  rec.write(line)                 -- redacted copy -> host.record; raises if it fails
  rec.message(text)               -- an error message as it may be kept and shown
  record.redact(text, secrets [, loose])  -> text
  record.secrets(key, key_env)    -> { key } | {}, and a note for stderr

Redaction touches only what is written (the line, and error messages,
which are records the agent also reads); reply text and tool calls reach
the agent exactly as the model wrote them, and requests reach the model
exactly as the agent wrote them.  A secret is an API key of at least
record.MIN_SECRET (8) bytes: shorter ones (`x`, `EMPTY`, `test`) are
placeholders that local servers accept, and replacing every "x" in a
record would make it useless and unreplayable.

Each secret is replaced by exact (plain, not pattern) search, left to
right, the pieces joined once: linear in the text's length, never a
copy per occurrence.  Error messages are scrubbed of the secrets whole,
then cut to record.MAX_MESSAGE bytes (a cut never leaves half a key),
then scrubbed of key shapes.
]]
local M = {}

M.MIN_SECRET = 8
M.MAX_MESSAGE = 4000
M.MARK = "[REDACTED]"

local function replace_plain(text, s)
  local a, b = text:find(s, 1, true)
  if not a then return text end
  local parts, n, i = {}, 0, 1
  while a do
    parts[n + 1] = text:sub(i, a - 1)
    parts[n + 2] = M.MARK
    n = n + 2
    i = b + 1
    a, b = text:find(s, i, true)
  end
  parts[n + 1] = text:sub(i)
  return table.concat(parts)
end

-- Each secret (plain text); with `loose` also anything shaped like a key
-- ("sk-" and 9 or more key characters) or a bearer token, for error
-- messages that may quote a key the run does not know.
function M.redact(text, secrets, loose)
  if type(text) ~= "string" then return text end
  for _, s in ipairs(secrets or {}) do
    if #s >= M.MIN_SECRET then text = replace_plain(text, s) end
  end
  if loose then
    text = text:gsub("sk%-[%w_%-]+", function(k)
      if #k >= 12 then return "sk-" .. M.MARK end
    end)
    text = text:gsub("([Bb]earer%s+)[^%s\"',]+", "%1" .. M.MARK)
  end
  return text
end

-- A copy of v with every string redacted; tables that hold no secret are
-- shared, not copied.
local function redact_deep(v, secrets)
  if type(v) == "string" then return M.redact(v, secrets) end
  if type(v) ~= "table" then return v end
  local copy
  for k, x in pairs(v) do
    local y = redact_deep(x, secrets)
    if y ~= x then
      copy = copy or {}
      copy[k] = y
    end
  end
  if not copy then return v end
  for k, x in pairs(v) do
    if copy[k] == nil then copy[k] = x end
  end
  return setmetatable(copy, getmetatable(v))
end

-- The run's secrets: the provider's key when it is long enough to be one.
-- Returns secrets, note (a line for stderr when the key is a placeholder).
function M.secrets(key, key_env)
  if not key or key == "" then return {}, nil end
  if #key < M.MIN_SECRET then
    return {}, ("mlab: %s has %d characters: a placeholder, not a secret; "
      .. "it is sent, and not scrubbed from records"):format(key_env, #key)
  end
  return { key }, nil
end

function M.new(host, secrets, first_call)
  local calls = first_call or 0
  local R = {}

  function R.next()
    calls = calls + 1
    return calls
  end

  function R.message(text)
    text = M.redact(tostring(text or ""), secrets)
    if #text > M.MAX_MESSAGE then
      text = text:sub(1, M.MAX_MESSAGE) .. ("... [%d more bytes]"):format(#text - M.MAX_MESSAGE)
    end
    return M.redact(text, nil, true)
  end

  function R.write(line)
    local ok, err = host.record(#secrets > 0 and redact_deep(line, secrets) or line)
    if not ok then error("llm: cannot record the call: " .. tostring(err), 0) end
  end

  return R
end

return M
