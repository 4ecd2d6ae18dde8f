--[[ context.lua - token length and context trouble.

  local labels = require("context")(view)

Rules:
  too_long        an action or the environment refused or failed an input
                  for its length ("too long input for the tool", "context
                  length", "maximum context", "token limit", ...);
  call_refused    a model call refused for length or for the token budget
                  (a bad_request that says so, or a budget refusal);
  token_budget    the run ended because its token budget was spent;
  reply_cut       a reply that stopped at its max_tokens before it gave an
                  action (the model ran out of room);
  reply_empty     a reply with no text at all;
  prompt_cut      a prompt longer than its server kept (usage.prompt over
                  request.max_input_tokens: the model saw only a part);
  output_cut      an observation truncated by the harness for length.
One label per rule, with the first few places as evidence.
]]
local lib = require("fm_lib")

local LENGTH = { "too long input", "too long for", "prompt is too long", "context length",
  "maximum context", "context window", "token limit", "maximum number of tokens",
  "reduce the length", "too many tokens", "input is too long", "exceeds the limit" }
local CUT_MARKS = { "bytes of output truncated", "bytes not recorded here" }

local function find_any(text, list)
  local l = tostring(text or ""):lower()
  for _, w in ipairs(list) do
    if l:find(w, 1, true) then return w end
  end
  return nil
end

return function(v)
  local findings = lib.findings("context", { quote = 120, one_per_step = true })
  local function add(...) findings:add(...) end
  for _, s in ipairs(v.steps) do
    local obs = s.error and ("error: " .. tostring(s.error)) or tostring(s.observation or "")
    local failed = s.error ~= nil or obs:match("^EnvError") or obs:match("^LLMError")
    if failed and find_any(obs, LENGTH) then
      add("too_long", "an input was refused or failed for its length", s.step, obs)
    end
    if find_any(obs, CUT_MARKS) or (type(s.result) == "table" and s.result.truncated == true) then
      add("output_cut", "an observation was truncated for length", s.step,
        find_any(obs, CUT_MARKS) or "output truncated")
    end
  end
  for _, c in ipairs(v.run:calls()) do
    local step = (tonumber(c.step) or 0) + 1
    local e = type(c.error) == "table" and c.error or nil
    if e and e.kind == "budget" then
      add("call_refused", "a model call was refused for the token budget", step, e.message)
    elseif e and (e.kind == "bad_request" or e.kind == "server") and find_any(e.message, LENGTH) then
      add("call_refused", "a model call was refused for its length", step, e.message)
    end
    local limit = type(c.request) == "table" and tonumber(c.request.max_input_tokens)
    local ptok = type(c.usage) == "table" and tonumber(c.usage.prompt)
    if limit and ptok and ptok > limit then
      add("prompt_cut", ("a prompt was longer than the %d tokens its server kept"):format(limit), step,
        ("%d prompt tokens"):format(ptok))
    end
    if type(c.reply) == "string" and not e or (e and e.kind == "bad_reply" and type(c.reply) == "string") then
      local text = c.reply
      local max = type(c.request) == "table" and tonumber(c.request.max_tokens)
      local used = type(c.usage) == "table" and tonumber(c.usage.completion)
      if not text:find("%S") and not (c.imported and c.imported.note) then
        add("reply_empty", "a reply was empty", step, "(empty reply)")
      elseif max and used and used >= max and not text:lower():find("action input", 1, true)
          and not (type(c.tool_calls) == "table" and #c.tool_calls > 0) then
        add("reply_cut", ("a reply stopped at its limit of %d tokens before giving an action"):format(max),
          step, text:sub(-100))
      end
    end
  end
  if v.m.budget_kind == "tokens" or v.how == "token_limit" then
    add("token_budget", "the run ended with its token budget spent", #v.steps, v.m.message or "tokens")
  end
  return findings:labels()
end
