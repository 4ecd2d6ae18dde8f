--[[ llm_request.lua - the agent's request to ctx.llm:chat, read safely
into the neutral form that the providers, the records and the cassette
start from.

  local request = require("llm_request")
  local r, err, why = request.copy(req, max_tokens_default)
  -- r: the neutral request (below); or nil, message, "misuse" | "cap"
  request.estimate_prompt(r), request.estimate_call(r), request.estimate_reply(reply)

The agent's tables are read with raw access only (rawget, rawlen, next,
type): no __index, __len, __pairs, __tostring or __eq of the agent's
ever runs, so the copy may be made before the guarded call (where the
deadline hook is lifted) and the guarded call sees only the copy.  The
copy is bounded: request.MAX_BYTES of text in all, request.MAX_ITEMS
table entries, JSON values request.MAX_DEPTH deep.

The neutral form (docs/models.md, "Messages and tool calls"):

  { system = "..." | nil,
    messages = {
      { role = "system" | "user", content = "..." },
      { role = "assistant", content = "...",
        tool_calls = { { id = "...", name = "...", arguments = {...} | "raw" } } | nil },
      { role = "tool", tool_call_id = "...", content = "...", is_error = true | nil },
    },
    tools = { { name = "...", description = "...", parameters = <JSON Schema> } } | nil,
    max_tokens = n, temperature = x | nil, stop = { "..." } | nil }

Tools come as ctx.actions:specs() entries ({ name, description, args =
{ { name, type, description, optional } }, returns }), whose args become a
JSON Schema object, or with a JSON Schema of their own in `parameters`.
]]
local json = require("json")
local tokens = require("tokens")

local M = {}

M.MAX_BYTES = 8 * 1024 * 1024
M.MAX_ITEMS = 100000
M.MAX_DEPTH = 32
M.MAX_TOOLS = 256

local NULL = json.null
local ROLES = { system = true, user = true, assistant = true, tool = true }
local ARG_TYPES = { string = true, integer = true, number = true, boolean = true,
                    object = true, array = true }

-- Failures inside the copy are raised as { why, msg } and caught once.
local function fail(msg)
  error({ why = "misuse", msg = "llm:chat: " .. msg }, 0)
end

local function new_budget()
  return { bytes = 0, items = 0 }
end

local function too_large()
  error({ why = "cap", msg = ("llm:chat: the request is too large (more than %d MB of "
    .. "text or %d items); send a shorter history"):format(M.MAX_BYTES // 1048576,
    M.MAX_ITEMS) }, 0)
end

local function spend(b, bytes)
  b.bytes = b.bytes + bytes
  b.items = b.items + 1
  if b.bytes > M.MAX_BYTES or b.items > M.MAX_ITEMS then too_large() end
end

local function is_finite(v)
  return v == v and v ~= math.huge and v ~= -math.huge
end

