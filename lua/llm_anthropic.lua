-- llm_anthropic.lua - the Anthropic Messages API wire format.
--
-- Pure functions, no I/O: llm.lua sends and retries.  The system prompt is
-- a top-level field, never a message; max_tokens is required; replies are
-- a list of content blocks whose text blocks we join.

local M = {
  name = "anthropic",
  default_base = "https://api.anthropic.com/v1",
  key_env = "ANTHROPIC_API_KEY",
  base_env = "ANTHROPIC_BASE_URL",
  version = "2023-06-01",
}

function M.url(base)
  if base:match("/messages$") then
    return base
  end
  return (base:gsub("/+$", "")) .. "/messages"
end

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

-- Messages with role "system" (OpenAI habit) join the system field, in
-- order after req.system, since the API refuses them in the list.
function M.body(model, req)
  local system = {}
  if req.system then
    system[1] = req.system
  end
  local messages = {}
  for _, m in ipairs(req.messages) do
    if m.role == "system" then
      system[#system + 1] = m.content
    else
      messages[#messages + 1] = { role = m.role, content = m.content }
    end
  end
  local body = {
    model = model,
    messages = messages,
    max_tokens = req.max_tokens,
    temperature = req.temperature,
  }
  if #system > 0 then
    body.system = table.concat(system, "\n\n")
  end
  if req.stop and #req.stop > 0 then
    body.stop_sequences = req.stop
  end
  return body
end

local function count(v)
  return math.type(v) and v >= 0 and math.tointeger(v) or nil
end

-- Cached input is still input: the budget counts what the prompt cost.
local function usage_of(u)
  if type(u) ~= "table" or not count(u.input_tokens)
      or not count(u.output_tokens) then
    return nil
  end
  local prompt = count(u.input_tokens)
  for _, k in ipairs({ "cache_creation_input_tokens",
                       "cache_read_input_tokens" }) do
    prompt = prompt + (count(u[k]) or 0)
  end
  return { prompt = prompt, completion = count(u.output_tokens) }
end

-- text, usage (nil when the reply has none) | nil, message
function M.parse(doc)
  if doc.type == "error" then
    return nil, "reply is an error: " .. (M.error_message(doc) or "?")
  end
  local content = doc.content
  if type(content) ~= "table" then
    return nil, "reply has no content blocks"
  end
  local parts = {}
  for i, block in ipairs(content) do
    if type(block) ~= "table" then
      return nil, "content block " .. i .. " is not an object"
    end
    if block.type == "text" then
      if type(block.text) ~= "string" then
        return nil, "text block " .. i .. " has no text"
      end
      parts[#parts + 1] = block.text
    end
  end
  return table.concat(parts), usage_of(doc.usage)
end

function M.error_message(doc)
  if type(doc) == "table" and type(doc.error) == "table"
      and type(doc.error.message) == "string" then
    return doc.error.message
  end
  return nil
end

return M
