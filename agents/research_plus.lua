-- research_plus.lua - mlab's own research agent: the reference study's
-- research agent (agents/research.lua) with mlab's changes, kept as a
-- named variant (docs/fidelity.md says what each change is and why).
--
-- What it changes: the model is asked at temperature 0; the prompt's
-- instructions and reply format are reworded and add "Take only one action
-- per reply"; the reply parser tolerates Markdown, renamed headers and
-- broken JSON (stdlib/reply.lua) and a retry says exactly what was
-- missing; only the actions shown can be taken; an Action Input that is
-- not valid JSON is a step whose observation says what was wrong; long
-- observations are summarised in line-aligned chunks (or cut to head and
-- tail); the research log (retrieval = true) is retrieved with the
-- current plan and entries are summarised without the "Observation:" stop.
--
-- Each turn the model gets one prompt: the visible actions, the research
-- problem and its instructions, the reply format (Reflection, Research
-- Plan and Status, Fact Check, Thought, Action, Action Input), then the
-- last three steps in full.  The Research Plan and Status the model keeps
-- rewriting is its long memory: older steps drop out of the prompt.  A
-- reply that does not parse is asked again (up to five tries) with a hint
-- saying what was wrong; the model stops at "Observation:".  Observations
-- longer than about 5,000 characters are summarised in chunks by the model
-- before they enter the history.
--
-- A variant is require("research_plus").make{...} with other options (see
-- DEFAULTS), e.g. { retrieval = true } for the research log.
local reply = require("reply")
local prompt = require("prompt")
local observation = require("observation")
local research_log = require("research_log")

local M = {}

M.DEFAULTS = {
  name = "research_plus",
  -- What the reference agent showed the model.
  actions = { "List Files", "Copy File", "Undo Edit Script", "Execute Script", "Final Answer",
              "Understand File", "Inspect Script Lines", "Edit Script (AI)" },
  history_steps = 3,         -- steps shown in full
  max_retries = 5,           -- tries per turn before giving up
  summarise_over = 5000,     -- observation characters before summarising
  summary_chunk = 10000,     -- characters per summarised chunk
  max_tokens = 2000,         -- per reply
  temperature = 0,
  retrieval = false,         -- research log: summaries appended each step,
  retrieval_after = 3,       --   retrieved into the prompt after this step
  reflection = false,        -- show the Reflection action
}

