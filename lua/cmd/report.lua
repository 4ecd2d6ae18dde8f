-- cmd/report.lua - `mlab report RUNS...`: success, improvement, tokens and
-- time per (task, agent, model), with honest uncertainty.
local cl = require("cmdline")
local json = require("json")
local view = require("view")
local report = require("report")

local M = {}

M.help = [[
usage: mlab report [RUNS...] [--task T] [--agent A] [--model M] [--since WHEN]
                   [--compare A B] [--format text|md|csv|json] [--html FILE]
                   [--pages] [--seed N] [--resamples N] [--runs-dir D]

RUNS: run directories, folders holding runs (a sweep's), globs; default
every run in the runs directory.  Per (task, agent, model):
  n            runs that count: all but infrastructure errors (host_error,
               shown apart as "infra") and runs still going
  success      final score's improvement over the baseline above the task's
               threshold: k/n, rate, Wilson 95% interval
  any step     the best step's score passed (mlab eval RUN --all-steps; a
               run that succeeded at its end counts without it); while some
               runs are not scored, a lower bound (">=k/n (m not scored)")
  improvement  mean over runs with a valid score +- standard error; a run
               without a valid score is a failure, counted in "no score"
  tokens, time mean (and total) tokens, mean wall time; ended: statuses
--compare A B  two agents (or two models) task by task: Fisher's exact test
               (two-sided) on success counts, and a percentile bootstrap 95%
               interval for the difference in mean improvement A - B
               (--resamples, default 2000; --seed, default 0)
--html FILE    one self-contained page (no network, opens from disk):
               success with intervals, improvement distributions, tokens
               against success, score-against-step curves, a table of runs
               linking to their pages (RUN/run.html; --pages writes them)
]]

local function html_arg(args)
  for i, a in ipairs(args) do
    if a == "--html" and (args[i + 1] == nil or args[i + 1]:sub(1, 1) == "-") then
      table.insert(args, i + 1, "report.html")
      break
    end
  end
  return args
end

local function rate(k, n, lo, hi)
  if n == 0 then return "-" end
  return ("%d/%d %3.0f%% [%.0f, %.0f]"):format(k, n, 100 * k / n, 100 * lo, 100 * hi)
end

-- Success at any step is known for a run whose steps were all scored (or
-- that succeeded at its end); with some unknown, only a lower bound.
local function any_rate(g)
  if g.any_known == g.n then return rate(g.any_successes, g.n, g.any_lo, g.any_hi) end
  return (">=%d/%d (%d not scored)"):format(g.any_successes, g.n, g.n - g.any_known)
end

local function pm(mean, se)
  if not mean then return "-" end
  if not se then return ("%+.1f%%"):format(mean * 100) end
  return ("%+.1f%% +- %.1f"):format(mean * 100, se * 100)
end

