-- cmd/sweep.lua - `mlab sweep`: many runs (tasks x agents x models x seeds)
-- on a local process pool or as Slurm job arrays, resumed by each run's
-- recorded outcome.  The sweep itself is sweep.lua's; the pool
-- sweep_pool.lua's; progress sweep_progress.lua's; Slurm slurm.lua's.
local cl = require("cmdline")
local sys = require("mlab.sys")
local sweep = require("sweep")
local pool = require("sweep_pool")
local progress = require("sweep_progress")
local slurm = require("slurm")

local M = {}

M.help = [==[
usage: mlab sweep --out DIR --tasks T1,T2 --agents A1,A2 [--seeds N|LIST]
                  [--llm SPEC[,SPEC...]] [--jobs N] [--max-steps N]
                  [--max-time S] [--max-tokens N] [--max-mem MB]
                  [--preset NAME] [--llm-fast SPEC] [--retry KINDS] [--backend local|slurm] [--dry-run] [-q]
       mlab sweep --out DIR [--status]

Runs every combination of tasks x agents x models x seeds, each a normal
run directory DIR/runs/TASK-AGENT-MODEL-sSEED, with at most --jobs at once
(default 1).  TASK and AGENT are names or paths; --seeds 8 means seeds
0..7, --seeds 1,5,9 or 3-6 name them (the seed is the run's `seed` and
the agent's ctx.seed; default 0).  --llm defaults to none ($MLAB_LLM).
--preset and --llm-fast reach every run as in mlab run (--preset
mlagentbench: the reference study's harness and budgets, docs/fidelity.md).
Runs share the processors: each run's scripts get processors / --jobs as
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS, unless you set them.

The sweep runs the code as it was when it began: DIR/code holds a copy of
the mlab binary, lua/, stdlib/, agents/ and the tasks (sweep.json has the
sha256 of every file), and DIR/cache their data and baselines.  Editing an
agent while a sweep runs changes nothing in it.

Run the same command again to continue: a run whose run.json records an
outcome (final answer, budget, agent error, host error) is done; a killed
one is resumed from its last step (mlab resume); a missing one is started.
New tasks, agents, models or seeds extend the sweep; options left out are
the sweep's own; budgets, --preset and --llm-fast cannot change.  --retry names outcomes to run
again from the start (the old run is kept in DIR/runs/.retired/):
error (agent_error), infra (host_error, a run that could not start),
killed, budget, answer, or all.

Ctrl-C (SIGINT, SIGTERM) stops cleanly: every running run finishes its
step in flight and ends as killed, evaluated, with its steps kept.

Progress: one live line on a terminal (plain lines otherwise; -q: none),
a line per run that ends, then a table of outcomes per task, agent and
model, and `mlab report DIR/runs`.  --status prints that table for DIR
and exits.  Exit status: 0 when every run has an outcome, 1 when some
could not start or had a host error, 2 on bad usage, 128+N when stopped
by signal N.

--backend slurm submits the runs as one Slurm job array (DIR must be on a
filesystem the nodes share), then follows the queue (--no-wait: submit and
return; the same command later follows again).  Each array task runs one
run with --cpus N (1), --mem MB (the tasks' memory_mb + 1024) and --time MIN
(from --max-time and the tasks' timeouts), in --partition P / --account A,
plus --sbatch "OPT ..." as more #SBATCH lines.  Slurm warns each task
90 s before its time limit (USR1): the run ends as killed and the task
requeues itself to resume it.  --dry-run prints the job script instead.
--poll S sets how often the queue is read (default 1 s).  Each array task
runs `mlab sweep --out DIR --cell I`: the sweep's cell I alone (start it,
resume it, or nothing when it has an outcome).  See docs/sweeps.md.
]==]

local SPEC = {
  out = "value", tasks = "value", agents = "value", seeds = "value", llm = "value",
  jobs = "value", ["max-steps"] = "value", ["max-time"] = "value", ["max-tokens"] = "value",
  ["max-mem"] = "value", preset = "value", ["llm-fast"] = "value", retry = "value",
  backend = "value", ["dry-run"] = "flag",
  status = "flag", cell = "value", quiet = "flag", q = "flag", poll = "value",
  partition = "value", account = "value", cpus = "value", mem = "value", time = "value",
  sbatch = "value", ["no-wait"] = "flag",
}

local function whole(o, name, default)
  local n = cl.number(o, name, default)
  if n == nil then return nil end
  return math.tointeger(n) or cl.usage("--" .. name .. " takes a whole number")
end

local function parse_retry(s)
  local retry = {}
  for _, k in ipairs(sweep.split(s)) do
    if k == "all" then
      for c in pairs(sweep.RETRY) do retry[c] = true end
    elseif sweep.RETRY[k] then
      retry[k] = true
    else
      cl.usage("--retry takes error, infra, killed, budget, answer or all, not '" .. k .. "'")
    end
  end
  return retry
end

local function plan_opts(o)
  local opts = { out = o.out, root = cl.ROOT, version = cl.VERSION, budgets = {} }
  if o.tasks then opts.tasks = sweep.split(o.tasks) end
  if o.agents then opts.agents = sweep.split(o.agents) end
  if o.llm then opts.llms = sweep.split(o.llm) end
  opts.preset, opts.llm_fast = o.preset, o["llm-fast"]
  if o.seeds then
    local seeds, err = sweep.parse_seeds(o.seeds)
    if not seeds then cl.usage(err) end
    opts.seeds = seeds
  end
  opts.budgets.max_steps = whole(o, "max-steps")
  opts.budgets.max_time = cl.number(o, "max-time")
  opts.budgets.max_tokens = whole(o, "max-tokens")
  opts.budgets.max_mem_mb = cl.number(o, "max-mem")
  return opts
end

-- `--cell I`: one run of the sweep (a Slurm array task): start it, resume
-- it, or nothing when it has an outcome.
local function run_cell(o)
  local sw, err = sweep.open(o.out)
  if not sw then cl.err(err); return 2 end
  local i = math.tointeger(tonumber(o.cell))
  local cell = i and sw:cell_at(i)
  if not cell then cl.err("no cell " .. tostring(o.cell) .. " in " .. sw.dir); return 2 end
  local action, class, m = sw:action(cell, {})
  if action == "busy" then
    -- A requeued task on the node where the run was killed: let that host
    -- finish recording before resuming.
    for _ = 1, 60 do
      sys.sleep(1)
      action, class, m = sw:action(cell, {})
      if action ~= "busy" then break end
    end
    if action == "busy" then
      cl.err(("run %s is still running (pid %s)"):format(cell.id, tostring(m and m.pid)))
      return 1
    end
  end
  if action == "done" then
    cl.out(("cell %d: %s already ended (%s)\n"):format(i, cell.id, class))
    return 0
  end
  cl.out(("cell %d: %s %s\n"):format(i, action, cell.id))
  io.stdout:flush()
  local st, sig, child = pool.one(sw, cell, action)
  if not st then cl.err(sig); return 1 end
  local class2, m2, note = pool.outcome(sw, child, st)
  cl.out(("cell %d: %s ended %s%s%s\n"):format(i, cell.id, class2,
    m2 and type(m2.score) == "number" and ("  score %.4g"):format(m2.score) or "",
    note and ("  " .. note) or ""))
  if sig then return 128 + (pool.NUMBER[sig] or 15) end
  return (class2 == "infra") and 1 or 0
end

local function status_text(sw)
  local counts = {}
  for _, cell in ipairs(sw.cells) do
    local class = sw:state(cell)
    counts[class] = (counts[class] or 0) + 1
  end
  local parts = {}
  for _, k in ipairs({ "answer", "budget", "error", "infra", "killed", "running", "missing",
    "broken" }) do
    if counts[k] then parts[#parts + 1] = k .. " " .. counts[k] end
  end
  return ("sweep %s: %d runs: %s\n"):format(sw.dir, #sw.cells, table.concat(parts, ", "))
end

-- Slurm resources: flags, else from the budgets and the tasks' limits.
local function slurm_opts(sw, o, jobs)
  local task_mod = require("task")
  local mem, timeout = 0, 0
  for _, t in ipairs(sw.sources.tasks) do
    local task = task_mod.load(t.dir)
    if task then
      mem = math.max(mem, task.memory_mb)
      timeout = math.max(timeout, task.timeout)
    end
  end
  local max_time = sw.budgets.max_time > 0 and sw.budgets.max_time or 24 * 3600
  -- The agent's time, the evaluation, the warning and a margin to start.
  local minutes = math.ceil((max_time + 2 * timeout + slurm.WARN_S + 60) / 60)
  local extra = {}
  for x in (o.sbatch or ""):gmatch("%S+") do extra[#extra + 1] = x end
  return {
    jobs = jobs, cpus = whole(o, "cpus", 1), mem_mb = whole(o, "mem", math.floor(mem) + 1024),
    time_min = whole(o, "time", minutes), partition = o.partition, account = o.account,
    extra = extra,
  }
end

local function work_list(sw, retry, pr, live)
  local work, counts = {}, { start = 0, resume = 0, restart = 0, done = 0, busy = 0, live = 0 }
  for _, cell in ipairs(sw.cells) do
    local action, class, m = sw:action(cell, retry)
    if live and live[cell.index] then
      counts.live = counts.live + 1
      if pr then pr:known(cell, live[cell.index] == "RUNNING" and "running" or "left", m) end
    else
      counts[action] = counts[action] + 1
      if pr then pr:known(cell, action == "busy" and "busy" or class, m) end
      if action ~= "done" then
        work[#work + 1] = { cell = cell, action = action }
      end
    end
  end
  return work, counts
end

local function plan_line(sw, counts, jobs, backend)
  local parts = {}
  for _, k in ipairs({ "done", "start", "resume", "restart", "busy", "live" }) do
    if counts[k] > 0 then
      local label = ({ done = "done before", start = "to start", resume = "to resume",
        restart = "to run again", busy = "running elsewhere", live = "in the Slurm queue" })[k]
      parts[#parts + 1] = counts[k] .. " " .. label
    end
  end
  return ("sweep %s: %d runs (%s); %s, jobs %d\n"):format(sw.dir, #sw.cells,
    table.concat(parts, ", "), backend, jobs)
end

-- The sweep's runs through `mlab report` (success with intervals,
-- improvement, tokens, time), when this mlab has it.
local function report(sw)
  local ok, rep = pcall(require, "cmd.report")
  if not ok or type(rep) ~= "table" or not rep.main then return end
  for _, cell in ipairs(sw.cells) do
    if require("rundir").is_run(sw.paths.runs .. "/" .. cell.id) then
      io.stdout:write("\n")
      io.stdout:flush()
      pcall(rep.main, { sw.paths.runs })
      return
    end
  end
end

local function finish(sw, pr, quiet)
  if pr then pr:close() end
  if not quiet then
    io.stdout:write(progress.table(sw, sw.cells, pr and pr.class))
    report(sw)
  end
  local bad = false
  for _, cell in ipairs(sw.cells) do
    local class = sw:state(cell)
    if class == "infra" or class == "missing" or class == "broken" then bad = true end
  end
  return bad and 1 or 0
end

local function local_backend(sw, retry, jobs, quiet)
  local tty = sys.isatty(2)
  local pr = not quiet and progress.new({ sw = sw, jobs = jobs, tty = tty }) or nil
  local work, counts = work_list(sw, retry, pr)
  if not quiet then io.stderr:write(plan_line(sw, counts, jobs, "local")) end
  local t0, cpu0 = sys.mono(), require("mlab.proc").cpu()
  local sig = pool.run(sw, work, { jobs = jobs, progress = pr })
  local wall = sys.mono() - t0
  local cpu = pool.last_cpu or { self = 0, children = 0 }
  local own = require("mlab.proc").cpu() - cpu0
  if not quiet and #work > 0 then
    local all = own + cpu.self + cpu.children
    pr:write(("%d runs in %.1f s; CPU: sweep %.3f s, mlab runs %.2f s, their scripts %.2f s "
      .. "(the sweep's own process %.2f%% of it)\n"):format(#work, wall, own,
      cpu.self, cpu.children, all > 0 and 100 * own / all or 0))
  end
  local rc = finish(sw, pr, quiet)
  if sig then
    io.stderr:write(("stopped by SIG%s: run the same command again to resume the killed "
      .. "runs from their last step\n"):format(sig))
    return 128 + (pool.NUMBER[sig] or 15)
  end
  return rc
end

-- Follows the sweep's jobs in the queue until none is left: a line per
-- run that ends, the live line, and how long Slurm took to start runs
-- and mlab to see them end.
local function slurm_follow(sw, o, quiet, pr, watch)
  local proc = require("mlab.proc")
  local submitted = {}
  for _, j in ipairs(slurm.jobs(sw)) do
    for _, c in ipairs(j.cells) do submitted[c] = j.submitted end
  end
  local reported, waits, lags, fails, since = {}, {}, {}, 0, {}
  while true do
    local sig = proc.signalled()
    if sig then
      local ids = {}
      for _, j in ipairs(slurm.jobs(sw)) do ids[#ids + 1] = j.job end
      if pr then pr:write("\n") end
      io.stderr:write(("stopped following: the jobs go on in Slurm (scancel %s stops them); "
        .. "the same command follows them again\n"):format(table.concat(ids, " ")))
      return 128 + (pool.NUMBER[sig] or 15)
    end
    local live, err = slurm.live(sw)
    if not live then
      fails = fails + 1
      io.stderr:write("mlab: " .. tostring(err) .. "\n")
      if fails > 30 then return 1 end
    else
      fails = 0
      local running, any = {}, false
      for _, cell in ipairs(sw.cells) do
        local state = live[cell.index]
        if state then
          any = true
          watch[cell.id] = true
          if state == "RUNNING" or state == "COMPLETING" then
            if not since[cell.id] then
              since[cell.id] = sys.mono()
              if pr then pr:started(cell) end
            end
            running[#running + 1] = { cell = cell, t0 = since[cell.id] }
          else
            if since[cell.id] and pr then pr:known(cell, "left") end
            since[cell.id] = nil -- pending (again, when requeued)
          end
        elseif watch[cell.id] and not reported[cell.id] then
          local class, m = sw:state(cell)
          if class == "missing" or class == "broken" then
            -- Its array task left the queue without a run: the job failed.
            reported[cell.id] = true
            if pr then
              pr:ended(cell, "infra", nil, nil, ("its job left no run: see %s/slurm-*_*.out"):format(
                sw.paths.logs))
            end
          elseif class ~= "running" then
            reported[cell.id] = true
            local note
            if m and m.ended then
              local lag = sys.now() - m.ended
              lags[#lags + 1] = lag
              local sub = submitted[cell.index]
              if sub and m.started and m.started >= sub and not m.resumed then
                waits[#waits + 1] = m.started - sub
              end
              note = ("seen %.1fs after it ended"):format(lag)
            end
            if pr then
              pr:ended(cell, class, m, m and m.ended and m.started and (m.ended - m.started), note)
            end
          end
        end
      end
      if pr then pr:tick(running) end
      if not any then break end
    end
    sys.sleep(o.poll and tonumber(o.poll) or 1)
  end
  if not quiet and #lags > 0 then
    table.sort(waits)
    local sum = 0
    for _, l in ipairs(lags) do sum = sum + l end
    io.stderr:write(("slurm: %d runs; submit to run start %s; run end to seen here %.1f s "
      .. "on average\n"):format(#lags, #waits > 0 and ("%.1f s at best, %.1f s median"):format(
        waits[1], waits[(#waits + 1) // 2]) or "-", sum / #lags))
  end
  return finish(sw, pr, quiet)
end

local function slurm_backend(sw, o, retry, jobs, quiet)
  local so = slurm_opts(sw, o, jobs)
  local live, lerr = slurm.live(sw)
  if not live then cl.err(lerr); return 1 end
  local tty = sys.isatty(2)
  local pr = not quiet and progress.new({ sw = sw, jobs = jobs, tty = tty }) or nil
  local work, counts = work_list(sw, retry, pr, live)
  if not quiet then io.stderr:write(plan_line(sw, counts, jobs, "slurm")) end
  local cells = {}
  for _, w in ipairs(work) do
    if w.action == "restart" then
      local ok, err = sw:retire(w.cell)
      if not ok then cl.err(err); return 1 end
    end
    -- A run an mlab on this machine is running is left to it.
    if w.action ~= "busy" then cells[#cells + 1] = w.cell.index end
  end
  table.sort(cells)
  if #cells > 0 then
    so.cells = cells
    local ids, err = slurm.submit(sw, so)
    if not ids then cl.err(err); return 1 end
    if not quiet then
      io.stderr:write(("submitted %d runs as job%s %s (%s)\n"):format(#cells, #ids > 1 and "s" or "",
        table.concat(ids, ", "), sw.paths.slurm))
    end
  end
  if o["no-wait"] then return 0 end
  local watch = {}
  for _, c in ipairs(cells) do watch[sw:cell_at(c).id] = true end
  return slurm_follow(sw, o, quiet, pr, watch)
end

function M.main(args)
  local o, pos = cl.parse(args, SPEC)
  if not o then cl.usage(pos) end
  if #pos > 0 then cl.usage("mlab sweep takes options only (see mlab sweep --help)") end
  if not o.out then cl.usage("mlab sweep needs --out DIR (see mlab sweep --help)") end
  if o.cell then return run_cell(o) end
  local quiet = o.quiet or o.q
  if o.status then
    local sw, err = sweep.open(o.out)
    if not sw then cl.err(err); return 2 end
    cl.out(status_text(sw))
    cl.out(progress.table(sw, sw.cells))
    report(sw)
    return 0
  end
  local backend = o.backend or "local"
  if backend ~= "local" and backend ~= "slurm" then
    cl.usage("--backend is local or slurm, not '" .. backend .. "'")
  end
  local jobs = whole(o, "jobs")
  if jobs and jobs < 1 then cl.usage("--jobs takes a whole number >= 1") end
  local retry = parse_retry(o.retry)
  local popts = plan_opts(o)
  local env_llm = sys.getenv("MLAB_LLM")
  if not popts.llms and env_llm and env_llm ~= "" and not sys.stat(o.out .. "/sweep.json") then
    popts.llms = { env_llm }
  end
  local sw, err = sweep.plan(popts)
  if not sw then cl.usage(err) end
  local was = sw.manifest.options or {}
  jobs = jobs or math.tointeger(was.jobs) or 1
  sw.manifest.options = { jobs = jobs, backend = backend }

  if backend == "slurm" and not o["dry-run"] then
    local ok, serr = slurm.available()
    if not ok then cl.err(serr); return 2 end
  end
  if o["dry-run"] then
    if backend == "slurm" then
      local so = slurm_opts(sw, o, jobs)
      local idx = {}
      for _, w in ipairs((work_list(sw, retry))) do
        if w.action ~= "busy" then idx[#idx + 1] = w.cell.index end
      end
      table.sort(idx)
      so.indices, so.offset = idx, 0
      cl.out(#idx > 0 and slurm.script(sw, so) or "# nothing to submit: every run has an outcome\n")
    else
      for _, cell in ipairs(sw.cells) do
        local action, class = sw:action(cell, retry)
        cl.out(("%-8s %-8s %s\n"):format(action, class, cell.id))
      end
    end
    return 0
  end

  local ok, lerr = sw:lock()
  if not ok then cl.err(lerr); return 1 end
  local log = function(s) if not quiet then io.stderr:write(s, "\n") end end
  local pok, perr = pcall(function()
    sw:pin(log)
    local prep_ok, prep_err = sw:prepare(log)
    if not prep_ok then error(prep_err, 0) end
  end)
  if not pok then
    sw:unlock()
    cl.err(tostring(perr))
    return 2
  end
  local rc
  if backend == "slurm" then
    rc = slurm_backend(sw, o, retry, jobs, quiet)
  else
    local live = sys.stat(sw.paths.slurm .. "/jobs.json") and slurm.available() and slurm.live(sw)
    if live and next(live) then
      sw:unlock()
      cl.err("this sweep has runs in the Slurm queue: follow them with --backend slurm, "
        .. "or scancel them first")
      return 1
    end
    rc = local_backend(sw, retry, jobs, quiet)
  end
  sw:unlock()
  return rc
end

return M
