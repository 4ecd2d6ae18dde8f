-- react_plus.lua - mlab's plain ReAct loop (Yao et al.), a variant of the
-- reference study's LangChain baseline (agents/react.lua is the port): it
-- shows Read File and Write File, asks for JSON Action Input, tolerates
-- the replies stdlib/reply.lua reads, keeps the prompt under a token
-- budget, cuts long observations to head and tail, answers an invalid
-- reply with "Invalid Format" (no step) instead of ending the run, and
-- asks at temperature 0.  docs/fidelity.md.
--
-- One growing prompt: the tools, the Thought / Action / Action Input /
-- Observation format, the question (the research problem), then every
-- step so far as the scratchpad.  No plan, no reflection, no memory but
-- the scratchpad, which is cut from the oldest step when it would not fit
-- the context window.  A reply without a usable action gets the
-- observation "Invalid Format: ..." (as LangChain does) and no step.
local reply = require("reply")
local prompt = require("prompt")
local observation = require("observation")
local tokens = require("tokens")

local M = {
  name = "react_plus",
  actions = { "List Files", "Read File", "Write File", "Inspect Script Lines", "Execute Script",
              "Edit Script (AI)", "Undo Edit Script", "Final Answer" },
  context_tokens = 6000,   -- the prompt is kept under this estimate
  observation_chars = 3000, -- longer observations keep head and tail
  max_invalid = 5,          -- invalid replies in a row before giving up
  max_tokens = 1000,
}

local TEMPLATE = [[
Answer the following question as best you can. You have access to the following tools:

{tools}

Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{names}]
Action Input: the input to the action, a JSON object
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question

Begin!

Question: {question}
]]

-- The scratchpad, dropping the oldest steps until the prompt fits.
local function scratchpad(head, steps, budget)
  local first, used = #steps + 1, tokens.estimate(head)
  for i = #steps, 1, -1 do
    local cost = tokens.estimate(steps[i])
    if used + cost > budget then break end
    used, first = used + cost, i
  end
  local out = {}
  if first > 1 then out[1] = ("(%d earlier steps left out)\n"):format(first - 1) end
  for i = first, #steps do out[#out + 1] = steps[i] end
  return table.concat(out)
end

function M.run(ctx)
  local specs = ctx.actions:specs(M.actions)
  local head = prompt.render(TEMPLATE, {
    tools = prompt.describe_actions(specs),
    names = table.concat(M.actions, ", "),
    question = ctx.task.problem or "",
  })
  local steps, invalid = {}, 0
  while true do
    local text = head .. scratchpad(head, steps, M.context_tokens) .. "Thought:"
    local r, err, kind = ctx.llm:chat({
      messages = { { role = "user", content = text } },
      max_tokens = M.max_tokens, temperature = 0, stop = { "\nObservation:" },
    })
    if not r then
      if kind == "budget" then return end
      error("the model call failed: " .. tostring(err), 0)
    end
    -- The prompt ends with "Thought:", so the reply starts inside it.
    local out = r.text
    if not out:match("^%s*Thought%s*:") and not out:match("^%s*Final Answer") then
      out = "Thought: " .. out:gsub("^%s+", "")
    end
    local step, perr = reply.react(out, { actions = specs })
    if not step then
      invalid = invalid + 1
      if invalid >= M.max_invalid then error("no valid reply after " .. invalid .. " tries: " .. perr, 0) end
      steps[#steps + 1] = out:gsub("%s+$", "") .. "\nObservation: Invalid Format: " .. perr .. "\n"
    else
      invalid = 0
      local obs, info = ctx.actions:run(step.action, step.input or step.raw_input)
      if info.final then return end
      local body = out:gsub("\n%s*Observation%s*:.*$", ""):gsub("%s+$", "")
      steps[#steps + 1] = body .. "\nObservation: "
        .. observation.truncate(obs, M.observation_chars) .. "\n"
    end
  end
end

return M
