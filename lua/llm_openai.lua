-- llm_openai.lua - the OpenAI chat completions wire format, with function
-- calling.  Works for any OpenAI-compatible server (vLLM, llama.cpp
-- server, Ollama's /v1).  Pure functions over the neutral request
-- (llm_request.lua); the shared parts are in llm_provider.lua.
--
--   system         -> the first message, role "system"
--   tools          -> tools = { { type = "function", function = { name = id,
--                                 description, parameters } } }
--   assistant with tool_calls -> content (null when empty) and tool_calls =
--                     { { id, type = "function", function = { name = id,
--                         arguments = JSON text } } }
--   role "tool"    -> { role = "tool", tool_call_id, content }
--   reply          -> choices[1].message: content (may be null when it
--                     calls tools) and tool_calls; usage prompt_tokens /
--                     completion_tokens
local json = require("json")
local base = require("llm_provider")

local M = base.new({
  name = "openai",
  path = "/chat/completions",
  default_base = "https://api.openai.com/v1",
  key_env = "OPENAI_API_KEY",
  base_env = "OPENAI_BASE_URL",
})

-- A local server needs no key; then no Authorization header is sent.
function M.headers(key)
  local h = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then
    h["Authorization"] = "Bearer " .. key
  end
  return h
end

local function wire_calls(calls, names)
  local out = {}
  for i, c in ipairs(calls) do
    local args = c.arguments
    out[i] = { id = c.id, type = "function", ["function"] = {
      name = names.wire(c.name),
      arguments = type(args) == "string" and args or json.canonical(args) } }
  end
  return out
end

function M.body(model, r)
  local names = base.tool_names(r)
  local messages = {}
  if r.system then
    messages[1] = { role = "system", content = r.system }
  end
  for _, m in ipairs(r.messages) do
    local w
    if m.role == "tool" then
      w = { role = "tool", tool_call_id = m.tool_call_id, content = m.content }
    elseif m.tool_calls then
      w = { role = "assistant", content = m.content ~= "" and m.content or json.null,
            tool_calls = wire_calls(m.tool_calls, names) }
    else
      w = { role = m.role, content = m.content }
    end
    messages[#messages + 1] = w
  end
  local body = {
    model = model,
    messages = messages,
    max_tokens = r.max_tokens,
    temperature = r.temperature,
  }
  if r.stop and #r.stop > 0 then
    body.stop = r.stop
  end
  if r.tools then
    local tools = {}
    for i, t in ipairs(r.tools) do
      tools[i] = { type = "function", ["function"] = { name = names.wire(t.name),
        description = t.description, parameters = t.parameters } }
    end
    body.tools = tools
  end
  return body
end

local function parse_calls(list, names)
  if list == nil or list == json.null then return nil end
  if type(list) ~= "table" then return nil, "tool_calls is not a list" end
  if #list == 0 then return nil end
  local calls = {}
  for i, c in ipairs(list) do
    local fn = type(c) == "table" and c["function"]
    if type(fn) ~= "table" or type(fn.name) ~= "string" then
      return nil, "tool call " .. i .. " has no function name"
    end
    local args, err = base.arguments(fn.arguments)
    calls[i] = { id = type(c.id) == "string" and c.id or ("call_" .. i),
                 name = names.name(fn.name), arguments = args, error = err }
  end
  return calls
end

-- { text, usage (nil when the reply has none), tool_calls } | nil, message
function M.parse(doc, r)
  local choices = doc.choices
  if type(choices) ~= "table" or type(choices[1]) ~= "table" then
    return nil, "reply has no choices"
  end
  local message = choices[1].message
  if type(message) ~= "table" then
    return nil, "reply has no choices[1].message"
  end
  local calls, cerr = parse_calls(message.tool_calls, base.tool_names(r or {}))
  if cerr then return nil, "reply's " .. cerr end
  local text = message.content
  if text == nil or text == json.null then
    if not calls then return nil, "reply has no choices[1].message.content" end
    text = ""
  elseif type(text) ~= "string" then
    return nil, "reply's choices[1].message.content is not text"
  end
  local usage
  local u = doc.usage
  if type(u) == "table" and base.count(u.prompt_tokens)
      and base.count(u.completion_tokens) then
    usage = { prompt = base.count(u.prompt_tokens),
              completion = base.count(u.completion_tokens) }
  end
  return { text = text, usage = usage, tool_calls = calls }
end

return M
