--[[ import_mlagentbench.lua - the reference system's run logs as mlab run
directories (`mlab import mlagentbench PATH...`).

  local imp = require("import_mlagentbench")
  local sources, errs = imp.find(paths)      -- what the paths hold
  local run, err = imp.read(source)          -- the log, parsed (no writes)
  local rd, err = imp.write(runs_dir, run [, opts])   -- a run directory
  imp.run_id(run)                            -- "mlagentbench-TASK-MODEL-RUN"

A PATH is one of:
  - a trace file (`env_log/trace.json`, or `TASK__MODEL__RUN.trace.json`
    as in a bundle);
  - a run folder of the reference system: `env_log/trace.json`, and when
    present `env_log/traces/step_N_files/` (the workspace after each
    step), `env_log/error.txt` (a crash), `env_log/overall_time.txt` and
    `agent_log/step_N_log.log` (the raw model calls);
  - a bundle folder: `traces/*.trace.json` with `runs.jsonl` (what the
    runner printed: the final message, a crash's last line, max_steps)
    and `replies.jsonl` (the raw replies, turn by turn) beside it;
  - any other folder: searched (6 levels) for run folders and traces.

What a run directory gets (docs/analysis.md, "Imported runs"):
  - trace.jsonl: the trace's steps in order, with the same actions,
    arguments and observations; the framework's own research-log calls
    (Append Summary to Research Log, and Retrieval from Research Log with
    an empty current_plan) carry `bookkeeping = true`; EnvError,
    ActionInputParsingError and invalid actions carry `error` and `code`;
    `started` is the previous step's timestamp (a step's time includes
    the model call that chose it).
  - llm.jsonl: one line per raw model reply when they are known (turn
    and attempt order; `purpose = "agent"`, the agent's verdict), with no
    request (the prompts are not imported).
  - run.json: task, model, agent, how the run ended (`imported.ended`:
    final_answer, step_limit, no_valid_response, crash, unknown, mapped to
    mlab's statuses), steps, duration, and `imported.fidelity`:
    workspace per_step | final | none, calls raw | none.
  - history.git: a commit per step from the per-step copies when the log
    has them; otherwise one commit (an empty workspace) that every step-N
    tag names, said so in its message and in run.json.

Bad input never raises: a file that is not JSON gets an error; a trace
cut short keeps its whole steps and is marked partial (`imported.partial`
and the reason); non-UTF-8 bytes are kept (json.lua writes them as
\udc80-\udcff).
]]
local sys = require("mlab.sys")
local snap_mod = require("mlab.snap")
local json = require("json")
local rundir = require("rundir")

local M = {}

M.AGENT = "mlagentbench-research"
M.DEFAULT_MAX_STEPS = 50 -- the reference runner's --max-steps default
M.SHUTDOWN = "The environment has shut down because the maximum number of steps or time"

-- Steps the agent framework takes by itself, not chosen by the model.
function M.bookkeeping(name, args)
  if name == "Append Summary to Research Log" then return true end
  if name == "Retrieval from Research Log" then
    return type(args) == "table" and (args.current_plan == nil or args.current_plan == "")
  end
  return false
end

-- Actions that cannot change the workspace (the first step's copy is then
-- also the starter files).
local READ_ONLY = {
  ["List Files"] = true, ["Read File"] = true, ["Understand File"] = true,
  ["Inspect Script Lines"] = true, ["Reflection"] = true,
  ["Retrieval from Research Log"] = true, ["Final Answer"] = true,
}

---------------------------------------------------------------------------
-- Finding what the paths hold

local function is_dir(p)
  local st = sys.stat(p)
  return st and st.type == "directory"
end

local function is_file(p)
  local st = sys.stat(p)
  return st and st.type == "file"
end

local function basename(p) return (p:gsub("/+$", "")):match("([^/]+)$") or p end

local function absolute(p)
  if p:sub(1, 1) == "/" then return p end
  return (sys.getenv("PWD") or ".") .. "/" .. p
end

-- task, model, run from a bundle name (TASK__MODEL__RUN.trace.json) or
-- from the folders of a run (.../MODEL/TASK/RUN[/env_log/trace.json]).
local function names_of(path, run_dir)
  local t, m, r = basename(path):match("^(.-)__(.-)__(.-)%.trace%.json$")
  if t then return t, m, r end
  local dir = run_dir or path:match("^(.*)/env_log/[^/]+$")
  if dir then
    local parts = {}
    for c in dir:gmatch("[^/]+") do parts[#parts + 1] = c end
    local n = #parts
    if n >= 3 then return parts[n - 1], parts[n - 2], parts[n] end
  end
  return nil
end

local function read_jsonl(path)
  local text = sys.read(path)
  if not text then return nil end
  local out = {}
  for line in text:gmatch("[^\n]+") do
    local v = json.decode(line)
    if type(v) == "table" then out[#out + 1] = v end
  end
  return out
end

local function bundle(dir, out)
  local info, replies = {}, {}
  for _, r in ipairs(read_jsonl(dir .. "/runs.jsonl") or {}) do
    if r.run_key then info[r.run_key] = r end
  end
  for _, r in ipairs(read_jsonl(dir .. "/replies.jsonl") or {}) do
    if r.run_key then
      replies[r.run_key] = replies[r.run_key] or {}
      table.insert(replies[r.run_key], r)
    end
  end
  -- The agent calls' max_tokens, as the runs' prompt logs show it (the
  -- response header "<model> response (500)"): prompts.jsonl samples them.
  local max_tokens = {}
  for line in (sys.read(dir .. "/prompts.jsonl") or ""):gmatch("[^\n]+") do
    if line:find('"kind": "agent', 1, true) then
      local r = json.decode(line)
      if type(r) == "table" and r.run_key and (r.kind == "agent" or r.kind == "agent_retry")
          and tonumber(r.max_tokens) then
        max_tokens[r.run_key] = math.tointeger(r.max_tokens) or r.max_tokens
      end
    end
  end
  for _, n in ipairs(sys.list_dir(dir .. "/traces") or {}) do
    if n:match("%.trace%.json$") then
      local key = n:gsub("%.trace%.json$", "")
      out[#out + 1] = { trace = dir .. "/traces/" .. n, key = key, info = info[key],
                        replies = replies[key], bundle = dir, max_tokens = max_tokens[key] }
    end
  end
end

local function run_folder(dir, out)
  out[#out + 1] = { trace = dir .. "/env_log/trace.json", dir = dir }
end

local function search(dir, depth, out)
  if is_file(dir .. "/env_log/trace.json") then return run_folder(dir, out) end
  if is_dir(dir .. "/traces") and is_file(dir .. "/runs.jsonl") then return bundle(dir, out) end
  if depth <= 0 then return end
  for _, n in ipairs(sys.list_dir(dir) or {}) do
    local p = dir .. "/" .. n
    if n:match("%.trace%.json$") and is_file(p) then
      out[#out + 1] = { trace = p }
    elseif is_dir(p) and n:sub(1, 1) ~= "." then
      search(p, depth - 1, out)
    end
  end
end

-- Sources in the order given (a folder's in name order); errs lists the
-- paths that hold nothing importable.
function M.find(paths)
  local out, errs = {}, {}
  for _, p in ipairs(paths) do
    p = absolute((p:gsub("/+$", "")))
    local before = #out
    if is_file(p) then
      out[#out + 1] = { trace = p }
    elseif is_dir(p) then
      search(p, 6, out)
    else
      errs[#errs + 1] = p .. ": no such file or folder"
    end
    if #out == before and is_dir(p) then
      errs[#errs + 1] = p .. ": no MLAgentBench trace (env_log/trace.json or *.trace.json) in it"
    end
  end
  for _, s in ipairs(out) do
    local t, m, r = names_of(s.trace, s.dir)
    s.task, s.model, s.run = t, m, r
    s.key = s.key or (t and (t .. "__" .. m .. "__" .. r))
    if s.info then
      s.task, s.model, s.run = s.info.task or t, s.info.model or m, s.info.run or r
    end
  end
  return out, errs
end

---------------------------------------------------------------------------
-- Reading a trace

-- The end of the JSON value that starts at i (an object or array), or nil
-- when the text ends first.  Strings are skipped whole, escapes included.
local function value_end(text, i)
  local depth = 0
  local n = #text
  while i <= n do
    local a = text:find('[%[%]{}"]', i)
    if not a then return nil end
    local c = text:sub(a, a)
    if c == '"' then
      local j = a + 1
      while true do
        local q = text:find('["\\]', j)
        if not q then return nil end
        if text:sub(q, q) == "\\" then j = q + 2 else i = q + 1; break end
      end
    else
      depth = depth + ((c == "{" or c == "[") and 1 or -1)
      i = a + 1
      if depth == 0 then return a end
    end
  end
  return nil
end

-- The whole steps of a trace cut short: each complete object of the
-- "steps" list, in order, up to where the text ends.
local function salvage(text)
  local at = text:find('"steps"%s*:%s*%[')
  if not at then return nil end
  local i = text:find("%[", at) + 1
  local steps = {}
  while true do
    local a = text:find("%S", i)
    if not a then break end
    local c = text:sub(a, a)
    if c == "," then
      i = a + 1
    elseif c == "{" then
      local b = value_end(text, a)
      if not b then break end
      local v = json.decode(text:sub(a, b))
      if type(v) ~= "table" then break end
      steps[#steps + 1] = v
      i = b + 1
    else
      break -- "]" (a complete list would have decoded) or garbage
    end
  end
  local problem = text:match('"task_description"%s*:%s*(%b"")')
  return steps, problem and json.decode(problem)
end

local function str(v)
  if type(v) == "string" then return v end
  if v == nil or v == json.null then return "" end
  if type(v) == "table" then return json.encode(v) end
  return tostring(v)
end

-- error, code for an observation the reference environment gave for a
-- failed action (the observation itself is kept as it was).
local function failure(obs)
  local m = obs:match("^EnvError: (.*)")
  if m then return m, "env" end
  m = obs:match("^ActionInputParsingError: (.*)")
  if m then return m, "invalid" end
  if obs:match("^Invalid action: ") then return obs, "invalid" end
  if obs:match("^LLMError: ") then return obs, "model" end
  return nil
end

-- The raw model calls of agent_log/step_N_log.log files (LLM.py's
-- log_to_file blocks: prompt, "<model> response (N)", completion,
-- "tokens"), in file order.
local HEAD = "\n===================prompt=====================\n"
local function parse_step_log(text, n)
  local calls = {}
  local i = 1
  while true do
    local a = text:find(HEAD, i, true)
    if not a then break end
    local r1, r2, model, max = text:find(
      "\n===================([^\n]-) response %((%d+)%)=====================\n", a + #HEAD)
    if not r1 then break end
    local t1 = text:find("\n===================tokens=====================\n", r2 + 1, true)
    local reply = text:sub(r2 + 1, (t1 or #text + 1) - 1)
    local tail = t1 and text:sub(t1, t1 + 200) or ""
    calls[#calls + 1] = {
      file_step = n, text = reply, model = model, max_tokens = tonumber(max),
      prompt_tokens = tonumber(tail:match("Number of prompt tokens: (%d+)")),
      sampled_tokens = tonumber(tail:match("Number of sampled tokens: (%d+)")),
      cut = t1 == nil,
    }
    i = (t1 or #text) + 1
  end
  return calls
end

-- The research agent's own acceptance rule (all six entries, a known
-- action), as far as the raw text shows it.
local ENTRIES = { "Reflection", "Research Plan and Status", "Fact Check", "Thought",
                  "Action", "Action Input" }
local function accepted(text, actions)
  for _, e in ipairs(ENTRIES) do
    if not text:find(e .. ":", 1, true) then return false end
  end
  local name = text:match("\nAction:%s*([^\n]-)%s*\n") or text:match("^Action:%s*([^\n]-)%s*\n")
  return name ~= nil and actions[name] == true
end

local function agent_log_replies(dir, actions)
  local files = {}
  for _, n in ipairs(sys.list_dir(dir .. "/agent_log") or {}) do
    local k = n:match("^step_(%d+)_log%.log$")
    if k then files[#files + 1] = { n = tonumber(k), path = dir .. "/agent_log/" .. n } end
  end
  table.sort(files, function(a, b) return a.n < b.n end)
  local out, turn = {}, -1
  for _, f in ipairs(files) do
    local prev_ok = true
    for ci, c in ipairs(parse_step_log(sys.read(f.path) or "", f.n)) do
      if ci == 1 or prev_ok then turn, c.attempt = turn + 1, 0 else c.attempt = out[#out].attempt + 1 end
      c.turn, c.call = turn, ci - 1
      local ok = accepted(c.text, actions)
      c.agent_verdict = ok and "accepted" or "rejected"
      c.source = "agent_log/step_" .. f.n .. "_log.log"
      prev_ok = ok
      out[#out + 1] = c
    end
  end
  return out
end

-- Reads and checks one source; returns the run (a plain table) or nil, err.
function M.read(src)
  local text, rerr = sys.read(src.trace)
  if not text then return nil, src.trace .. ": " .. tostring(rerr) end
  local run = { src = src, notes = {}, partial = nil }
  local doc, jerr = json.decode(text)
  local steps, problem
  if type(doc) == "table" then
    if type(doc.steps) ~= "table" then
      return nil, src.trace .. ": not an MLAgentBench trace (no \"steps\" list)"
    end
    steps, problem = doc.steps, doc.task_description
    run.action_names = {}
    for k in pairs(type(doc.action_infos) == "table" and doc.action_infos or {}) do
      run.action_names[k] = true
    end
  else
    steps, problem = salvage(text)
    if not steps then
      return nil, src.trace .. ": not JSON (" .. tostring(jerr) .. ") and no steps list to salvage"
    end
    run.partial = ("the trace is not whole JSON (%s): the %d complete steps before the cut "
      .. "were imported"):format(tostring(jerr), #steps)
  end
  run.problem = type(problem) == "string" and problem or nil
  run.steps = {}
  for i, s in ipairs(steps) do
    local a = type(s) == "table" and s.action
    if type(a) ~= "table" or type(a.name) ~= "string" then
      run.partial = run.partial or ("step %d has no action name: the steps before it were imported"):format(i - 1)
      break
    end
    run.steps[#run.steps + 1] = {
      name = a.name, args = a.args == nil and {} or a.args, observation = str(s.observation),
      timestamp = tonumber(s.timestamp),
    }
  end
  if #run.steps == 0 then run.notes[#run.notes + 1] = "the trace has no steps" end
  if not run.action_names or next(run.action_names) == nil then
    run.action_names = {}
    for _, s in ipairs(run.steps) do run.action_names[s.name] = true end
  end
  -- The raw replies: a bundle's replies.jsonl, or a run folder's agent_log.
  if src.replies then
    local r = {}
    for _, x in ipairs(src.replies) do r[#r + 1] = x end
    table.sort(r, function(a, b)
      if a.turn ~= b.turn then return (a.turn or 0) < (b.turn or 0) end
      return (a.attempt or 0) < (b.attempt or 0)
    end)
    run.replies = r
  elseif src.dir and is_dir(src.dir .. "/agent_log") then
    run.replies = agent_log_replies(src.dir, run.action_names)
  end
  if src.dir then
    local e = sys.read(src.dir .. "/env_log/error.txt")
    if e and e:find("%S") then
      local last
      for l in e:gmatch("[^\n]+") do if l:find("%S") then last = l end end
      run.crash = last
    end
    run.overall_time = tonumber(sys.read(src.dir .. "/env_log/overall_time.txt") or "")
  end
  return run
end

---------------------------------------------------------------------------
-- How the run ended

local function ended(run)
  local info = run.src.info or {}
  local steps = run.steps
  local final_given, shutdown = false, false
  for _, s in ipairs(steps) do
    if s.name == "Final Answer" then final_given = true end
    if s.observation:sub(1, #M.SHUTDOWN) == M.SHUTDOWN then shutdown = true end
  end
  local max_steps = math.tointeger(tonumber(info.max_steps))
  local fm = type(info.final_message) == "string" and info.final_message or nil
  local crash = run.crash or (fm == nil and type(info.crash_error_last_line) == "string"
    and info.crash_error_last_line or nil)
  if final_given then return "final_answer", "the agent gave a final answer", max_steps end
  if fm and fm:find("No valid response", 1, true) then
    return "no_valid_response", fm, max_steps
  end
  if run.replies and #run.replies > 0 and not crash and not fm then
    local last = run.replies[#run.replies]
    if last.agent_verdict == "rejected" and (last.attempt or 0) >= 4 then
      return "no_valid_response", "the last turn's replies were all rejected", max_steps
    end
  end
  if crash and not (fm and fm:find("is_final", 1, true)) then
    if crash:find("no Final message", 1, true) then
      return "unknown", "the runner stopped without a final message: " .. crash, max_steps
    end
    return "crash", crash, max_steps
  end
  if shutdown or (fm and (fm:find("is_final", 1, true) or fm:find("max steps", 1, true))) then
    return "step_limit", fm or "the environment shut down (steps or time)", max_steps
  end
  if not max_steps then
    max_steps = M.DEFAULT_MAX_STEPS
    run.notes[#run.notes + 1] = ("max_steps is not in the log: the reference runner's "
      .. "default (%d) is assumed"):format(max_steps)
  end
  if #steps >= max_steps then return "step_limit", "the step limit was reached", max_steps end
  return "unknown", "the log does not say how the run ended", max_steps
end

-- mlab's status for each way a reference run ends.
M.STATUS = {
  final_answer = "final_answer", step_limit = "budget_exhausted",
  no_valid_response = "agent_error", crash = "host_error", unknown = "killed",
}

---------------------------------------------------------------------------
-- Writing the run directory

local function sanitize(s) return (tostring(s or "unknown"):gsub("[^%w._%-]", "_")) end

function M.run_id(run)
  local s = run.src
  if s.task and s.model and s.run then
    return ("mlagentbench-%s-%s-%s"):format(sanitize(s.task), sanitize(s.model), sanitize(s.run))
  end
  local base = basename(s.trace):gsub("%.json$", "")
  if base == "trace" then base = basename(s.trace:match("^(.*)/env_log/[^/]+$") or "run") end
  return "mlagentbench-" .. sanitize(base)
end

-- FNV-1a (32 bits) over a text, four bytes at a time: the content key
-- that finds copies (the same steps with other timestamps).
local function fnv(text)
  local h = 2166136261
  local n = #text
  local i = 1
  while i + 3 <= n do
    h = ((h ~ string.unpack("<I4", text, i)) * 16777619) & 0xffffffff
    i = i + 4
  end
  for j = i, n do h = ((h ~ text:byte(j)) * 16777619) & 0xffffffff end
  return ("%08x%08x"):format(h, n & 0xffffffff)
end

local function content_key(run)
  local parts = {}
  for i, s in ipairs(run.steps) do
    parts[i] = json.encode({ s.name, s.args, s.observation })
  end
  return fnv(table.concat(parts, "\n"))
end

local function commit(h, tag, msg)
  local id, err = h:commit(tag, msg, { sync = false })
  if not id then error(("history: %s"):format(tostring(err)), 0) end
  return id
end

local function copies_of(run)
  if not run.src.dir then return nil end
  local base = run.src.dir .. "/env_log/traces"
  if not is_dir(base) then return nil end
  local have, count = {}, 0
  for i = 1, #run.steps do
    local p = ("%s/step_%d_files"):format(base, i - 1)
    if is_dir(p) then have[i] = p; count = count + 1 end
  end
  if count == 0 then return nil end
  return have, count
end

-- The replies as llm.jsonl lines, and each model step's reply index.
-- Accepted replies whose Action Input parsed map, in order, to the steps
-- the model chose (the others never reached the environment).
local function calls_of(run, model)
  local out, by_step = {}, {}
  if not run.replies or #run.replies == 0 then return out, by_step end
  local model_steps = {}
  for i, s in ipairs(run.steps) do
    if not s.bookkeeping then model_steps[#model_steps + 1] = i end
  end
  local k = 0
  local turn_calls = {}
  local function close_turn(step_index)
    for _, c in ipairs(turn_calls) do c.step = (step_index or (#run.steps + 1)) - 1 end
    turn_calls = {}
  end
  for i, r in ipairs(run.replies) do
    local limit = run.input_limits and run.input_limits[r.model or model]
    local line = {
      call = i, provider = "mlagentbench", model = r.model or model, purpose = "agent",
      request = { max_tokens = math.tointeger(r.max_tokens or run.src.max_tokens),
                  max_input_tokens = limit },
      reply = r.text or "",
      imported = { verdict = r.agent_verdict, attempt = math.tointeger(r.attempt) or r.attempt,
        turn = math.tointeger(r.turn) or r.turn, source = r.source,
        action_input_parse_error = r.action_input_parse_error, note = r.note },
    }
    if r.prompt_tokens ~= nil or r.sampled_tokens ~= nil then
      line.usage = { prompt = math.tointeger(r.prompt_tokens) or r.prompt_tokens,
                     completion = math.tointeger(r.sampled_tokens) or r.sampled_tokens }
    end
    if r.agent_verdict == "rejected" then line.error = { kind = "bad_reply",
      message = "the agent rejected this reply (not in its format)" } end
    out[#out + 1] = line
    turn_calls[#turn_calls + 1] = line
    if r.agent_verdict == "accepted" then
      if r.action_input_parse_error == true then
        -- the environment never saw it: the turn's calls precede the next step
        local nxt = model_steps[k + 1]
        close_turn(nxt)
      else
        k = k + 1
        local si = model_steps[k]
        if si then by_step[si] = line end
        close_turn(si)
      end
    end
  end
  close_turn(model_steps[k + 1])
  if k ~= #model_steps then
    run.notes[#run.notes + 1] = ("%d accepted replies for %d model steps: replies are "
      .. "attached to steps in order"):format(k, #model_steps)
  end
  return out, by_step
end

-- opts.key_seen: content key -> run id of runs imported before (copies
-- are marked duplicate_of); opts.input_limits: model -> the tokens of a
-- prompt its server kept (the rest was cut before the model saw it; a
-- fact of the deployment the logs do not hold), written to each call as
-- request.max_input_tokens.  Returns the run directory handle, or nil, err.
function M.write(runs_dir, run, opts)
  opts = opts or {}
  run.input_limits = opts.input_limits
  local src = run.src
  local id = opts.id or M.run_id(run)
  local rd, cerr = rundir.create(runs_dir, id)
  if not rd then return nil, cerr end
  local ok, werr = pcall(function()
    local how, why, max_steps = ended(run)
    local model = src.model or (src.info and src.info.llm_name) or "unknown"
    for i, s in ipairs(run.steps) do s.bookkeeping = M.bookkeeping(s.name, s.args) or nil; s.index = i end
    local calls, by_step = calls_of(run, model)
    assert(sys.mkdir_p(rd.paths.workspace))
    local h = assert(snap_mod.open(rd.paths.git, rd.paths.workspace))
    local copies, ncopies = copies_of(run)
    local fidelity = {
      workspace = copies and (ncopies == #run.steps and "per_step" or "final") or "none",
      calls = #calls > 0 and "raw" or "none",
      prompts = "none",
    }
    local commits = {}
    local first = run.steps[1]
    if copies and copies[1] and first and READ_ONLY[first.name] then
      assert(sys.copy_tree(copies[1], rd.paths.workspace .. "/."))
      commits[0] = commit(h, "step-0", "step 0: starter files (the first step's copy: "
        .. first.name .. " changes nothing)\n")
    else
      commits[0] = commit(h, "step-0", copies and
        "step 0: starter files (not in the log: empty)\n" or
        ("step 0: workspace not recorded\n\nThe reference system's log has no per-step "
        .. "copies of the workspace (env_log/traces/step_N_files/); every step-N tag "
        .. "names this commit (an empty workspace).\n"))
    end
    if copies then
      for i, s in ipairs(run.steps) do
        if copies[i] then
          assert(sys.remove_tree(rd.paths.workspace))
          assert(sys.copy_tree(copies[i], rd.paths.workspace))
        end
        local body = json.encode(s.args, "  ")
        if #body > 16384 then body = body:sub(1, 16384) .. "\n[...]" end
        commits[i] = commit(h, "step-" .. i, ("step %d: %s\n\n%s\n%s"):format(i, s.name, body,
          copies[i] and "" or "(no copy of the workspace after this step in the log)\n"))
      end
      if h.sync then assert(h:sync()) end
    else
      if h.sync then assert(h:sync()) end
      -- Every step-N names the one commit of a run without workspace copies.
      for n = 1, #run.steps do assert(h:tag("step-" .. n, commits[0])) end
      for i = 1, #run.steps do commits[i] = commits[0] end
    end
    -- trace.jsonl
    local lines = {}
    local t_first = first and first.timestamp
    for i, s in ipairs(run.steps) do
      local prev = run.steps[i - 1]
      local started = prev and prev.timestamp or s.timestamp or 0
      local rec = {
        step = i, action = s.name, input = s.args, observation = s.observation,
        started = started, duration_s = math.max((s.timestamp or started) - started, 0),
        commit = commits[i], tokens = 0, bookkeeping = s.bookkeeping,
        imported = { timestamp = s.timestamp },
      }
      rec.error, rec.code = failure(s.observation)
      local c = by_step[i]
      if c then
        rec.imported.call = c.call
        local u = c.usage or {}
        rec.tokens = (tonumber(u.prompt) or 0) + (tonumber(u.completion) or 0)
      end
      lines[i] = rec
    end
    assert(rd:keep_steps(lines))
    assert(rd:append_end({ status = M.STATUS[how], message = why, steps = #run.steps,
      imported = how }))
    assert(rd:keep_calls(calls))
    -- run.json
    local last = run.steps[#run.steps]
    local info = src.info or {}
    local overall = tonumber(info.overall_time_s) or run.overall_time
    local t_end = last and last.timestamp or nil
    local started = t_end and overall and (t_end - overall) or t_first or 0
    local key = content_key(run)
    local dup = opts.key_seen and opts.key_seen[key]
    local tokens = 0
    for _, c in ipairs(calls) do
      tokens = tokens + (tonumber(c.usage and c.usage.prompt) or 0)
        + (tonumber(c.usage and c.usage.completion) or 0)
    end
    local final
    for _, s in ipairs(run.steps) do
      if s.name == "Final Answer" and type(s.args) == "table" then final = str(s.args.final_answer) end
    end
    local bk = 0
    for _, s in ipairs(run.steps) do if s.bookkeeping then bk = bk + 1 end end
    local m = {
      id = id, task = src.task or "unknown", agent = M.AGENT, llm = model, model = model,
      category = "mlagentbench", status = M.STATUS[how], message = why,
      budget_kind = how == "step_limit" and "steps" or nil,
      budgets = { max_steps = max_steps },
      started = started, ended = t_end or started, time_s = overall or (t_end and t_first and t_end - t_first) or 0,
      steps = #run.steps, tokens = tokens, final_answer = final, problem = run.problem,
      llm_usage = { calls = #calls },
      imported = {
        from = "mlagentbench", source = src.trace, run_folder = src.dir, key = src.key,
        ended = how, fidelity = fidelity, partial = run.partial, notes = run.notes,
        model_steps = #run.steps - bk, bookkeeping_steps = bk,
        content_key = key, duplicate_of = dup, final_message = info.final_message,
        max_steps_assumed = (info.max_steps == nil) or nil,
        input_limit = opts.input_limits and opts.input_limits[model],
      },
    }
    assert(rd:write_manifest(m))
    if opts.key_seen and not dup then opts.key_seen[key] = id end
  end)
  if not ok then
    sys.remove_tree(rd.dir)
    return nil, ("%s: %s"):format(src.trace, tostring(werr))
  end
  return rd
end

-- Content keys of the imported runs already in runs_dir (copies found
-- across imports too).
function M.seen(runs_dir)
  local seen = {}
  for _, rd in ipairs(rundir.list(runs_dir)) do
    local m = rd:manifest()
    local k = m and m.imported and m.imported.content_key
    if k and not m.imported.duplicate_of then seen[k] = seen[k] or m.id end
  end
  return seen
end

return M
