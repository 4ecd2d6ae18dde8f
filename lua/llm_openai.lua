-- llm_openai.lua - the OpenAI chat completions wire format.
--
-- Pure functions, no I/O: llm.lua sends and retries.  Works for any
-- OpenAI-compatible server (vLLM, llama.cpp server, Ollama's /v1).

local M = {
  name = "openai",
  default_base = "https://api.openai.com/v1",
  key_env = "OPENAI_API_KEY",
  base_env = "OPENAI_BASE_URL",
}

function M.url(base)
  if base:match("/chat/completions$") then
    return base
  end
  return (base:gsub("/+$", "")) .. "/chat/completions"
end

-- A local server needs no key; then no Authorization header is sent.
function M.headers(key)
  local h = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then
    h["Authorization"] = "Bearer " .. key
  end
  return h
end

-- req is llm.lua's normalised request; the system prompt becomes the
-- first message, as the format has no field for it.
function M.body(model, req)
  local messages = {}
  if req.system then
    messages[1] = { role = "system", content = req.system }
  end
  for _, m in ipairs(req.messages) do
    messages[#messages + 1] = { role = m.role, content = m.content }
  end
  local body = {
    model = model,
    messages = messages,
    max_tokens = req.max_tokens,
    temperature = req.temperature,
  }
  if req.stop and #req.stop > 0 then
    body.stop = req.stop
  end
  return body
end

local function count(v)
  return math.type(v) and v >= 0 and math.tointeger(v) or nil
end

-- text, usage (nil when the reply has none) | nil, message
function M.parse(doc)
  local choices = doc.choices
  if type(choices) ~= "table" or type(choices[1]) ~= "table" then
    return nil, "reply has no choices"
  end
  local message = choices[1].message
  if type(message) ~= "table" or type(message.content) ~= "string" then
    return nil, "reply has no choices[1].message.content"
  end
  local usage
  local u = doc.usage
  if type(u) == "table" and count(u.prompt_tokens)
      and count(u.completion_tokens) then
    usage = { prompt = count(u.prompt_tokens),
              completion = count(u.completion_tokens) }
  end
  return message.content, usage
end

-- The provider's own words from an error body, if any.
function M.error_message(doc)
  if type(doc) == "table" and type(doc.error) == "table"
      and type(doc.error.message) == "string" then
    return doc.error.message
  end
  return nil
end

return M
