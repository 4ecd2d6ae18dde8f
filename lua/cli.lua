-- cli.lua - the mlab command line.  main.c calls M.main(args, version).
local host = require("mlab.host")
local snap_mod = require("mlab.snap")
local json = require("json")
local task_mod = require("task")
local run_mod = require("run")
local rundir = require("rundir")
local term = require("term")

local M = {}

local ROOT = package.mlab_root
local VERSION = "?"

local function out(...) io.stdout:write(...) end
local function err(msg) io.stderr:write("mlab: ", msg, "\n") end

local HELP = [[
usage: mlab COMMAND [ARGS]

Runs language agents on ML research tasks, every step traced and committed
to git, under budgets the host enforces.

commands:
  run TASK [options]        run an agent on a task (see mlab run --help)
  runs                      list the runs in the runs directory
  log RUN                   the steps of a run, with its status and score
  show RUN STEP             one step: action, input, observation, its diff
  diff RUN A B [-- PATH]    the workspace change from step A to step B
  checkout RUN STEP DIR     write the workspace as it was after STEP into DIR
  resume RUN                continue a killed or out-of-budget run
  eval RUN [--step N]       score the workspace (at step N) with the hidden data
  replay RUN                re-run RUN from its recorded model calls and compare
  tasks [--measure NAME]    list the tasks (or re-measure one's baseline)
  test-lua FILE             run a Lua test file in the agent sandbox
  help [COMMAND]            this text, or a command's

RUN is a run id, a unique prefix of one, a path to a run directory, or
"last".  Runs live in ./runs unless --runs-dir DIR or MLAB_RUNS_DIR says
otherwise.  Task data and baselines are cached in $MLAB_CACHE (default
~/.cache/mlab).  MLAB_HOME points at the mlab tree (lua/, agents/, tasks/).

models (--llm SPEC; see docs/models.md):
  MLAB_LLM                  the default SPEC when --llm is not given
  OPENAI_API_KEY            key for openai:MODEL (optional with @URL)
  OPENAI_BASE_URL           endpoint for openai:MODEL without @URL
  ANTHROPIC_API_KEY         key for anthropic:MODEL
  ANTHROPIC_BASE_URL        endpoint for anthropic:MODEL without @URL
  MLAB_LLM_MAX_TRIES (4), MLAB_LLM_TIMEOUT (120 s), MLAB_LLM_CONNECT_TIMEOUT
  (10 s), MLAB_LLM_BACKOFF (1 s), MLAB_LLM_BACKOFF_MAX (30 s),
  MLAB_LLM_MAX_RETRY_AFTER (120 s), MLAB_LLM_MAX_TOKENS (1024 per call)
]]

local CMD_HELP = {
  run = [[
usage: mlab run TASK [options]

TASK is a name from `mlab tasks` or a path to a task folder.
  --agent A        agents/A.lua or a path to an agent file (default: baseline)
  --llm SPEC       the model: none (default, or $MLAB_LLM),
                   openai:MODEL[@URL], anthropic:MODEL[@URL],
                   replay:RUN_OR_FILE (see mlab --help, docs/models.md)
  --max-steps N    actions the agent may take (default 50)
  --max-time S     wall-clock seconds for the agent (default 1800)
  --max-tokens N   prompt + completion tokens (default: no limit)
  --max-mem MB     Lua heap of the agent (default 512)
  --runs-dir D     where the run directory goes (default ./runs)
  --id ID          the run id (default: time-task-agent-random)
  -q, --quiet      no step lines while it runs
  -v, --verbose    also show what the agent prints

Creates RUNS/ID/ with run.json, trace.jsonl, workspace/ and history.git/
(commit 0 = starter files, one commit per step, tags step-N), and llm.jsonl
(one line per model call; never an API key).  Prints one line
per step, then the status and the score against the baseline.  Exit status:
0 when the run ended (any status but agent_error), 1 on agent_error, 2 on bad
usage or a broken task.
]],
  resume = [[
usage: mlab resume RUN [--llm SPEC] [--max-steps N] [--max-time S] [-q] [--runs-dir D]

Continues a run that was killed (or ran out of budget) from its last complete
step: the workspace and history go back to that step, and the agent runs
again from the start with its recorded steps answered from trace.jsonl (each
checked against what the agent asks; a difference ends the run with
agent_error).  The time budget is what was left, unless --max-time gives a
new one; --max-steps raises the step budget (steps count from the start).
Model calls made before that step are answered from llm.jsonl; later ones go
to the run's model, or to --llm SPEC (same model, another endpoint or key).
]],
  log = "usage: mlab log RUN [--runs-dir D]\n\nThe run's manifest and one line per step.\n",
  show = "usage: mlab show RUN STEP [--runs-dir D]\n\nThe step's action, input, observation and the diff it made.\n",
  diff = "usage: mlab diff RUN A B [-- PATH] [--runs-dir D]\n\nUnified diff of the workspace from step A to step B (optionally one path).\n",
  checkout = "usage: mlab checkout RUN STEP DIR [--runs-dir D]\n\nWrites the workspace after STEP into DIR (new or empty).\n",
  eval = "usage: mlab eval RUN [--step N] [--runs-dir D]\n\nRuns the task's evaluator on the workspace (as it is, or as it was after step N) and prints the score.\n",
  tasks = "usage: mlab tasks [--measure NAME]\n\nLists the tasks: name, kind, metric, the baseline recorded in task.lua, the one measured here (cached), and the size of the prepared data the agent sees.\n--measure NAME prepares the data if needed and re-measures the baseline by running the starter code.\n",
  runs = "usage: mlab runs [--runs-dir D]\n\nOne line per run: id, status, score, baseline, steps.\n",
  replay = require("replay").HELP,
  help = "usage: mlab help [COMMAND]\n\nThe overview, or one command's usage.\n",
  ["test-lua"] = "usage: mlab test-lua FILE\n\nRuns FILE in the agent sandbox (stdlib/ and agents/ requirable; lua/ too when its first line says \"mlab-test: host-modules\") with a 60 s budget; exit 0 when it raises nothing.\n",
}

-- Splits args into positionals and --options (spec: name -> "value"|"flag").
local function parse(args, spec)
  local o, pos, rest = {}, {}, nil
  local i = 1
  while i <= #args do
    local a = args[i]
    if rest then
      rest[#rest + 1] = a
    elseif a == "--" then
      rest = {}
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local name, val = a:match("^%-%-?([^=]+)=(.*)$")
      name = name or a:gsub("^%-%-?", "")
      local kind = spec[name]
      if not kind then return nil, "unknown option " .. a end
      if kind == "flag" then
        o[name] = true
      else
        if not val then
          i = i + 1
          val = args[i]
          if val == nil then return nil, a .. " needs a value" end
        end
        o[name] = val
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return o, pos, rest
end

local function runs_dir(o)
  local d = o["runs-dir"] or host.getenv("MLAB_RUNS_DIR") or "runs"
  if d:sub(1, 1) ~= "/" then d = (host.getenv("PWD") or ".") .. "/" .. d end
  return d
end

local function number_opt(o, name, default)
  if o[name] == nil then return default end
  local n = tonumber(o[name])
  if not n or n < 0 then error({ usage = "--" .. name .. " takes a number >= 0" }) end
  return n
end

-- A run named by the user -> its directory (rundir.find).
local function find_run(o, name)
  local rd, e = rundir.find(runs_dir(o), name)
  if not rd then return nil, e end
  return rd.dir
end

local function read_manifest(dir) return (rundir.at(dir):manifest()) end

-- Step lines and the end event, in trace order.
local function read_trace(dir)
  local steps, ended = rundir.at(dir):steps()
  if ended then steps[#steps + 1] = ended end
  return steps
end

local function status_of(m) return rundir.at(""):status(m) end

local function fmt_score(v)
  if type(v) ~= "number" then return "-" end
  return ("%.4g"):format(v)
end

local function one_line(s, n)
  s = term.visible(tostring(s or ""):gsub("%s+", " "))
  if #s > n then s = s:sub(1, n - 3) .. "..." end
  return s
end

local function input_summary(input)
  if type(input) ~= "table" then return "" end
  local parts = {}
  for _, k in ipairs({ "file_name", "script_name", "dir_path", "source", "destination" }) do
    if input[k] then parts[#parts + 1] = tostring(input[k]) end
  end
  if input.start_line_number then
    parts[#parts + 1] = ("%d-%s"):format(input.start_line_number, tostring(input.end_line_number or "end"))
  end
  if input.final_answer then parts[#parts + 1] = one_line(input.final_answer, 40) end
  return table.concat(parts, " ")
end

function M.step_line(s)
  if s.event == "end" then
    return ("  --  run ended: %s%s\n"):format(s.status, s.message and (": " .. one_line(s.message, 90)) or "")
  end
  local obs = s.error and ("error: " .. s.error) or s.observation
  return ("%4d  %-20s %-28s %6.2fs  %s  %s\n"):format(
    math.tointeger(s.step) or 0, one_line(s.action, 20), one_line(input_summary(s.input), 28),
    s.duration_s or 0, (s.commit or ""):sub(1, 7), one_line(obs, 60))
end

local function count(v) return math.tointeger(v) or v or "?" end

local function summary(m, steps)
  local lines = {
    ("run      %s"):format(m.id),
    ("task     %s (%s, %s %s)"):format(m.task, m.category or "?", m.metric and m.metric.name or "?",
      m.metric and m.metric.goal or "?"),
    ("agent    %s   llm %s"):format(m.agent, m.llm or "none"),
    ("status   %s%s"):format(status_of(m), m.message and ("  (" .. one_line(m.message, 200) .. ")") or ""),
    ("steps    %s   tokens %s   time %.1f s"):format(count(steps or m.steps), count(m.tokens or 0), m.time_s or 0),
  }
  local score = ("score    %s   baseline %s"):format(fmt_score(m.score), fmt_score(m.baseline))
  if m.improvement then
    score = score .. ("   improvement %+.1f%%   %s"):format(m.improvement * 100,
      m.success and "SUCCESS (above " .. (m.threshold or 0.1) * 100 .. "%)" or "not a success")
  end
  if m.evaluation_error then score = score .. "   evaluation failed: " .. m.evaluation_error end
  lines[#lines + 1] = score
  return table.concat(lines, "\n") .. "\n"
end

-- Commands -------------------------------------------------------------

local cmd = {}

function cmd.run(args)
  local o, pos = parse(args, {
    agent = "value", llm = "value", ["max-steps"] = "value", ["max-time"] = "value",
    ["max-tokens"] = "value", ["max-mem"] = "value", ["runs-dir"] = "value",
    id = "value", quiet = "flag", q = "flag", verbose = "flag", v = "flag", help = "flag", h = "flag",
  })
  if not o then error({ usage = pos }) end
  if o.help or o.h then out(CMD_HELP.run); return 0 end
  if #pos ~= 1 then error({ usage = "mlab run takes one TASK (see mlab run --help)" }) end
  local quiet = o.quiet or o.q
  local d = run_mod.DEFAULTS
  local opts = {
    root = ROOT, task = pos[1], agent = o.agent or "baseline",
    llm = o.llm or host.getenv("MLAB_LLM") or "none",
    max_steps = math.tointeger(number_opt(o, "max-steps", d.max_steps)) or error({ usage = "--max-steps takes a whole number" }),
    max_time = number_opt(o, "max-time", d.max_time),
    max_tokens = math.tointeger(number_opt(o, "max-tokens", d.max_tokens)) or error({ usage = "--max-tokens takes a whole number" }),
    max_mem_mb = number_opt(o, "max-mem", d.max_mem_mb),
    runs_dir = runs_dir(o), id = o.id, verbose = o.verbose or o.v, version = VERSION,
  }
  if not quiet then
    opts.on_step = function(rec) io.stderr:write(M.step_line(rec)) end
  end
  local run, serr = run_mod.start(opts)
  if not run then err(serr); return 2 end
  if not quiet then
    io.stderr:write(("run %s: %s on %s (baseline %s)\n"):format(run.id, opts.agent, run.task.name,
      fmt_score(run.manifest.baseline)))
  end
  local m = run_mod.complete(run, opts)
  out(summary(m))
  out(("dir      %s\n"):format(run.paths.dir))
  return (m.status == "agent_error" or m.status == "host_error") and 1 or 0
end

function cmd.resume(args)
  local o, pos = parse(args, { ["runs-dir"] = "value", ["max-steps"] = "value", llm = "value",
    ["max-time"] = "value", quiet = "flag", q = "flag", verbose = "flag", v = "flag" })
  if not o or #pos ~= 1 then error({ usage = CMD_HELP.resume }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local opts = { root = ROOT, dir = dir, verbose = o.verbose or o.v, llm = o.llm,
    max_time = o["max-time"] and number_opt(o, "max-time"),
    max_steps = o["max-steps"] and math.tointeger(number_opt(o, "max-steps")) }
  if not (o.quiet or o.q) then
    opts.on_step = function(rec) io.stderr:write(M.step_line(rec)) end
  end
  local run, rerr = run_mod.resume(opts)
  if not run then err(rerr); return 2 end
  local ropts = rerr
  if not (o.quiet or o.q) then
    io.stderr:write(("resuming %s after step %d\n"):format(run.id, run.replay and #run.replay or 0))
  end
  local m = run_mod.complete(run, ropts)
  out(summary(m))
  return (m.status == "agent_error" or m.status == "host_error") and 1 or 0
end

function cmd.runs(args)
  local o = parse(args, { ["runs-dir"] = "value" })
  if not o then error({ usage = "mlab runs [--runs-dir D]" }) end
  for _, rd in ipairs(rundir.list(runs_dir(o))) do
    local m = rd:manifest()
    if m then
      out(("%-56s %-17s score %-8s baseline %-8s steps %s\n"):format(rd.id, rd:status(m),
        fmt_score(m.score), fmt_score(m.baseline), tostring(m.steps or "?")))
    end
  end
  return 0
end

function cmd.log(args)
  local o, pos = parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 1 then error({ usage = CMD_HELP.log }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local m = read_manifest(dir)
  if not m then err("cannot read " .. dir .. "/run.json"); return 2 end
  local trace = read_trace(dir)
  local n = 0
  for _, s in ipairs(trace) do if s.step then n = n + 1 end end
  out(summary(m, n))
  out(("\nstep  %-20s %-28s %7s  %-7s  %s\n"):format("action", "input", "time", "commit", "observation"))
  for _, s in ipairs(trace) do out(M.step_line(s)) end
  return 0
end

local function open_history(dir)
  return snap_mod.open(dir .. "/history.git")
end

local function step_arg(v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 then error({ usage = "a step is a whole number >= 0, not '" .. tostring(v) .. "'" }) end
  return n
end

function cmd.show(args)
  local o, pos = parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 2 then error({ usage = CMD_HELP.show }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local n = step_arg(pos[2])
  local h = assert(open_history(dir))
  if n == 0 then
    out("step 0: starter files\n\n")
    out(assert(h:changes("step-0")))
    return 0
  end
  local s
  for _, t in ipairs(read_trace(dir)) do if t.step == n then s = t end end
  if not s then err(("run has no step %d"):format(n)); return 2 end
  out(("step %d: %s   (%.2f s, %d tokens, commit %s)\n"):format(n, s.action, s.duration_s or 0,
    math.tointeger(s.tokens) or 0, s.commit or "?"))
  out("\ninput:\n", json.encode(s.input, "  "), "\n")
  out("\nobservation:\n", s.error and ("error: " .. s.error) or tostring(s.observation), "\n")
  local patch = h:diff("step-" .. (n - 1), "step-" .. n)
  out("\ndiff:\n", patch and patch ~= "" and patch or "(no change to the workspace)\n")
  return 0
end

function cmd.diff(args)
  local o, pos, rest = parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 3 then error({ usage = CMD_HELP.diff }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local a, b = step_arg(pos[2]), step_arg(pos[3])
  local h = assert(open_history(dir))
  local patch, derr = h:diff("step-" .. a, "step-" .. b, rest and rest[1])
  if not patch then err(derr); return 2 end
  out(patch)
  return 0
end

function cmd.checkout(args)
  local o, pos = parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 3 then error({ usage = CMD_HELP.checkout }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local n = step_arg(pos[2])
  local h = assert(open_history(dir))
  local ok, cerr = h:checkout("step-" .. n, pos[3])
  if not ok then err(cerr); return 2 end
  out(("step %d of %s written to %s\n"):format(n, dir:match("[^/]+$"), pos[3]))
  return 0
end

function cmd.eval(args)
  local o, pos = parse(args, { ["runs-dir"] = "value", step = "value" })
  if not o or #pos ~= 1 then error({ usage = CMD_HELP.eval }) end
  local dir, e = find_run(o, pos[1])
  if not dir then err(e); return 2 end
  local m = read_manifest(dir)
  local task, terr = task_mod.load(m.task_dir)
  if not task then err(terr); return 2 end
  local data, perr = task_mod.prepare(task, function(s) io.stderr:write(s, "\n") end)
  if not data then err(perr); return 2 end
  local where = dir .. "/workspace"
  local tmp
  if o.step then
    local n = step_arg(o.step)
    tmp = ("%s/eval-%s-%d"):format(task_mod.cache_root(), host.random_hex(4), n)
    local ok, cerr = assert(open_history(dir)):checkout("step-" .. n, tmp)
    if not ok then err(cerr); return 2 end
    where = tmp
  end
  local score, eerr = task_mod.evaluate(task, data, where)
  if tmp then host.remove_tree(tmp) end
  if not score then err("evaluation failed: " .. eerr); return 1 end
  local imp = task_mod.improvement(task, score.score, m.baseline)
  out(json.encode({ run = m.id, step = o.step and step_arg(o.step) or "final", score = score.score,
    baseline = m.baseline, improvement = imp, success = imp ~= nil and imp > task.threshold,
    evaluation = score }, "  "), "\n")
  return 0
end

local function tree_size(path)
  local st = host.stat(path)
  if not st then return 0 end
  if st.type ~= "directory" then return st.size end
  local total = 0
  for _, n in ipairs(host.list_dir(path) or {}) do total = total + tree_size(path .. "/" .. n) end
  return total
end

local function human_size(n)
  if n >= 1048576 then return ("%.1f MB"):format(n / 1048576) end
  return ("%.0f KB"):format(n / 1024)
end

function cmd.tasks(args)
  local o, pos = parse(args, { measure = "value", help = "flag" })
  if not o or #pos > 0 then error({ usage = CMD_HELP.tasks }) end
  if o.measure then
    local task, terr = task_mod.find(ROOT, o.measure)
    if not task then err(terr); return 2 end
    local data, perr = task_mod.prepare(task, function(s) io.stderr:write(s, "\n") end)
    if not data then err(perr); return 2 end
    local rec, merr = task_mod.measure(task, data)
    if not rec then err(merr); return 1 end
    local within = task.baseline == nil or math.abs(rec.score - task.baseline) <= task.noise
    out(json.encode({ task = task.name, measured = rec.score, recorded = task.baseline,
      noise = task.noise, within_noise = within, seconds = rec.seconds }, "  "), "\n")
    return within and 0 or 1
  end
  out(("%-20s %-10s %-22s %-9s %-9s %s\n"):format("task", "kind", "metric", "baseline",
    "measured", "data"))
  for _, name in ipairs(task_mod.list(ROOT)) do
    local t, terr = task_mod.find(ROOT, name)
    if t then
      local dir = task_mod.cache_dir(t)
      local size = host.stat(dir .. "/prepared.json") and human_size(tree_size(dir .. "/public"))
        or "not prepared"
      local measured = json.decode(host.read(dir .. "/baseline.json") or "")
      if measured and measured.fingerprint ~= task_mod.fingerprint(t) then measured = nil end
      out(("%-20s %-10s %-22s %-9s %-9s %s\n"):format(name, t.category,
        t.metric.name .. " (" .. t.metric.goal .. ")", fmt_score(t.baseline),
        fmt_score(measured and measured.score), size))
    else
      out(("%-20s BROKEN: %s\n"):format(name, terr))
    end
  end
  return 0
end

cmd["test-lua"] = function(args)
  local file = args[1]
  if not file then error({ usage = CMD_HELP["test-lua"] }) end
  local sandbox = require("sandbox")
  local dir = file:match("^(.*)/[^/]*$") or "."
  -- A file whose first line says "mlab-test: host-modules" may also
  -- require lua/ (pure host modules such as llm.lua, unit-tested under the
  -- agents' sandbox and budgets); others see stdlib/ and agents/ only.
  local dirs = { dir }
  local f = io.open(file, "r")
  if f and (f:read("l") or ""):find("mlab-test: host-modules", 1, true) then
    dirs[2] = ROOT .. "/lua"
  end
  if f then f:close() end
  local env = sandbox.new({ root = ROOT, dirs = dirs, print = print })
  local chunk, lerr = sandbox.loadfile(file, env)
  if not chunk then err(lerr); return 1 end
  host.budget_set({ time = 60, mem_mb = 512 })
  host.budget_start()
  local st, msg = host.call_agent(chunk)
  if st ~= "ok" then
    io.stderr:write(file, ": ", st, ": ", tostring(msg), "\n")
    return 1
  end
  out(file, ": ok\n")
  return 0
end

function cmd.replay(args)
  return require("replay").main(args, {
    parse = parse, find_run = find_run, runs_dir = runs_dir, read_manifest = read_manifest,
    read_trace = read_trace, summary = summary, step_line = M.step_line,
    out = out, err = err, root = ROOT, version = VERSION,
  })
end

function cmd.help(args)
  local c = args[1]
  if c and CMD_HELP[c] then out(CMD_HELP[c]) else out(HELP) end
  return 0
end

function M.main(args, version)
  VERSION = version or VERSION
  local name = args[1]
  if not name or name == "--help" or name == "-h" then out(HELP); return name and 0 or 2 end
  if name == "--version" then out("mlab ", VERSION, "\n"); return 0 end
  local f = cmd[name]
  if not f then err("unknown command '" .. name .. "' (see mlab --help)"); return 2 end
  local rest = table.move(args, 2, #args, 1, {})
  if rest[1] == "--help" or rest[1] == "-h" then
    out(CMD_HELP[name] or HELP)
    return 0
  end
  local ok, res = pcall(f, rest)
  if ok then return res end
  if type(res) == "table" and res.usage then
    err(res.usage)
    return 2
  end
  error(res, 0)
end

return M
