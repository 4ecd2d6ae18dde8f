-- cmd/runs.lua - `mlab runs`: the runs in the runs folder, as a table.
local cl = require("cmdline")
local view = require("view")
local json = require("json")
local report = require("report")

local M = {}

M.help = [[
usage: mlab runs [PATH...] [--task T] [--agent A] [--model M] [--status S]
                 [--since WHEN] [--json | --csv] [--runs-dir D]

A table of runs, oldest first: id, task, agent (its short name; the path is
in run.json), model, status, steps, tokens, time, score, improvement over the
baseline, success (final), and success at any step ("any", when the run's
steps were scored with mlab eval --all-steps).  PATH: run directories,
folders of runs (a sweep), globs; default the runs directory.
  --task, --agent, --model, --status   keep only those runs
  --since WHEN     started since a date (2026-11-29, 2026-11-29T10:00, UTC)
                   or an age (30m, 12h, 3d)
  --json, --csv    every field, for scripts
]]

local COLS = { { "id" }, { "task" }, { "agent" }, { "model" }, { "status" }, { "steps", "r" },
  { "tokens", "r" }, { "time", "r" }, { "score", "r" }, { "improvement", "r" }, { "success" },
  { "any" } }

local function yes(v)
  if v == nil then return "-" end
  return v and "yes" or "no"
end

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", task = "value", agent = "value",
    model = "value", status = "value", since = "value", json = "flag", csv = "flag" })
  if not o then cl.usage(pos .. " (see mlab runs --help)") end
  local rows, err, kind = report.select(pos, cl.runs_dir(o), { task = o.task, agent = o.agent,
    model = o.model, status = o.status, since = o.since })
  if not rows then
    if kind == "usage" then cl.usage(err) end
    cl.err(err); return 2
  end
  if o.json then
    local list = {}
    for i, r in ipairs(rows) do
      list[i] = { id = r.id, dir = r.dir, task = r.task, agent = r.agent, agent_path = r.agent_path,
        model = r.model, llm = r.llm, status = r.status, steps = r.steps, tokens = r.tokens,
        time_s = r.time_s, score = r.score, baseline = r.baseline, improvement = r.improvement,
        success = r.success, success_any = r.success_any, best_step = r.best_step,
        started = r.started, seed = r.seed, message = r.message }
    end
    cl.out(json.encode(json.array(list), "  "), "\n")
    return 0
  end
  local cells = {}
  for i, r in ipairs(rows) do
    cells[i] = { r.id, r.task, r.agent, r.model, r.status, tostring(r.steps), tostring(r.tokens),
      view.seconds(r.time_s), view.score(r.score), view.pct(r.improvement), yes(r.success),
      yes(r.success_any) }
  end
  if o.csv then
    local raw = {}
    for i, r in ipairs(rows) do
      raw[i] = { r.id, r.task, r.agent, r.model, r.status, r.steps, r.tokens,
        r.time_s and ("%.3f"):format(r.time_s), r.score, r.improvement, r.success,
        r.success_any == nil and "" or r.success_any }
      for k = 1, #COLS do if raw[i][k] == nil then raw[i][k] = "" end end
    end
    local cols = {}
    for i, c in ipairs(COLS) do cols[i] = { c[1] == "time" and "time_s" or c[1] } end
    cols[#cols] = { "success_any" }
    cl.out(view.csv(cols, raw))
    return 0
  end
  for _, c in ipairs(cells) do
    c[1] = view.one_line(c[1], 60)
    c[4] = view.one_line(c[4], 30)
  end
  cl.out(view.table(COLS, cells))
  return 0
end

return M