-- What each entry of the reply is for (the reference's format, reworded).
M.FORMAT = {
  { "Reflection", "What does the observation mean? If there is an error, what caused it and how would you debug it?" },
  { "Research Plan and Status", "The full high level research plan, with the current status and the confirmed results of each step briefly noted. Only include progress made by previous steps. Mark any update with double asterisks **like this**; with no update, copy the previous Research Plan and Status. Keep the high level plan of the previous step unless you revise it on purpose." },
  { "Fact Check", "List every objective statement in the updates to Research Plan and Status one by one, saying whether it is guessed or directly confirmed by the observation just above. Performance numbers can only be confirmed by running the code and reading its output." },
  { "Thought", "What you are doing now, which action you will take and why." },
  { "Action", "The action to take: one of the names of the tools." },
  { "Action Input", "The input to the action as a valid JSON object." },
}

M.INSTRUCTIONS = [[
Follow these instructions and do not forget them:
- First, come up with a high level plan from your understanding of the problem and the tools available, and record it in the Research Plan and Status. You may revise the plan later.
- The Research Plan and Status should state the high level plan concisely, then track the current status: what has been done and what is in progress, with short results and conclusions for each step.
- The Research Plan and Status must only include progress made by previous steps, not results not yet confirmed.
- Measure the baseline performance before changing anything.
- Follow the plan and try to reach the goal as directly as possible.
- Highlight the experiment results and the reasoning that support a conclusion before you draw it.
- Do not install new packages or libraries.
- When you believe you have solved the problem, give the final answer with the Final Answer action.
- Take only one action per reply.]]

local function format_block()
  local lines = { prompt.format_instructions((function()
    local f = {}
    for i, e in ipairs(M.FORMAT) do f[i] = { name = e[1], description = e[2] } end
    return f
  end)()) }
  lines[#lines + 1] = "Observation:\n```\nthe result of the action\n```"
  return table.concat(lines, "\n\n")
end

-- The prompt of one turn.
local function build_prompt(ctx, cfg, steps, retrieved)
  local parts = {
    "You are a helpful research assistant. You have access to the following tools:\n"
      .. ctx.actions:describe(cfg.visible),
    "Research Problem: " .. (ctx.task.problem or ""),
    "You do not know anything about this problem so far.",
    M.INSTRUCTIONS,
    format_block(),
  }
  if #steps > 0 then
    local first = math.max(1, #steps - cfg.history_steps + 1)
    local recent = {}
    if retrieved then
      recent[#recent + 1] = "Here is a summary of relevant actions and observations you have done:\n```\n"
        .. retrieved .. "\n```"
    end
    recent[#recent + 1] = ("Here are the exact several steps you have done most recently (up to %d steps):")
      :format(cfg.history_steps)
    for i = first, #steps do
      recent[#recent + 1] = steps[i].reply .. "\nObservation:\n```\n" .. steps[i].observation .. "\n```"
    end
    parts[#parts + 1] = table.concat(recent, "\n\n")
  else
    parts[#parts + 1] = "Now let's start!"
  end
  return table.concat(parts, "\n\n") .. "\n\n"
end

-- cfg.stop: the stop sequences (default: Observation:, which ends a turn;
-- a summary passes {} so a plain "Observation:" in it is kept).
local function ask(ctx, cfg, text)
  local r, err, kind = ctx.llm:chat({
    messages = { { role = "user", content = text } },
    max_tokens = cfg.max_tokens, temperature = cfg.temperature,
    stop = cfg.stop or { "Observation:" },
  })
  if not r then return nil, err, kind end
  return r.text
end

-- A reply as it goes into the history: what the model wrote, up to the
-- stop text and without blank lines around it.
local function clean(text)
  local cut = text:find("\n%s*Observation%s*:")
  if cut then text = text:sub(1, cut - 1) end
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- One turn: a reply that parses, after up to max_retries tries.
local function next_step(ctx, cfg, base)
  local text, last_err = base, nil
  for _ = 1, cfg.max_retries do
    local out, err, kind = ask(ctx, cfg, text)
    if not out then
      if kind == "budget" or kind == "none" or kind == "auth" then return nil, err, kind end
      last_err = "the model call failed: " .. tostring(err)
    else
      local step, perr = reply.research(out, { actions = ctx.actions:specs(cfg.visible) })
      if step then
        step.text = clean(out)
        return step
      end
      last_err = perr
      print("invalid reply: " .. perr)
      text = base .. "Your response was in incorrect format: " .. perr
        .. ". Please provide a valid response with all entries: "
        .. table.concat(reply.FIELDS, ", ") .. "\n\n"
    end
  end
  return nil, ("no valid response after %d tries: %s"):format(cfg.max_retries, last_err), "format"
end

-- Long observations are summarised by the model (cut to head and tail if
-- that fails) so the three steps of history stay readable.
local function shorten(ctx, cfg, action, obs)
  if #obs <= cfg.summarise_over then return obs end
  local s = observation.summarise(obs, function(p)
    local r = ctx.llm:chat({ messages = { { role = "user", content = p } }, max_tokens = 1000, temperature = 0 })
    return r and r.text
  end, { limit = cfg.summarise_over, chunk = cfg.summary_chunk, what = "the observation of " .. action })
  return s or observation.truncate(obs, cfg.summarise_over)
end

function M.make(opts)
  local cfg = {}
  for k, v in pairs(M.DEFAULTS) do cfg[k] = v end
  for k, v in pairs(opts or {}) do cfg[k] = v end
  cfg.visible = {}
  for i, a in ipairs(cfg.actions) do cfg.visible[i] = a end
  if cfg.reflection then cfg.visible[#cfg.visible + 1] = "Reflection" end

  local agent = { name = cfg.name, config = cfg }
  function agent.run(ctx)
    local steps = {}
    while true do
      local retrieved
      if cfg.retrieval and #steps >= cfg.retrieval_after then
        retrieved = ctx.actions:run("Retrieval from Research Log",
          { current_plan = steps[#steps].plan or "" })
      end
      local step, err, kind = next_step(ctx, cfg, build_prompt(ctx, cfg, steps, retrieved))
      if not step then
        if kind == "budget" then return end -- the host ends the run
        error(err, 0)
      end
      local obs, info = ctx.actions:run(step.action, step.input or step.raw_input)
      if info.final then return end
      obs = shorten(ctx, cfg, step.action, obs)
      steps[#steps + 1] = { reply = step.text, observation = obs, plan = step.plan }
      if cfg.retrieval then
        local summary = ask(ctx, { max_tokens = 500, temperature = 0, stop = {} },
          research_log.summary_prompt(step.text, step.action, obs)) or step.text
        ctx.actions:run("Append Summary to Research Log",
          { content = research_log.entry(#steps, summary) })
      end
    end
  end
  agent.make = M.make
  return agent
end

local default = M.make()
default.DEFAULTS, default.FORMAT, default.INSTRUCTIONS = M.DEFAULTS, M.FORMAT, M.INSTRUCTIONS
default.build_prompt = build_prompt
return default
