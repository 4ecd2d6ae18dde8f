--[[ llm_provider.lua - what the OpenAI and Anthropic wire formats share.

  local base = require("llm_provider")
  local M = base.new{ name = "openai", path = "/chat/completions",
                      default_base = "https://api.openai.com/v1",
                      key_env = "OPENAI_API_KEY", base_env = "OPENAI_BASE_URL" }
  -- from the base: M.url(base_url), M.error_message(doc)
  -- each provider adds: M.headers(key), M.body(model, r) -> wire table,
  --   M.parse(doc, r) -> { text, usage, tool_calls } | nil, message
  base.count(v)            a token count (non-negative integer) or nil
  base.tool_id(name)       a valid function name for a tool name
  base.tool_names(r)       { wire = fn(name) -> id, name = fn(id) -> name }
  base.arguments(raw)      table | raw text, error   (a tool call's arguments)

Providers are pure functions over the neutral request (llm_request.lua):
no I/O; llm_http.lua sends and retries.

Tool names.  Both APIs want function names matching ^[a-zA-Z0-9_-]{1,64}$;
catalogue names have spaces and parentheses ("Edit Script (AI)").  Each
tool of a request gets a stable id: runs of other characters become one
"_", with none at either end ("Edit_Script_AI"), a clash gets "_2", "_3"
(in the order of the request's tools).  A call the model makes by an id
comes back by the tool's own name; a name the request does not know comes
back as the model wrote it (the catalogue then says it is not an action).
]]
local json = require("json")

local M = {}

function M.count(v)
  return math.type(v) and v >= 0 and v < 2 ^ 53 and math.tointeger(v) or nil
end

local function valid_id(s)
  return #s >= 1 and #s <= 64 and not s:find("[^%w_%-]")
end

function M.tool_id(name)
  local id = name:gsub("[^%w_%-]+", "_"):gsub("^_+", ""):gsub("_+$", "")
  if id == "" then id = "tool" end
  return id:sub(1, 64)
end

function M.tool_names(r)
  local to, from = {}, {}
  for _, t in ipairs(r.tools or {}) do
    local id = M.tool_id(t.name)
    local stem, k = id:sub(1, 60), 1
    while from[id] do
      k = k + 1
      id = stem .. "_" .. k
    end
    to[t.name], from[id] = id, t.name
  end
  return {
    wire = function(name)
      return to[name] or (valid_id(name) and name) or M.tool_id(name)
    end,
    name = function(id) return from[id] or id end,
  }
end

-- A tool call's arguments as the model wrote them (JSON text, or an
-- object some servers send decoded): a table, or the raw text and why it
-- is not one.  Empty text is no arguments.
function M.arguments(raw)
  if type(raw) == "table" then
    if rawlen(raw) > 0 then return json.canonical(raw), "the arguments are a list, not a JSON object" end
    return raw
  end
  if type(raw) ~= "string" then
    return raw == nil and "" or json.canonical(raw), "the arguments are not a JSON object"
  end
  if not raw:find("%S") then return {} end
  if not raw:find("^%s*{") then return raw, "the arguments are not a JSON object" end
  local v, err = json.decode(raw)
  if type(v) ~= "table" then
    return raw, "the arguments are not valid JSON (" .. tostring(err) .. ")"
  end
  return v
end

local function error_message(doc)
  if type(doc) == "table" and type(doc.error) == "table"
      and type(doc.error.message) == "string" then
    return doc.error.message
  end
  return nil
end

function M.new(p)
  local suffix = p.path
  function p.url(base)
    if base:sub(-#suffix) == suffix then return base end
    return (base:gsub("/+$", "")) .. suffix
  end
  p.error_message = error_message
  return p
end

return M