-- A JSON value: strings, finite numbers, booleans, json.null, and tables
-- that are either lists (keys 1..n) or objects (string keys).
local function value(v, b, depth, where)
  local tv = type(v)
  if tv == "string" then
    spend(b, #v)
    return v
  elseif tv == "number" then
    if not is_finite(v) then fail(where .. " holds a number JSON cannot write") end
    spend(b, 8)
    return v
  elseif tv == "boolean" or v == NULL then
    spend(b, 1)
    return v
  elseif tv ~= "table" then
    fail(where .. " holds a " .. tv .. ", which JSON cannot write")
  end
  if depth > M.MAX_DEPTH then fail(where .. " is nested more than " .. M.MAX_DEPTH .. " levels") end
  spend(b, 1)
  local out, ints, strs = {}, 0, 0
  local k, x = next(v)
  while k ~= nil do
    if type(k) == "string" then
      strs = strs + 1
      spend(b, #k)
    elseif math.type(k) == "integer" and k >= 1 then
      ints = ints + 1
    else
      fail(where .. " has a key that is neither a name nor a list index")
    end
    out[k] = value(x, b, depth + 1, where)
    k, x = next(v, k)
  end
  if ints > 0 then
    if strs > 0 then fail(where .. " mixes list items and named fields") end
    for i = 1, ints do
      if out[i] == nil then fail(where .. " is a list with holes") end
    end
  end
  return out
end

local function str(t, k, where, optional)
  local v = rawget(t, k)
  if v == nil and optional then return nil end
  if type(v) ~= "string" then fail(where .. "." .. k .. " must be a string") end
  return v
end

local function list(t, k, where)
  local v = rawget(t, k)
  if v == nil then return nil, 0 end
  if type(v) ~= "table" then fail(where .. "." .. k .. " must be a list") end
  return v, rawlen(v)
end

local function tool_calls(m, b, where)
  local calls, n = list(m, "tool_calls", where)
  if n == 0 then return nil end
  local out = {}
  for j = 1, n do
    local c = rawget(calls, j)
    local w = ("%s.tool_calls[%d]"):format(where, j)
    if type(c) ~= "table" then fail(w .. " must be a table { id, name, arguments }") end
    local id, name = str(c, "id", w), str(c, "name", w)
    spend(b, #id + #name)
    local args = rawget(c, "arguments")
    if args == nil then
      args = {}
    elseif type(args) == "table" then
      args = value(args, b, 1, w .. ".arguments")
    elseif type(args) == "string" then
      spend(b, #args)
    else
      fail(w .. ".arguments must be a table or the raw text")
    end
    out[j] = { id = id, name = name, arguments = args }
  end
  return out
end

local function message(m, b, i)
  local where = ("messages[%d]"):format(i)
  if type(m) ~= "table" then fail(where .. " must be a table { role, content }") end
  local role = rawget(m, "role")
  if type(role) ~= "string" or not ROLES[role] then
    fail(where .. ".role must be system, user, assistant or tool")
  end
  local out = { role = role }
  if role == "assistant" then
    out.tool_calls = tool_calls(m, b, where)
    out.content = str(m, "content", where, out.tool_calls ~= nil) or ""
  else
    out.content = str(m, "content", where)
  end
  if role == "tool" then
    out.tool_call_id = str(m, "tool_call_id", where)
    spend(b, #out.tool_call_id)
    local e = rawget(m, "is_error")
    if e ~= nil and type(e) ~= "boolean" then fail(where .. ".is_error must be a boolean") end
    out.is_error = e or nil
  end
  spend(b, #out.content)
  return out
end

-- A catalogue entry's args as a JSON Schema object.
local function schema_of(args, b, where)
  local props, required = {}, {}
  for j = 1, rawlen(args) do
    local a = rawget(args, j)
    local w = ("%s.args[%d]"):format(where, j)
    if type(a) ~= "table" then fail(w .. " must be a table { name, type, description }") end
    local name = str(a, "name", w)
    local ty = str(a, "type", w, true) or "string"
    if not ARG_TYPES[ty] then fail(w .. ".type must be string, integer, number, boolean, object or array") end
    local desc = str(a, "description", w, true)
    spend(b, #name + #(desc or ""))
    props[name] = { type = ty, description = desc }
    if not rawget(a, "optional") then required[#required + 1] = name end
  end
  local s = { type = "object", properties = props }
  if #required > 0 then s.required = required end
  return s
end

local function tool(t, b, i, seen)
  local where = ("tools[%d]"):format(i)
  if type(t) ~= "table" then fail(where .. " must be a table { name, description, args }") end
  local name = str(t, "name", where)
  if name == "" or seen[name] then fail(where .. ".name must be a new, non-empty name") end
  seen[name] = true
  local desc = str(t, "description", where, true) or ""
  local returns = str(t, "returns", where, true)
  if returns and returns ~= "" then desc = desc .. (desc ~= "" and "\n" or "") .. "Returns: " .. returns end
  spend(b, #name + #desc)
  local params = rawget(t, "parameters")
  if params ~= nil then
    if type(params) ~= "table" then fail(where .. ".parameters must be a JSON Schema table") end
    params = value(params, b, 1, where .. ".parameters")
  else
    local args = rawget(t, "args")
    if args ~= nil and type(args) ~= "table" then fail(where .. ".args must be a list") end
    params = schema_of(args or {}, b, where)
  end
  return { name = name, description = desc, parameters = params }
end

local function positive_integer(v)
  return type(v) == "number" and v >= 1 and v == math.floor(v) and v < 2 ^ 53
end

local function copy(req, max_tokens)
  if type(req) ~= "table" then fail("expects a table { messages = {...}, ... }") end
  local b = new_budget()
  local r = {}
  local messages, n = list(req, "messages", "request")
  if not messages or n == 0 then fail("messages must be a non-empty list") end
  if n > M.MAX_ITEMS then too_large() end
  r.messages = {}
  for i = 1, n do r.messages[i] = message(rawget(messages, i), b, i) end
  r.system = str(req, "system", "request", true)
  spend(b, #(r.system or ""))
  local mt = rawget(req, "max_tokens")
  if mt == nil then mt = max_tokens end
  if not positive_integer(mt) then fail("max_tokens must be a positive integer") end
  r.max_tokens = math.tointeger(mt)
  local temp = rawget(req, "temperature")
  if temp ~= nil and (type(temp) ~= "number" or not is_finite(temp)) then
    fail("temperature must be a number")
  end
  r.temperature = temp
  local stop = rawget(req, "stop")
  if type(stop) == "string" then
    r.stop = { stop }
  elseif type(stop) == "table" then
    local s = {}
    for i = 1, rawlen(stop) do
      local x = rawget(stop, i)
      if type(x) ~= "string" then fail("stop[" .. i .. "] must be a string") end
      spend(b, #x)
      s[i] = x
    end
    r.stop = #s > 0 and s or nil
  elseif stop ~= nil then
    fail("stop must be a string or a list of strings")
  end
  local tools, nt = list(req, "tools", "request")
  if nt > M.MAX_TOOLS then fail("at most " .. M.MAX_TOOLS .. " tools") end
  if tools and nt > 0 then
    r.tools = {}
    local seen = {}
    for i = 1, nt do r.tools[i] = tool(rawget(tools, i), b, i, seen) end
  end
  return r
end

-- r | nil, message, "misuse" (the caller raises) | "cap" (the agent may
-- go on with less)
function M.copy(req, max_tokens)
  local ok, r = pcall(copy, req, max_tokens)
  if ok then return r end
  if type(r) == "table" and r.why then return nil, r.msg, r.why end
  error(r, 0) -- the host's own fault (memory): not the agent's to handle
end

---------------------------------------------------------------------------
-- Estimates, for the token budget only (the provider's usage replaces
-- them after the call): stdlib/tokens.lua per text, a few tokens of
-- framing per message, tools and arguments by their JSON.

local function args_tokens(args)
  if type(args) == "string" then return tokens.estimate(args) end
  return tokens.estimate(json.canonical(args))
end

function M.estimate_prompt(r)
  local n = 3
  if r.system then n = n + tokens.estimate(r.system) + 4 end
  for _, m in ipairs(r.messages) do
    n = n + 4 + tokens.estimate(m.content)
    for _, c in ipairs(m.tool_calls or {}) do
      n = n + 4 + tokens.estimate(c.name) + args_tokens(c.arguments)
    end
  end
  if r.tools then n = n + tokens.estimate(json.canonical(r.tools)) end
  return n
end

-- What a call may cost at most: the prompt plus every token it may write.
function M.estimate_call(r)
  return M.estimate_prompt(r) + r.max_tokens
end

-- Completion tokens of a reply that came without usage.
function M.estimate_reply(text, calls)
  local n = tokens.estimate(text)
  for _, c in ipairs(calls or {}) do
    n = n + 4 + tokens.estimate(c.name) + args_tokens(c.arguments)
  end
  return n
end

return M
