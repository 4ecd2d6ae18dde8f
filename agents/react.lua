-- react.lua - the reference study's ReAct baseline, ported: MLAgentBench's
-- LangChainAgent, i.e. LangChain's zero-shot-react-description agent
-- (ZeroShotAgent in an AgentExecutor, mid-2023) over the research agent's
-- tools, with its AnthropicOutputParser.
--
-- One growing prompt: LangChain's ZeroShotAgent template ("Answer the
-- following questions as best you can. ..."), each tool as "Name: " and
-- the reference's tool description with its usage block, the question
-- (the research problem), then the scratchpad: every reply so far, its
-- "Observation: ..." and "Thought:".  The model stops at "\nObservation:".
-- A reply is read as LangChain's MRKL parser read it, after the last
-- "Thought:": an Action and an Action Input (the input stripped of spaces
-- and quotes), or "Final Answer: ..." (then the run ends; mlab records it
-- as the Final Answer step); anything else made LangChain raise, and the
-- reference's run ended there: so does this one.  A tool it does not know
-- gets "X is not a valid tool, try another one." as its observation.  The
-- Action Input is read with the reference's JSON reader; LangChain's tool
-- raised when it failed (a TypeError in MLAgentBench's EnvTool), which
-- ended the run: so does this one.  No plan, no memory, no truncation; at
-- most agent_max_steps turns (LangChain's max_iterations).
--
-- Sampling as the reference ran it (ChatAnthropic): temperature 0.5, up to
-- 2000 tokens.  react_plus.lua is mlab's more forgiving variant.
local mlab = require("mlagentbench")
local pyjson = require("pyjson")

local M = {
  name = "react",
  agent_max_steps = 50,
  temperature = 0.5,
  max_tokens = 2000,
  stop = { "\nObservation:", "\n\tObservation:" },
}

-- The reference's runner removed the research log's actions for agents
-- other than the research agent.
M.TOOLS = { "List Files", "Copy File", "Undo Edit Script", "Execute Script", "Final Answer",
            "Understand File", "Inspect Script Lines", "Edit Script (AI)" }

M.PREFIX = "Answer the following questions as best you can. You have access to the following tools:"
M.FORMAT = [[
Use the following format:

Question: the input question you must answer
Thought: you should always think about what to do
Action: the action to take, should be one of [{tool_names}]
Action Input: the input to the action
Observation: the result of the action
... (this Thought/Action/Action Input/Observation can repeat N times)
Thought: I now know the final answer
Final Answer: the final answer to the original input question]]
M.SUFFIX = "Begin!\n\nQuestion: {input}\nThought:"

function M.prompt(tools, problem)
  local strings, names = {}, {}
  for i, e in ipairs(tools) do
    strings[i] = e.name .. ": " .. mlab.tool_prompt(e)
    names[i] = e.name
  end
  return table.concat({ M.PREFIX, table.concat(strings, "\n"),
    (M.FORMAT:gsub("{tool_names}", function() return table.concat(names, ", ") end)),
    (M.SUFFIX:gsub("{input}", function() return problem end)) }, "\n\n")
end

local WS = "[\t\n\v\f\r\28-\31 ]"
local function skip_ws(s, i)
  while i <= #s and s:sub(i, i):match(WS) do i = i + 1 end
  return i
end
local function skip_digits(s, i)
  while s:sub(i, i):match("%d") do i = i + 1 end
  return i
end

-- "Action\s*\d*\s*:" at i: the index after the colon.
local function action_colon(s, i)
  if s:sub(i, i + 5) ~= "Action" then return nil end
  local j = skip_ws(s, skip_digits(s, skip_ws(s, i + 6)))
  if s:sub(j, j) == ":" then return j + 1 end
  return nil
end

-- "Action\s*\d*\s*Input\s*\d*\s*:" at i: the index after the colon.
local function action_input_colon(s, i)
  if s:sub(i, i + 5) ~= "Action" then return nil end
  local j = skip_ws(s, skip_digits(s, skip_ws(s, i + 6)))
  if s:sub(j, j + 4) ~= "Input" then return nil end
  j = skip_ws(s, skip_digits(s, skip_ws(s, j + 5)))
  if s:sub(j, j) == ":" then return j + 1 end
  return nil
end

-- re.search(r"Action\s*\d*\s*:[\s]*(.*?)[\s]*Action\s*\d*\s*Input\s*\d*\s*:[\s]*(.*)", text, re.DOTALL)
local function action_match(s)
  local p = 1
  while true do
    p = s:find("Action", p, true)
    if not p then return nil end
    local q = action_colon(s, p)
    if q then
      local g1 = skip_ws(s, q)
      for e = g1, #s do
        local r = action_input_colon(s, skip_ws(s, e))
        if r then return s:sub(g1, e - 1), s:sub(skip_ws(s, r)) end
      end
    end
    p = p + 1
  end
end

-- AnthropicOutputParser.parse: { action, input, log } | { finish, log } |
-- nil, the exception's message.
function M.parse(text)
  local parts = pyjson.split(text, "Thought:")
  text = parts[#parts]
  local includes_answer = text:find("Final Answer:", 1, true) ~= nil
  local action, input = action_match(text)
  if action then
    if includes_answer then
      return nil, "Parsing LLM output produced both a final answer and a parse-able action: " .. text
    end
    return { action = pyjson.strip(action), input = pyjson.strip(pyjson.strip(input, " "), '"'), log = text }
  elseif includes_answer then
    local answers = pyjson.split(text, "Final Answer:")
    return { finish = pyjson.strip(answers[#answers]), log = text }
  end
  return nil, "Could not parse LLM output: `" .. text .. "`"
end

local function plain(v)
  if v == pyjson.null then return nil end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = plain(x) end
  return out
end

function M.run(ctx)
  local tools, entry_of = {}, {}
  for _, n in ipairs(M.TOOLS) do
    local e = ctx.actions:get(n) or error("no action " .. n, 0)
    tools[#tools + 1] = e
    entry_of[n] = e
  end
  local head = M.prompt(tools, ctx.task.problem or "")
  local scratchpad = ""
  for _ = 1, M.agent_max_steps do
    local r, err, kind = ctx.llm:chat({
      messages = { { role = "user", content = head .. scratchpad } },
      temperature = M.temperature, max_tokens = M.max_tokens, stop = M.stop,
    })
    if not r then
      if kind == "budget" then error(err, 0) end
      error("the model call failed: " .. tostring(err), 0)
    end
    local step, perr = M.parse(r.text or "")
    if not step then error(perr, 0) end
    if step.finish then
      -- LangChain's AgentFinish: the reference's run just ended here.
      ctx.actions:run("Final Answer", { final_answer = step.finish })
      return
    end
    local obs
    local e = entry_of[step.action]
    if not e then
      obs = step.action .. " is not a valid tool, try another one."
    else
      local keys = {}
      for i, a in ipairs(e.args or {}) do keys[i] = a.name end
      local input, ierr = mlab.parse_action_input(step.input, keys)
      if not input then
        error("the reference's LangChain tool raised on an Action Input it could not read (" .. ierr
          .. "); its run ended here", 0)
      end
      local info
      obs, info = ctx.actions:run(step.action, plain(input))
      if info and info.final then return end
    end
    scratchpad = scratchpad .. step.log .. "\nObservation: " .. obs .. "\nThought:"
  end
  error("Agent stopped due to iteration limit or time limit.", 0)
end

return M
