-- llm_anthropic.lua - the Anthropic Messages API wire format, with tool
-- use.  Pure functions over the neutral request (llm_request.lua); the
-- shared parts are in llm_provider.lua.
--
--   system        -> the top-level system field (messages with role
--                    "system" join it, in order, after req.system)
--   stop          -> stop_sequences; max_tokens always sent (required)
--   tools         -> tools = { { name = id, description, input_schema } }
--   assistant with tool_calls -> content blocks: a text block (when the
--                    text is not empty), then { type = "tool_use", id,
--                    name = id, input = arguments }
--   role "tool"   -> a { type = "tool_result", tool_use_id, content,
--                    is_error } block in a user message; results that
--                    follow each other share one message, and a user
--                    text right after them joins it as a text block
--                    (results first, as the API requires)
--   reply         -> text blocks joined, tool_use blocks as tool calls;
--                    usage input (+ cached input) / output tokens
local base = require("llm_provider")

local M = base.new({
  name = "anthropic",
  path = "/messages",
  default_base = "https://api.anthropic.com/v1",
  key_env = "ANTHROPIC_API_KEY",
  base_env = "ANTHROPIC_BASE_URL",
})
M.version = "2023-06-01"

function M.headers(key)
  local h = {
    ["Content-Type"] = "application/json",
    ["anthropic-version"] = M.version,
  }
  if key and key ~= "" then
    h["x-api-key"] = key
  end
  return h
end

function M.body(model, r)
  local names = base.tool_names(r)
  local system = {}
  if r.system then
    system[1] = r.system
  end
  local messages = {}
  -- the blocks of the last message when it is a user message of blocks
  local function user_blocks()
    local last = messages[#messages]
    if last and last.role == "user" and type(last.content) == "table" then
      return last.content
    end
  end
  for _, m in ipairs(r.messages) do
    if m.role == "system" then
      system[#system + 1] = m.content
    elseif m.role == "tool" then
      local block = { type = "tool_result", tool_use_id = m.tool_call_id,
                      content = m.content, is_error = m.is_error }
      local blocks = user_blocks()
      if blocks then
        blocks[#blocks + 1] = block
      else
        messages[#messages + 1] = { role = "user", content = { block } }
      end
    elseif m.role == "user" and user_blocks() then
      local blocks = user_blocks()
      blocks[#blocks + 1] = { type = "text", text = m.content }
    elseif m.tool_calls then
      local blocks = {}
      if m.content ~= "" then
        blocks[1] = { type = "text", text = m.content }
      end
      for _, c in ipairs(m.tool_calls) do
        blocks[#blocks + 1] = { type = "tool_use", id = c.id, name = names.wire(c.name),
          input = type(c.arguments) == "table" and c.arguments or {} }
      end
      messages[#messages + 1] = { role = "assistant", content = blocks }
    else
      messages[#messages + 1] = { role = m.role, content = m.content }
    end
  end
  local body = {
    model = model,
    messages = messages,
    max_tokens = r.max_tokens,
    temperature = r.temperature,
  }
  if #system > 0 then
    body.system = table.concat(system, "\n\n")
  end
  if r.stop and #r.stop > 0 then
    body.stop_sequences = r.stop
  end
  if r.tools then
    local tools = {}
    for i, t in ipairs(r.tools) do
      tools[i] = { name = names.wire(t.name), description = t.description,
                   input_schema = t.parameters }
    end
    body.tools = tools
  end
  return body
end

-- Cached input is still input: the budget counts what the prompt cost.
local function usage_of(u)
  if type(u) ~= "table" or not base.count(u.input_tokens)
      or not base.count(u.output_tokens) then
    return nil
  end
  local prompt = base.count(u.input_tokens)
  for _, k in ipairs({ "cache_creation_input_tokens",
                       "cache_read_input_tokens" }) do
    prompt = prompt + (base.count(u[k]) or 0)
  end
  return { prompt = prompt, completion = base.count(u.output_tokens) }
end

-- { text, usage (nil when the reply has none), tool_calls } | nil, message
function M.parse(doc, r)
  if doc.type == "error" then
    return nil, "reply is an error: " .. (M.error_message(doc) or "?")
  end
  local content = doc.content
  if type(content) ~= "table" then
    return nil, "reply has no content blocks"
  end
  local names = base.tool_names(r or {})
  local parts, calls = {}, {}
  for i, block in ipairs(content) do
    if type(block) ~= "table" then
      return nil, "content block " .. i .. " is not an object"
    end
    if block.type == "text" then
      if type(block.text) ~= "string" then
        return nil, "text block " .. i .. " has no text"
      end
      parts[#parts + 1] = block.text
    elseif block.type == "tool_use" then
      if type(block.id) ~= "string" or type(block.name) ~= "string" then
        return nil, "tool_use block " .. i .. " has no id or name"
      end
      local args, err
      if type(block.input) == "string" then
        args, err = block.input, "the input is text, not a JSON object"
      else
        args, err = base.arguments(block.input)
      end
      calls[#calls + 1] = { id = block.id, name = names.name(block.name),
                            arguments = args, error = err }
    end
  end
  return { text = table.concat(parts), usage = usage_of(doc.usage),
           tool_calls = #calls > 0 and calls or nil }
end

return M
