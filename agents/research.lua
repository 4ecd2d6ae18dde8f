-- research.lua - the reference study's research agent (MLAgentBench's
-- ResearchAgent), ported: the same prompts, history, parsing, retries,
-- actions and sampling, so its runs compare with the paper's.
--
-- Each turn the model gets one prompt (stdlib/mlagentbench.lua has the
-- texts): the tools it is shown, the research problem, the instructions
-- and the reply format; then "Now let's start!" and the steps so far, or,
-- from the fifth turn on, the last three steps only (with the research
-- log, what Retrieval from Research Log returns comes first).  The model
-- is stopped at "Observation:".  A reply is read with the reference's
-- regular expression: all six entries in order, exactly as named, and an
-- action the environment has (any of its 16, shown or not); otherwise
-- the prompt gets "Your response was in incorrect format..." and is asked
-- again, five times at most, after which the run ends.  An Action Input
-- that is not valid JSON (the reference's reader, with its repairs) never
-- reaches the environment: the turn's observation is the parsing error,
-- and such turns leave the history once a later one succeeds.
-- Observations over 5,000 characters are summarised by the fast model in
-- 10,000-character blocks.  With the research log (retrieval = true,
-- agents/research_retrieval.lua) every step is summarised into
-- research_log.log by the fast model, and Reflection is shown.
--
-- Sampling as the reference ran it: the agent's model at temperature 0.5,
-- 2000 tokens a reply; the fast model (ctx.llm:fast(), --llm-fast) at
-- 0.01 for summaries.  The model-backed actions choose their own (see
-- lua/actions.lua).  Run it with `mlab run TASK --preset mlagentbench` for
-- the reference's harness (observations, budgets); docs/fidelity.md.
--
-- Options (research.make{...}; DEFAULTS below) mirror the reference's
-- command line: retrieval, fields (--valid-format-entires),
-- max_steps_in_context, max_observation_steps_in_context, max_retries,
-- agent_max_steps, actions_remove_from_prompt, actions_add_to_prompt; and
-- assistant_prefix: what comes before each step of the history (upstream
-- wrote anthropic.AI_PROMPT, "\n\nAssistant:", and a newline; the fork
-- whose prompts tests/fidelity/ checks wrote nothing: "").
local mlab = require("mlagentbench")
local pyjson = require("pyjson")

local M = {}

M.DEFAULTS = {
  name = "research",
  retrieval = false,
  fields = mlab.FIELDS,
  max_steps_in_context = 3,
  max_observation_steps_in_context = 3,
  max_retries = 5,
  agent_max_steps = 50,
  actions_remove_from_prompt = {},
  actions_add_to_prompt = {},
  assistant_prefix = mlab.AI_PROMPT .. "\n",
  temperature = 0.5, max_tokens = 2000,            -- the agent's model
  fast_temperature = 0.01, fast_max_tokens = 2000, -- summaries (the fast model)
  stop = { "Observation:" },
}

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- The tools of the prompt: the environment's actions less the hidden ones.
function M.prompt_tools(cfg)
  local remove = {}
  for _, n in ipairs(mlab.PROMPT_HIDDEN) do remove[#remove + 1] = n end
  for _, n in ipairs(cfg.actions_remove_from_prompt or {}) do remove[#remove + 1] = n end
  if not cfg.retrieval then
    for _, n in ipairs(mlab.RETRIEVAL_ONLY) do remove[#remove + 1] = n end
  end
  local out = {}
  for _, n in ipairs(mlab.ACTIONS) do
    if not contains(remove, n) then out[#out + 1] = n end
  end
  for _, n in ipairs(cfg.actions_add_to_prompt or {}) do out[#out + 1] = n end
  return out
end

-- A decoded JSON value as plain Lua data for ctx.actions (null: absent).
local function plain(v)
  if v == pyjson.null then return nil end
  if type(v) ~= "table" then return v end
  local out = {}
  if pyjson.is_array(v) then
    for i = 1, #v do out[#out + 1] = plain(v[i]) end
  else
    for k, x in pairs(v) do out[k] = plain(x) end
  end
  return out
end

local function ask(llm, cfg, text, fast)
  local r, err, kind = llm:chat({
    messages = { { role = "user", content = text } },
    temperature = fast and cfg.fast_temperature or cfg.temperature,
    max_tokens = fast and cfg.fast_max_tokens or cfg.max_tokens,
    stop = cfg.stop,
  })
  if not r then return nil, err, kind end
  return r.text or ""
end

-- A model call the run cannot go on without (the reference raised).
local function must(text, err, kind)
  if text then return text end
  if kind == "budget" then error(err, 0) end
  error("the model call failed: " .. tostring(err), 0)
end

local function fast_client(ctx)
  local ok, f = pcall(function() return ctx.llm:fast() end)
  return ok and f or ctx.llm
end

-- The history entry of a long observation: its summary by the fast model.
function M.summarize_observation(llm, cfg, action, obs)
  local parts = {}
  for idx, b in ipairs(mlab.observation_blocks(obs, 10000)) do
    local first = 10000 * (idx - 1) + 1
    parts[idx] = must(ask(llm, cfg, mlab.observation_prompt(action, b, first, first + pyjson.len(b)), true))
  end
  local completion = parts[1]
  if #parts > 1 then completion = must(ask(llm, cfg, mlab.observation_merge_prompt(action, parts), true)) end
  return mlab.after(completion, "[Observation]:") or completion
end

-- The research log entry of a step, asked up to max_retries times.
function M.summarize_step(llm, cfg, action, obs)
  for _ = 1, cfg.max_retries do
    local text, err, kind = ask(llm, cfg, mlab.summary_prompt(action, obs), true)
    if not text and kind == "budget" then error(err, 0) end
    local r = text and mlab.after(text, "[Reasoning]:")
    if r then return "[Reasoning]:" .. r end
    print(text and "the summary has no [Reasoning]:, trying again" or ("the summary failed: " .. tostring(err)))
  end
  return "Too long to summarize."
end

-- The reference stopped asking the model once the environment had used
-- its steps; here the host ends the run when a step is refused, so the
-- agent asks for one the host will refuse before it spends a model call.
local function stop_if_out_of_steps(ctx)
  local b = ctx.budget and ctx.budget()
  if b and b.steps_left == 0 then ctx.actions:run("List Files", { dir_path = "." }) end
end

function M.make(opts)
  local cfg = {}
  for k, v in pairs(M.DEFAULTS) do cfg[k] = v end
  for k, v in pairs(opts or {}) do cfg[k] = v end
  local agent = { name = cfg.name, config = cfg }

  function agent.run(ctx)
    local fields = cfg.fields
    local shown = M.prompt_tools(cfg)
    -- A reply may name any action the environment has, shown or not
    -- (Python REPL starts off in mlab's catalogue).
    pcall(function() ctx.actions:enable("Python REPL") end)
    local known, entry_of = {}, {}
    for _, n in ipairs(mlab.ACTIONS) do
      local e = ctx.actions:get(n)
      if e then known[n] = true; entry_of[n] = e end
    end
    local tools = {}
    for _, n in ipairs(shown) do tools[#tools + 1] = entry_of[n] or error("no action " .. n, 0) end
    local initial = mlab.initial_prompt(mlab.tools_prompt(tools), ctx.task.problem or "", fields)
    local fast = fast_client(ctx)
    local history = {}
    local last_steps, last_obs = cfg.max_steps_in_context, cfg.max_observation_steps_in_context

    while #history < cfg.agent_max_steps do
      stop_if_out_of_steps(ctx)
      local curr = #history
      local prompt = initial
      if curr > last_steps then
        if cfg.retrieval then
          local relevant = ctx.actions:run("Retrieval from Research Log", { current_plan = "" })
          prompt = prompt .. mlab.history_header(relevant)
        end
      else
        prompt = prompt .. "\nNow let's start!\n\n"
      end
      for idx = math.max(curr - last_steps, 0), curr - 1 do
        local h = history[idx + 1]
        prompt = prompt .. cfg.assistant_prefix .. mlab.print_action(h.action, fields) .. "\nObservation:"
        if curr - idx > last_obs then
          prompt = prompt .. "<Done>\n\n"
        else
          prompt = prompt .. "\n```\n" .. h.observation .. "\n```\n\n"
        end
      end

      local entries
      for _ = 1, cfg.max_retries do
        local completion = must(ask(ctx.llm, cfg, prompt))
        entries = mlab.parse_entries(completion, fields)
        if entries and entries["Action"] and known[pyjson.strip(entries["Action"])] then break end
        entries = nil
        print("Response is invalid and discarded")
        prompt = prompt .. mlab.retry_note(fields)
      end
      if not entries then error("No valid response after max_retries", 0) end

      local action = pyjson.strip(entries["Action"])
      local raw_input = entries["Action Input"] or ""
      if entries["Research Plan and Status"] then
        entries["Research Plan and Status"] =
          (pyjson.strip(entries["Research Plan and Status"], "`") .. "\n\n"):gsub("%*%*", "")
      end
      local keys = {}
      for i, a in ipairs(entry_of[action].args or {}) do keys[i] = a.name end
      local input, perr = mlab.parse_action_input(raw_input, keys)

      local obs, info, final
      if input then
        obs, info = ctx.actions:run(action, plain(input))
        final = info and info.final
        if final and not cfg.retrieval then return end
      else
        obs = mlab.input_parsing_error(action, entry_of[action], perr)
        print("Action Input of " .. action .. " not parsed: " .. perr)
      end
      if pyjson.len(obs) > 5000 then
        obs = M.summarize_observation(fast, cfg, mlab.print_action(entries, fields), obs)
      end
      history[#history + 1] = { action = entries, observation = obs }
      if obs:sub(1, #"ActionInputParsingError") ~= "ActionInputParsingError" then
        local kept = {}
        for _, h in ipairs(history) do
          if h.observation:sub(1, #"ActionInputParsingError") ~= "ActionInputParsingError" then
            kept[#kept + 1] = h
          end
        end
        history = kept
      end

      if cfg.retrieval then
        local last = history[#history]
        local summary = M.summarize_step(fast, cfg, mlab.print_action(last.action, fields), last.observation)
        -- After a final answer too, as the reference did (the environment
        -- refused the append; the model call was made).
        ctx.actions:run("Append Summary to Research Log",
          { content = "\n\nStep " .. curr .. ":\n" .. summary .. "\n" })
      end
      if final then return end
    end
    error("Finished due to agent max steps reached", 0)
  end

  agent.make = M.make
  return agent
end

local default = M.make()
default.DEFAULTS = M.DEFAULTS
default.prompt_tools = M.prompt_tools
default.summarize_observation = M.summarize_observation
default.summarize_step = M.summarize_step
return default
