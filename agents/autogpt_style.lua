-- autogpt_style.lua - an AutoGPT-style agent: a name, a role and goals in the
-- system prompt, one command a turn as a JSON object, and its own memory.
--
-- Not a port of the AutoGPT the reference study ran (AutoGPT 0.4 with the
-- prompt settings and command set MLAgentBench bundled, acting on the
-- workspace with its own commands): those files are not in the reference
-- data, so its scores are not comparable with the paper's AutoGPT row
-- (docs/fidelity.md).  Hence the name: a variant, not `autogpt`.  It uses mlab's catalogue and asks at temperature 0.
--
-- The conversation is a chat: each reply (JSON with "thoughts" and
-- "command") is followed by the command's result as a user message; the
-- messages that no longer fit the context window are left out (history.lua)
-- and the agent's memory -- one line per past command and what came of it
-- -- brings back the lines that share words with the latest thoughts.
local reply = require("reply")
local prompt = require("prompt")
local history = require("history")
local observation = require("observation")
local research_log = require("research_log")

local M = {
  name = "autogpt_style",
  actions = { "List Files", "Read File", "Write File", "Append File", "Inspect Script Lines",
              "Execute Script", "Edit Script (AI)", "Undo Edit Script", "Understand File",
              "Final Answer" },
  context_tokens = 6000,
  memory_chars = 1500,       -- of memory shown each turn
  result_chars = 3000,       -- of a command result kept in the chat
  max_invalid = 5,
  max_tokens = 1000,
}

local RESPONSE_FORMAT = [[{
    "thoughts": {
        "text": "thought",
        "reasoning": "reasoning",
        "plan": "- short bulleted\n- list that conveys\n- long-term plan",
        "criticism": "constructive self-criticism",
        "speak": "thoughts summary to say to user"
    },
    "command": {"name": "command name", "args": {"arg name": "value"}}
}]]

local SYSTEM = [[
You are ResearchGPT, an AI that runs machine-learning experiments on its own.
Your decisions must always be made independently without seeking user assistance. Play to your strengths as an LLM and pursue simple strategies.

GOALS:
1. {problem_line}
2. Measure the current performance before changing anything.
3. Leave the improved files in the workspace and finish with the final_answer command.

Constraints:
1. Your short term memory is short: the oldest messages are dropped. Save important information to files.
2. No user assistance.
3. Exclusively use the commands listed below, by their names.

Commands:
{commands}

Performance Evaluation:
1. Continuously review and analyze your actions to ensure you are performing to the best of your abilities.
2. Constructively self-criticize your big-picture behavior constantly.
3. Every command has a cost, so be smart and efficient. Aim to complete tasks in the least number of steps.

The full task:
{problem}

You should only respond in JSON format as described below
Response Format:
{format}
Ensure the response can be parsed by a JSON parser.]]

local NEXT = "Determine which next command to use, and respond using the format specified above:"

-- AutoGPT's own names for finishing.
local ALIASES = { task_complete = "Final Answer", finish = "Final Answer", shutdown = "Final Answer" }

function M.run(ctx)
  local specs = ctx.actions:specs(M.actions)
  local problem = ctx.task.problem or ""
  local system = prompt.render(SYSTEM, {
    problem_line = (problem:gsub("^#[^\n]*\n", ""):match("%S[^\n]*") or "Solve the task."),
    commands = prompt.command_list(specs), problem = problem, format = RESPONSE_FORMAT,
  })
  local chat, memory, invalid = {}, "", 0
  while true do
    local msgs = {}
    for _, m in ipairs(chat) do msgs[#msgs + 1] = m end
    local query = chat[#chat - 1] and chat[#chat - 1].content or problem
    if memory ~= "" then
      table.insert(msgs, 1, { role = "user", content = "This reminds you of these events from your past:\n"
        .. research_log.relevant(memory, query, M.memory_chars) })
    end
    msgs[#msgs + 1] = { role = "user", content = NEXT }
    local fitted = history.fit(msgs, M.context_tokens - history.estimate({ { content = system } }),
      { keep_first = memory ~= "" and 1 or 0 })
    local r, err, kind = ctx.llm:chat({ system = system, messages = fitted,
      max_tokens = M.max_tokens, temperature = 0 })
    if not r then
      if kind == "budget" then return end
      error("the model call failed: " .. tostring(err), 0)
    end
    local text = r.text
    local cmd = text:match('"name"%s*:%s*"([%w_]+)"')
    if cmd and ALIASES[cmd] then
      text = text:gsub('"name"%s*:%s*"' .. cmd .. '"', '"name": "Final Answer"', 1)
    end
    local step, perr = reply.command(text, { actions = specs })
    chat[#chat + 1] = { role = "assistant", content = r.text }
    if not step then
      invalid = invalid + 1
      if invalid >= M.max_invalid then error("no valid reply after " .. invalid .. " tries: " .. perr, 0) end
      chat[#chat + 1] = { role = "user", content = "Your reply could not be used: " .. perr
        .. ". Respond with one JSON object in the response format." }
    else
      invalid = 0
      local input = step.input
      -- AutoGPT's finishing commands give a "reason" rather than an answer.
      if step.action == "Final Answer" and input and input.final_answer == nil then
        input = { final_answer = input.reason or (step.thoughts and step.thoughts.text) or "done" }
      end
      local obs, info = ctx.actions:run(step.action, input or "")
      if info.final then return end
      local name = prompt.snake(step.action)
      chat[#chat + 1] = { role = "user", content = ("Command %s returned: %s"):format(name,
        observation.truncate(obs, M.result_chars)) }
      memory = memory .. research_log.entry(#chat // 2, ("%s %s -> %s"):format(name,
        require("json").encode(input or {}), (obs:match("[^\n]*\n?[^\n]*") or "")))
    end
  end
end

return M