local function ended(g)
  local ks = {}
  for k in pairs(g.ended) do ks[#ks + 1] = k end
  table.sort(ks)
  for i, k in ipairs(ks) do ks[i] = k .. " " .. g.ended[k] end
  return table.concat(ks, ", ")
end

local GROUP_COLS = { { "task" }, { "agent" }, { "model" }, { "n", "r" }, { "infra", "r" },
  { "success [95% CI]", "r" }, { "any step [95% CI]", "r" }, { "improvement +- se", "r" },
  { "no score", "r" }, { "tokens mean", "r" }, { "tokens total", "r" }, { "time mean", "r" },
  { "ended" } }

local function group_cells(g)
  return { g.task, g.agent, g.model, tostring(g.n), tostring(g.infra),
    rate(g.successes, g.n, g.lo, g.hi), any_rate(g),
    pm(g.mean_improvement, g.se_improvement), tostring(g.no_score),
    g.mean_tokens and ("%.0f"):format(g.mean_tokens) or "-", tostring(g.tokens),
    view.seconds(g.mean_time), ended(g) }
end

local function cmp_cols(c)
  return { { "task" }, { c.a .. " success", "r" }, { c.b .. " success", "r" }, { "Fisher p", "r" },
    { "improvement " .. c.a .. " - " .. c.b, "r" }, { "bootstrap 95% interval", "r" } }
end

local function cmp_cells(t)
  local function s(g) return g.n > 0 and ("%d/%d"):format(g.successes, g.n) or "-" end
  return { t.task, s(t.a), s(t.b), t.p and ("%.3g"):format(t.p) or "-",
    t.diff and ("%+.1f%%"):format(t.diff * 100) or "-",
    t.diff_lo and ("[%+.1f%%, %+.1f%%]"):format(t.diff_lo * 100, t.diff_hi * 100)
      or ("(" .. (t.why or "n/a") .. ")") }
end

local function cmp_note(c)
  return ("%ss compared: %s vs %s.  Fisher's exact test, two-sided, on success counts "
    .. "(infrastructure errors left out); percentile bootstrap %.0f%% interval for the "
    .. "difference in mean improvement over runs with a valid score (%d resamples, seed %d).\n")
    :format(c.field, c.a, c.b, c.level * 100, c.reps, c.seed)
end

local function header(rows, groups)
  local infra, tasks, nogroup = 0, {}, 0
  for _, r in ipairs(rows) do
    if r.infra then infra = infra + 1 end
    tasks[r.task] = true
  end
  for _ in pairs(tasks) do nogroup = nogroup + 1 end
  local function plural(k, word) return ("%d %s%s"):format(k, word, k == 1 and "" or "s") end
  return ("%s, %s, %s; %s counted apart.  Success: improvement over the baseline above the "
    .. "task's threshold.\n"):format(plural(#rows, "run"), plural(nogroup, "task"),
    plural(#groups, "group"), plural(infra, "infrastructure error"))
end

local function json_group(g)
  return { task = g.task, agent = g.agent, model = g.model, runs = g.runs, n = g.n,
    infra = g.infra, running = g.running, successes = g.successes, success_rate = g.rate,
    success_ci = g.lo and { g.lo, g.hi }, any_known = g.any_known, any_successes = g.any_successes,
    any_rate = g.any_rate, any_ci = g.any_lo and { g.any_lo, g.any_hi },
    mean_improvement = g.mean_improvement, se_improvement = g.se_improvement, scored = g.scored,
    no_score = g.no_score, tokens_total = g.tokens, tokens_mean = g.mean_tokens,
    time_mean_s = g.mean_time, ended = g.ended }
end

local function json_compare(c)
  if not c then return nil end
  local out = { field = c.field, a = c.a, b = c.b, resamples = c.reps, seed = c.seed,
    level = c.level, test = "Fisher exact, two-sided", interval = "percentile bootstrap", tasks = {} }
  local function one(t)
    return { task = t.task, a = json_group(t.a), b = json_group(t.b), fisher_p = t.p,
      diff_improvement = t.diff, diff_ci = t.diff_lo and { t.diff_lo, t.diff_hi }, note = t.why }
  end
  for i, t in ipairs(c.tasks) do out.tasks[i] = one(t) end
  if c.pooled then out.pooled = one(c.pooled) end
  return out
end

function M.main(args)
  local o, pos = cl.parse(html_arg(args), { ["runs-dir"] = "value", task = "value", agent = "value",
    model = "value", since = "value", compare = "value", format = "value", html = "value",
    pages = "flag", seed = "value", resamples = "value" })
  if not o then cl.usage(pos .. " (see mlab report --help)") end
  -- --compare takes two names: the second is the next positional.
  local cmp_b
  if o.compare then
    for i, a in ipairs(args) do
      if (a == "--compare" and args[i + 2]) then cmp_b = args[i + 2] end
      if a:match("^%-%-compare=") then cmp_b = args[i + 1] end
    end
    if not cmp_b or cmp_b:sub(1, 1) == "-" then cl.usage("--compare takes two names: --compare A B") end
    for i, p in ipairs(pos) do
      if p == cmp_b then table.remove(pos, i); break end
    end
  end
  local fmt = o.format or "text"
  if not ({ text = true, md = true, csv = true, json = true })[fmt] then
    cl.usage("--format is text, md, csv or json")
  end
  local rows, err, kind = report.select(pos, cl.runs_dir(o), { task = o.task, agent = o.agent,
    model = o.model, since = o.since })
  if not rows then
    if kind == "usage" then cl.usage(err) end
    cl.err(err); return 2
  end
  if #rows == 0 then cl.err("no runs to report"); return 1 end
  local groups = report.groups(rows)
  local cmp
  if o.compare then
    local cerr
    cmp, cerr = report.compare(rows, o.compare, cmp_b, {
      seed = math.tointeger(cl.number(o, "seed", 0)),
      reps = math.tointeger(cl.number(o, "resamples", 2000)) })
    if not cmp then cl.err(cerr); return 2 end
  end

  if o.html then
    local page = require("page_report")
    local path, perr = page.write(o.html, rows, groups, cmp, { pages = o.pages })
    if not path then cl.err(perr); return 2 end
    io.stderr:write("wrote ", path, "\n")
    if not o.format then return 0 end
  end

  if fmt == "json" then
    local gs = {}
    for i, g in ipairs(groups) do gs[i] = json_group(g) end
    local rs = {}
    for i, r in ipairs(rows) do
      rs[i] = { id = r.id, dir = r.dir, task = r.task, agent = r.agent, model = r.model,
        status = r.status, infra = r.infra, valid = r.valid, score = r.score,
        improvement = r.improvement, success = r.success, success_any = r.success_any,
        tokens = r.tokens, time_s = r.time_s, steps = r.steps }
    end
    cl.out(json.encode({ groups = json.array(gs), runs = json.array(rs),
      compare = json_compare(cmp) }, "  "), "\n")
    return 0
  end
  local cells = {}
  for i, g in ipairs(groups) do cells[i] = group_cells(g) end
  if fmt == "csv" then
    local raw = {}
    for i, g in ipairs(groups) do
      raw[i] = { g.task, g.agent, g.model, g.n, g.infra, g.successes, g.rate or "", g.lo or "", g.hi or "",
        g.any_known, g.any_successes, g.any_lo or "", g.any_hi or "", g.scored,
        g.mean_improvement or "", g.se_improvement or "", g.no_score, g.mean_tokens or "", g.tokens,
        g.mean_time or "", ended(g) }
    end
    local names = { "task", "agent", "model", "n", "infra", "successes", "success_rate", "success_lo",
      "success_hi", "any_known", "any_successes", "any_lo", "any_hi", "scored", "mean_improvement",
      "se_improvement", "no_score", "tokens_mean", "tokens_total", "time_mean_s", "ended" }
    local cols = {}
    for i, n in ipairs(names) do cols[i] = { n } end
    cl.out(view.csv(cols, raw))
    if cmp then
      local crows = {}
      for _, t in ipairs(cmp.tasks) do crows[#crows + 1] = cmp_cells(t) end
      if cmp.pooled then crows[#crows + 1] = cmp_cells(cmp.pooled) end
      cl.out("\n", view.csv(cmp_cols(cmp), crows))
    end
    return 0
  end
  local tab = fmt == "md" and view.md or view.table
  cl.out(header(rows, groups), "\n", tab(GROUP_COLS, cells))
  if cmp then
    local crows = {}
    for _, t in ipairs(cmp.tasks) do crows[#crows + 1] = cmp_cells(t) end
    if cmp.pooled then crows[#crows + 1] = cmp_cells(cmp.pooled) end
    cl.out("\n", cmp_note(cmp), "\n", tab(cmp_cols(cmp), crows))
  end
  return 0
end

return M
