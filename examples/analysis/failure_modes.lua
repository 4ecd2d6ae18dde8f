--[[ failure_modes.lua - what went wrong across runs, by category, per
agent and model (like the reference study's figure).

  mlab script examples/analysis/failure_modes.lua [OPTIONS] RUNS...

RUNS are run directories, folders of runs, globs or ids (default: the
runs folder).  Options:
  --format text|md|csv   the table's format (default text)
  --json                 every run's labels and the table, as JSON
  --html                 one page: the table, then each run's labels with
                         their evidence linked to the run page's steps
  --table                the table only (no line per run)
  --all                  count copies too (imported runs marked
                         duplicate_of are left out by default)
  --only CATEGORY        run one detector

Detectors (one file each, same folder): hallucination, debugging_loop,
context, bad_plan, environment.  Each takes fm_lib.view(run) and returns
labels { category, rule, why, evidence = { {step, quote}, ... } }; the
same runs give the same labels.
]]
local lib = require("fm_lib")
local detectors = require("detectors")

local o, names = mlab.options(arg or {}, { format = "value", json = "flag", html = "flag",
  table = "flag", all = "flag", only = "value" })
if not o then error(names, 0) end
local categories = lib.CATEGORIES
if o.only then
  if not detectors.ALL[o.only] then error("--only: one of " .. table.concat(categories, ", "), 0) end
  categories = { o.only }
end

local results = {}
for _, run in ipairs(mlab.runs(names)) do
  local v = lib.view(run)
  local labels = detectors.run(v, categories)
  local im = v.m.imported
  results[#results + 1] = { id = v.id, agent = v.agent, model = v.model, task = v.task.name,
    status = v.m.status, how = v.how, labels = labels, page = run:page(),
    duplicate_of = im and im.duplicate_of, run = run }
end

-- The table: per agent and model, runs with each category.
local groups, order = {}, {}
for _, r in ipairs(results) do
  if o.all or not r.duplicate_of then
    local key = r.agent .. "\0" .. r.model
    if not groups[key] then
      groups[key] = { agent = r.agent, model = r.model, runs = 0, none = 0 }
      for _, c in ipairs(categories) do groups[key][c] = 0 end
      order[#order + 1] = key
    end
    local g = groups[key]
    g.runs = g.runs + 1
    local has = {}
    for _, l in ipairs(r.labels) do has[l.category] = true end
    local any = false
    for _, c in ipairs(categories) do
      if has[c] then g[c] = g[c] + 1; any = true end
    end
    if not any then g.none = g.none + 1 end
  end
end
table.sort(order)
local rows = {}
for _, key in ipairs(order) do
  local g = groups[key]
  local row = { agent = g.agent, model = g.model, runs = g.runs }
  for _, c in ipairs(categories) do
    row[c] = ("%d (%d%%)"):format(g[c], math.floor(100 * g[c] / g.runs + 0.5))
  end
  row.none = ("%d (%d%%)"):format(g.none, math.floor(100 * g.none / g.runs + 0.5))
  row.counts = g
  rows[#rows + 1] = row
end
local columns = { "agent", "model", "runs" }
for _, c in ipairs(categories) do columns[#columns + 1] = c end
columns[#columns + 1] = "none"
local copies = 0
for _, r in ipairs(results) do if r.duplicate_of then copies = copies + 1 end end

local function rule_list(labels)
  local parts = {}
  for _, l in ipairs(labels) do
    local steps = {}
    for i, e in ipairs(l.evidence) do
      if i <= 3 then steps[#steps + 1] = tostring(math.tointeger(e.step) or e.step) end
    end
    parts[#parts + 1] = ("%s/%s@%s"):format(l.category, l.rule, table.concat(steps, ","))
  end
  return table.concat(parts, " ")
end

if o.json then
  local out = { runs = {}, table = {} }
  for _, r in ipairs(results) do
    out.runs[#out.runs + 1] = { id = r.id, agent = r.agent, model = r.model, task = r.task,
      status = r.status, ended = r.how, duplicate_of = r.duplicate_of, labels = mlab.json.array(r.labels) }
  end
  for _, row in ipairs(rows) do
    local t = { agent = row.agent, model = row.model, runs = row.runs, none = row.counts.none }
    for _, c in ipairs(categories) do t[c] = row.counts[c] end
    out.table[#out.table + 1] = t
  end
  mlab.out(mlab.json.encode(out, "  "), "\n")
  return 0
end

if o.html then
  local h = mlab.html
  local parts = { "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Failure modes</title>\n",
    "<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}",
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}",
    ".cat{font-weight:bold}.q{color:#555;font-family:monospace}</style></head><body>\n",
    "<h1>Failure modes</h1>\n<p>Runs labelled per category, per agent and model",
    copies > 0 and not o.all and (" (" .. copies .. " copies of other runs left out)") or "", ".</p>\n<table><tr>" }
  for _, c in ipairs(columns) do parts[#parts + 1] = "<th>" .. h(c) .. "</th>" end
  parts[#parts + 1] = "</tr>\n"
  for _, row in ipairs(rows) do
    parts[#parts + 1] = "<tr>"
    for _, c in ipairs(columns) do parts[#parts + 1] = "<td>" .. h(tostring(row[c])) .. "</td>" end
    parts[#parts + 1] = "</tr>\n"
  end
  parts[#parts + 1] = "</table>\n<h2>Runs</h2>\n"
  for _, r in ipairs(results) do
    parts[#parts + 1] = ("<h3 id=\"%s\"><a href=\"%s\">%s</a></h3>\n<p>%s, %s, %s%s</p>\n"):format(
      h(r.id), h(r.page), h(r.id), h(r.agent), h(r.model), h(tostring(r.how)),
      r.duplicate_of and (", a copy of " .. h(r.duplicate_of)) or "")
    if #r.labels == 0 then
      parts[#parts + 1] = "<p>No failure mode found.</p>\n"
    else
      parts[#parts + 1] = "<ul>\n"
      for _, l in ipairs(r.labels) do
        parts[#parts + 1] = ("<li><span class=\"cat\">%s</span> (%s): %s<ul>\n"):format(
          h(l.category), h(l.rule), h(l.why))
        for _, e in ipairs(l.evidence) do
          parts[#parts + 1] = ("<li><a href=\"%s\">step %s</a> <span class=\"q\">%s</span></li>\n"):format(
            h(r.run:page(e.step)), h(tostring(math.tointeger(e.step) or e.step)), h(e.quote or ""))
        end
        parts[#parts + 1] = "</ul></li>\n"
      end
      parts[#parts + 1] = "</ul>\n"
    end
  end
  parts[#parts + 1] = "</body></html>\n"
  mlab.out(table.concat(parts))
  return 0
end

mlab.out("Failure modes: runs labelled per category, per agent and model",
  copies > 0 and not o.all and (" (" .. copies .. " copies of other runs left out)") or "", "\n\n")
mlab.out(mlab.table(rows, { columns = columns, format = o.format or "text" }))
if not o.table then
  mlab.out("\n")
  local lines = {}
  for _, r in ipairs(results) do
    lines[#lines + 1] = { run = r.id, model = r.model, ended = r.how,
      labels = r.duplicate_of and ("(copy of " .. r.duplicate_of .. ")")
        or (#r.labels > 0 and rule_list(r.labels) or "-") }
  end
  mlab.out(mlab.table(lines, { columns = { "run", "model", "ended", "labels" }, format = o.format or "text" }))
end
return 0
