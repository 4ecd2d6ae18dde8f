-- tools.lua - an agent driven by native tool calls (OpenAI function
-- calling, Anthropic tool use): the way current models are usually run.
--
-- The action catalogue goes to the model as tools (ctx.actions:specs():
-- the same actions, arguments and descriptions the text agents see).
-- Each tool call the model makes is one step, ctx.actions:run(name,
-- arguments), and the step's observation goes back as the tool result
-- (marked as an error when the action failed).  Arguments the model wrote
-- as malformed JSON are handed to the catalogue as text: its tolerant
-- reader repairs what it can, and otherwise the step's observation says
-- what was wrong, which the model reads and corrects.  A reply with no
-- tool call gets a reminder to use the tools.  The run ends with the
-- Final Answer tool.
--
-- The conversation is the neutral message form of docs/models.md:
--   { role = "assistant", content = text, tool_calls = reply.tool_calls }
--   { role = "tool", tool_call_id = call.id, content = observation, is_error = ... }
-- Older turns leave the prompt (whole: a call never without its result)
-- once it would pass context_tokens.
local json = require("json")
local observation = require("observation")
local tokens = require("tokens")

local M = {
  name = "tools",
  context_tokens = 12000,    -- the conversation is kept under this estimate
  observation_chars = 6000,  -- longer observations keep head and tail
  max_idle = 4,              -- replies in a row without a tool call
  max_tokens = 2000,
}

local SYSTEM = [[You are a careful machine-learning research assistant. You work in a folder with the tools you are given: read the files, run the scripts, change them, and measure every change by running the script again. Keep what improves the result. When you are done, call Final Answer with what you did and the result you measured.]]

local REMIND = "Please go on by calling one of the tools; call Final Answer when you are done."

-- The estimate of one turn's messages.
local function cost(turn)
  local n = 0
  for _, m in ipairs(turn) do
    n = n + 4 + tokens.estimate(m.content)
    for _, c in ipairs(m.tool_calls or {}) do
      n = n + 8 + tokens.estimate(type(c.arguments) == "string" and c.arguments
        or json.encode(c.arguments))
    end
  end
  return n
end

-- The first message, then the newest turns that fit.
local function conversation(first, turns, budget)
  local from, used = #turns + 1, cost({ first })
  for i = #turns, 1, -1 do
    local c = cost(turns[i])
    if used + c > budget and i < #turns then break end
    used, from = used + c, i
  end
  local messages = { first }
  if from > 1 then
    messages[1] = { role = "user", content = first.content
      .. ("\n\n(%d earlier turns were left out to fit the context.)"):format(from - 1) }
  end
  for i = from, #turns do
    for _, m in ipairs(turns[i]) do messages[#messages + 1] = m end
  end
  return messages
end

function M.run(ctx)
  local specs = ctx.actions:specs()
  local first = { role = "user", content = "Research Problem: " .. (ctx.task.problem or "") }
  local turns, idle = {}, 0
  while true do
    local r, err, kind = ctx.llm:chat({
      system = SYSTEM,
      messages = conversation(first, turns, M.context_tokens),
      tools = specs,
      max_tokens = M.max_tokens,
      temperature = 0,
    })
    if not r then
      if kind == "budget" then return end
      error("the model call failed: " .. tostring(err), 0)
    end
    local turn = { { role = "assistant", content = r.text, tool_calls = r.tool_calls } }
    turns[#turns + 1] = turn
    if not r.tool_calls then
      idle = idle + 1
      if idle >= M.max_idle then
        error("the model stopped calling tools (" .. idle .. " replies in a row)", 0)
      end
      turn[2] = { role = "user", content = REMIND }
    else
      idle = 0
      local done = false
      for _, call in ipairs(r.tool_calls) do
        local obs, info
        if done then
          obs, info = "Not run: the Final Answer was already given.", { ok = false }
        else
          -- malformed arguments go to the catalogue as the text they were
          obs, info = ctx.actions:run(call.name, call.arguments)
          done = info.final == true
        end
        turn[#turn + 1] = { role = "tool", tool_call_id = call.id,
          content = observation.truncate(obs, M.observation_chars),
          is_error = not info.ok or nil }
      end
      if done then return end
    end
  end
end

return M
