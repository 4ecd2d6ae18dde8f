--[[ atif.lua - a run as an ATIF trajectory (Agent Trajectory Interchange
Format, the Harbor project's RFC 0001, version 1.4), the JSON that Harbor,
Docent, Inspect Scout and Phoenix read.

  local atif = require("atif")
  local doc, err = atif.trajectory(rd [, opts])   -- a table; json.encode it
  atif.VERSION                                    -- "ATIF-v1.4"

The mapping (docs/analysis.md, "ATIF"):
  root      schema_version, session_id (the run id), agent {name, version
            (mlab's), model_name}, steps, notes, final_metrics (token
            totals from llm.jsonl, total_steps), extra.mlab (task, status,
            score, baseline, improvement, success, parent, imported)
  step 1    source "user": the task's research problem
  a step the agent chose   source "agent": message = the model reply
            behind it (or ""), reasoning_content = its Thought, one tool
            call {tool_call_id "step-N", function_name = the action,
            arguments = the input}, observation {results = {{source_call_id
            "step-N", content}}}, metrics from the reply's usage,
            timestamp (ISO 8601, when the step started), model_name
  a framework step (research-log bookkeeping, imported)   source "system"
            with the observation (ATIF 1.2's system observations)
  extra     on every step: mlab_step, duration_s, commit, error, code,
            bookkeeping, inherited
The git history and the model-call cassette stay mlab's own; the export
says where they are (extra.mlab.run_dir).
]]
local json = require("json")
local analysis = require("analysis")
local reply_mod = require("reply")

local M = {}

M.VERSION = "ATIF-v1.4"

local function iso(t)
  t = tonumber(t)
  if not t then return nil end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function int(v)
  v = tonumber(v)
  if not v then return nil end
  return math.tointeger(v) or math.floor(v + 0.5)
end

local function bookkeeping(s)
  if s.bookkeeping then return true end
  if s.action == "Append Summary to Research Log" then return true end
  return s.action == "Retrieval from Research Log" and type(s.input) == "table"
    and (s.input.current_plan == nil or s.input.current_plan == "")
end

-- The arguments object of a tool call: the input when it is an object.
local function arguments(input)
  if type(input) ~= "table" then return { input = input } end
  if #input > 0 then return { input = input } end
  return input
end

-- opts.problem: the task text when the caller has it (else run.json's).
function M.trajectory(rd, opts)
  opts = opts or {}
  local m, err = rd:manifest()
  if not m then return nil, err end
  local steps, ended = rd:steps()
  local calls = rd:calls()
  local replies = analysis.step_replies(steps, calls)
  local problem = opts.problem or m.problem
  if not problem and type(m.task_dir) == "string" then
    local ok, task = pcall(require("task").load, m.task_dir)
    if ok and task then problem = task.problem_text end
  end
  local model = analysis.model_of(m)
  local has_model = model ~= "none" and model ~= ""
  local out = {}
  out[1] = {
    step_id = 1, source = "user", timestamp = iso(m.started),
    message = tostring(problem or ("Task " .. tostring(m.task))),
    extra = { task = m.task },
  }
  for _, s in ipairs(steps) do
    local n = math.tointeger(s.step)
    local obs = s.error and ("error: " .. tostring(s.error)) or s.observation
    if type(obs) ~= "string" then obs = obs == nil and "" or json.encode(obs) end
    local extra = { mlab_step = n, action = s.action, duration_s = s.duration_s, commit = s.commit,
      error = s.error, code = s.code, bookkeeping = s.bookkeeping, inherited = s.inherited,
      result = s.result }
    local st = { step_id = #out + 1, timestamp = iso(s.started), extra = extra }
    if bookkeeping(s) then
      st.source = "system"
      st.message = s.action
      extra.input = s.input
      st.observation = { results = { { content = obs } } }
    else
      local id = "step-" .. n
      local c = replies[n]
      st.source = "agent"
      st.message = c and c.reply or ""
      if c then
        local thought
        for _, sec in ipairs(reply_mod.sections(c.reply)) do
          if sec.field == "Thought" then thought = sec.text end
        end
        st.reasoning_content = thought
        if type(c.usage) == "table" then
          st.metrics = { prompt_tokens = int(c.usage.prompt), completion_tokens = int(c.usage.completion) }
        end
        if type(c.model) == "string" then st.model_name = c.model end
      end
      st.model_name = st.model_name or (has_model and model or nil)
      st.tool_calls = { { tool_call_id = id, function_name = s.action, arguments = arguments(s.input) } }
      st.observation = { results = { { source_call_id = id, content = obs } } }
    end
    out[#out + 1] = st
  end
  local prompt, completion, any = 0, 0, false
  for _, c in ipairs(calls) do
    if type(c.usage) == "table" then
      prompt = prompt + (int(c.usage.prompt) or 0)
      completion = completion + (int(c.usage.completion) or 0)
      any = true
    end
  end
  local doc = {
    schema_version = M.VERSION,
    session_id = tostring(m.id or rd.id),
    agent = { name = tostring(m.agent or "unknown"), version = tostring(opts.version or m.mlab_version or "unknown"),
              model_name = has_model and model or nil,
              extra = { agent_path = m.agent_path, llm = m.llm } },
    steps = out,
    notes = ("Exported by mlab from run %s. Step 1 is the task; each later step is one mlab step "
      .. "(extra.mlab_step). The workspace history (git) and the recorded model calls stay in "
      .. "the run directory."):format(tostring(m.id or rd.id)),
    final_metrics = {
      total_prompt_tokens = any and prompt or nil, total_completion_tokens = any and completion or nil,
      total_steps = #out,
      extra = { mlab_steps = #steps, tokens = int(m.tokens), time_s = m.time_s },
    },
    extra = { mlab = {
      run_id = m.id, run_dir = rd.dir, task = m.task, status = m.status, message = m.message,
      score = m.score, baseline = m.baseline, improvement = m.improvement, success = m.success,
      final_answer = m.final_answer, parent = m.parent, imported = m.imported and {
        from = m.imported.from, ended = m.imported.ended, fidelity = m.imported.fidelity } or nil,
      ended = ended and ended.status or nil,
    } },
  }
  return doc
end

return M
