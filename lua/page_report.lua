--[[ page_report.lua - a report across runs as one self-contained HTML page
(mlab report ... --html FILE): opens from disk, fetches nothing.

  local page = require("page_report")
  local path, err = page.write(file, rows, groups, cmp [, opts])
      -- rows, groups, cmp: report.rows/groups/compare; opts.pages: write
      -- every run's page (RUN/run.html) first
  local text = page.render(file_dir, rows, groups, cmp)

The page: success per (task, agent, model) with Wilson 95% intervals (and
success at any step beside it), improvement distributions with mean +-
standard error, tokens against improvement coloured by success, each
task's runs as improvement-after-each-step curves, the comparison when
asked, the group table, and a table of runs linking to their run pages
(relative links, so the folder can be moved whole).
]]
local sys = require("mlab.sys")
local rundir = require("rundir")
local html = require("html")
local view = require("view")
local scores = require("scores")

local M = {}

local esc = html.esc

local CSS = [[
header { padding-top: 4px; }
header p { margin: 4px 0; max-width: 900px; }
section.block { margin-top: 8px; }
table.runs td:first-child { font-family: ui-monospace, monospace; font-size: 12px; }
tr.infra td { color: var(--muted); font-style: italic; }
td.yes { color: var(--good); font-weight: 600; } td.no { color: var(--bad); }
input#filter { padding: 4px 8px; width: 280px; font: inherit; margin: 4px 0 8px; }
]]

local JS = [[
(function () {
  "use strict";
  var f = document.getElementById("filter");
  if (f) f.addEventListener("input", function () {
    var t = f.value.trim().toLowerCase();
    document.querySelectorAll("table.runs tbody tr").forEach(function (tr) {
      tr.style.display = !t || tr.textContent.toLowerCase().indexOf(t) >= 0 ? "" : "none";
    });
  });
  document.body.setAttribute("data-ready", "1");
})();
]]

local function label(g) return g.task .. " · " .. g.agent .. (g.model ~= "none" and (" · " .. g.model) or "") end

local function pct(x) return x and ("%.0f%%"):format(x * 100) or "-" end

local function link_of(dir, r)
  return html.relpath(dir, r.dir .. "/run.html")
end

local function success_chart(groups)
  local rows = {}
  for _, g in ipairs(groups) do
    local r = { label = label(g) }
    if g.n > 0 then
      r.value, r.lo, r.hi = g.rate, g.lo, g.hi
      r.title = ("%s: success %d/%d = %s, Wilson 95%% interval [%s, %s]"):format(label(g), g.successes,
        g.n, pct(g.rate), pct(g.lo), pct(g.hi))
    end
    if g.any_known > 0 and g.any_known == g.n then
      r.extra = { value = g.any_rate, lo = g.any_lo, hi = g.any_hi,
        title = ("%s: success at any step %d/%d = %s [%s, %s]"):format(label(g), g.any_successes,
          g.any_known, pct(g.any_rate), pct(g.any_lo), pct(g.any_hi)) }
    end
    rows[#rows + 1] = r
  end
  return html.interval_chart({ rows = rows, xlabel = "success rate (filled: final step; hollow: any step)" })
end

local function improvement_chart(dir, groups)
  local gs = {}
  for _, g in ipairs(groups) do
    local vals = {}
    for _, r in ipairs(g.list) do
      if not r.infra and r.valid and type(r.improvement) == "number" then
        vals[#vals + 1] = { r.improvement, ("%s: %s (%s)"):format(r.id, view.pct(r.improvement), r.status),
          link_of(dir, r) }
      end
    end
    gs[#gs + 1] = { label = label(g), values = vals, mean = g.mean_improvement, se = g.se_improvement }
  end
  return html.strip_chart({ groups = gs, pct = true,
    xlabel = "improvement over the baseline (runs with a valid score)" })
end

local function tokens_chart(dir, rows)
  local pts, skipped = {}, 0
  for _, r in ipairs(rows) do
    if not r.infra and r.valid and type(r.improvement) == "number" then
      pts[#pts + 1] = { x = r.tokens or 0, y = r.improvement, color = r.success and "#2e7d32" or "#c62828",
        title = ("%s: %d tokens, %s, %s"):format(r.id, r.tokens or 0, view.pct(r.improvement),
          r.success and "success" or "no success"), href = link_of(dir, r) }
    else
      skipped = skipped + 1
    end
  end
  return html.scatter({ points = pts, pct = true, xlabel = "tokens used", ylabel = "improvement",
    legend = { { "success", "#2e7d32" }, { "no success", "#c62828" } } }), skipped
end

-- Improvement after each step, one line per run, per task.
local function curves(dir, rows)
  local by, order = {}, {}
  for _, r in ipairs(rows) do
    if not r.infra then
      if not by[r.task] then by[r.task] = {}; order[#order + 1] = r.task end
      table.insert(by[r.task], r)
    end
  end
  table.sort(order)
  local out = {}
  for _, t in ipairs(order) do
    local series = {}
    for _, r in ipairs(by[t]) do
      local rd = rundir.at(r.dir)
      local m = rd:manifest()
      local pts = {}
      local href = link_of(dir, r)
      local has = false
      for _, rec in ipairs(rd:scores()) do if rec.tree then has = true; break end end
      if m and has then
        for _, p in ipairs(scores.curve(rd, m)) do
          if p.scored then
            pts[#pts + 1] = { x = p.step, y = p.improvement, href = href .. "#step-" .. p.step,
              title = ("%s step %d (%s): %s"):format(r.id, p.step, p.action,
                p.improvement and view.pct(p.improvement) or "no valid score") }
          end
        end
      elseif type(r.improvement) == "number" then
        pts[1] = { x = r.steps, y = r.improvement, href = href, title = ("%s: final %s (steps not scored)")
          :format(r.id, view.pct(r.improvement)) }
      end
      if #pts > 0 then
        series[#series + 1] = { name = r.agent .. " " .. r.id, href = href, points = pts }
      end
    end
    if #series > 0 then
      out[#out + 1] = ("<div class=\"chartbox\"><h3>%s: improvement after each step</h3><p>one line per run "
        .. "(mlab eval RUN --all-steps scores each step; a run without step scores is one point at its "
        .. "end); points link to the step</p>%s</div>"):format(esc(t), html.line_chart({ series = series,
        pct = true, xlabel = "step", ylabel = "improvement", width = 560, height = 280,
        hlines = { { 0, "baseline" } } }))
    end
  end
  return table.concat(out, "\n")
end

local function table_html(cols, rows, cls)
  local out = { "<table" .. (cls and (" class=\"" .. cls .. "\"") or "") .. "><thead><tr>" }
  for _, c in ipairs(cols) do
    out[#out + 1] = ("<th%s>%s</th>"):format(c[2] == "r" and " class=\"num\"" or "", esc(c[1]))
  end
  out[#out + 1] = "</tr></thead><tbody>"
  for _, r in ipairs(rows) do
    out[#out + 1] = "<tr" .. (r.class and (" class=\"" .. r.class .. "\"") or "") .. ">"
    for i, c in ipairs(cols) do
      local v = r[i]
      local raw = type(v) == "table" and v.html
      local cell_cls = type(v) == "table" and v.class
      local classes = (c[2] == "r" and "num" or "") .. (cell_cls and (" " .. cell_cls) or "")
      out[#out + 1] = ("<td%s>%s</td>"):format(classes ~= "" and (" class=\"" .. classes .. "\"") or "",
        raw or esc(type(v) == "table" and v.text or v or ""))
    end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out)
end

local function rate_text(k, n, lo, hi)
  if n == 0 then return "-" end
  return ("%d/%d = %s [%s, %s]"):format(k, n, pct(k / n), pct(lo), pct(hi))
end

local function any_text(g)
  if g.any_known == g.n then return rate_text(g.any_successes, g.n, g.any_lo, g.any_hi) end
  return ("≥ %d/%d (%d not scored per step)"):format(g.any_successes, g.n, g.n - g.any_known)
end

local function group_table(groups)
  local cols = { { "task" }, { "agent" }, { "model" }, { "n", "r" }, { "infra", "r" },
    { "success [Wilson 95%]", "r" }, { "any step [95%]", "r" }, { "improvement ± se", "r" },
    { "no score", "r" }, { "tokens mean", "r" }, { "tokens total", "r" }, { "time mean", "r" }, { "ended" } }
  local rows = {}
  for _, g in ipairs(groups) do
    local ended = {}
    for k, v in pairs(g.ended) do ended[#ended + 1] = k .. " " .. v end
    table.sort(ended)
    rows[#rows + 1] = { g.task, g.agent, g.model, tostring(g.n), tostring(g.infra),
      rate_text(g.successes, g.n, g.lo, g.hi), any_text(g),
      g.mean_improvement and (view.pct(g.mean_improvement) .. (g.se_improvement and
        (" ± " .. ("%.1f"):format(g.se_improvement * 100)) or "")) or "-",
      tostring(g.no_score), g.mean_tokens and ("%.0f"):format(g.mean_tokens) or "-", tostring(g.tokens),
      view.seconds(g.mean_time), table.concat(ended, ", ") }
  end
  return table_html(cols, rows)
end

local function compare_block(cmp)
  if not cmp then return "" end
  local cols = { { "task" }, { cmp.a .. " success", "r" }, { cmp.b .. " success", "r" }, { "Fisher p", "r" },
    { "improvement " .. cmp.a .. " − " .. cmp.b, "r" }, { "bootstrap 95% interval", "r" } }
  local rows = {}
  local list = {}
  for _, t in ipairs(cmp.tasks) do list[#list + 1] = t end
  if cmp.pooled then list[#list + 1] = cmp.pooled end
  for _, t in ipairs(list) do
    local function s(g) return g.n > 0 and ("%d/%d"):format(g.successes, g.n) or "-" end
    rows[#rows + 1] = { t.task, s(t.a), s(t.b), t.p and ("%.3g"):format(t.p) or "-",
      t.diff and view.pct(t.diff) or "-",
      t.diff_lo and ("[%s, %s]"):format(view.pct(t.diff_lo), view.pct(t.diff_hi)) or ("(" .. (t.why or "n/a") .. ")") }
  end
  return ("<section class=\"block\" id=\"compare\"><h2>%s compared: %s vs %s</h2><p class=\"muted\">Per task: "
    .. "Fisher's exact test (two-sided) on success counts, infrastructure errors left out; a percentile "
    .. "bootstrap %.0f%% interval for the difference in mean improvement over runs with a valid score "
    .. "(%d resamples, seed %d).  A small p or an interval that excludes 0 is evidence of a difference; "
    .. "few runs give wide intervals.</p>%s</section>"):format(esc(cmp.field .. "s"), esc(cmp.a), esc(cmp.b),
    cmp.level * 100, cmp.reps, cmp.seed, table_html(cols, rows))
end

local function runs_table(dir, rows)
  local cols = { { "run" }, { "task" }, { "agent" }, { "model" }, { "status" }, { "steps", "r" },
    { "tokens", "r" }, { "time", "r" }, { "score", "r" }, { "improvement", "r" }, { "success" },
    { "any step" } }
  local out = {}
  for _, r in ipairs(rows) do
    local href = link_of(dir, r)
    local function yn(v)
      if v == nil then return "-" end
      return { text = v and "yes" or "no", class = v and "yes" or "no" }
    end
    out[#out + 1] = { class = r.infra and "infra" or nil,
      { html = ("<a href=\"%s\">%s</a>"):format(esc(href), esc(r.id)) }, r.task, r.agent, r.model,
      r.status, tostring(r.steps), tostring(r.tokens), view.seconds(r.time_s), view.score(r.score),
      view.pct(r.improvement), yn(r.success), yn(r.success_any) }
  end
  return table_html(cols, out, "runs")
end

function M.render(dir, rows, groups, cmp)
  local infra, tasks = 0, {}
  for _, r in ipairs(rows) do
    if r.infra then infra = infra + 1 end
    tasks[r.task] = true
  end
  local ntasks = 0
  for _ in pairs(tasks) do ntasks = ntasks + 1 end
  local tok, skipped = tokens_chart(dir, rows)
  local body = {
    "<header><h1>mlab report</h1>",
    ("<p>%d runs, %d tasks, %d groups (task · agent · model); %d infrastructure error%s (host_error) "
      .. "counted apart: neither success nor failure.  A run succeeds when its final score improves on the "
      .. "task's baseline by more than its threshold; a run without a valid score is a failure.  Intervals "
      .. "are Wilson 95%% score intervals; improvement is mean ± standard error over runs with a valid "
      .. "score.</p></header>"):format(#rows, ntasks, #groups, infra, infra == 1 and "" or "s"),
    "<main>",
    "<div class=\"charts\">",
    "<div class=\"chartbox\" id=\"chart-success\"><h3>success per task and agent</h3><p>final success "
      .. "(filled) and success at any step (hollow, when steps were scored), with 95% intervals</p>"
      .. success_chart(groups) .. "</div>",
    "<div class=\"chartbox\" id=\"chart-improvement\"><h3>improvement distributions</h3><p>one dot per run, "
      .. "bar: mean ± standard error; dots link to the run</p>" .. improvement_chart(dir, groups) .. "</div>",
    ("<div class=\"chartbox\" id=\"chart-tokens\"><h3>tokens against success</h3><p>one dot per run with a "
      .. "valid score%s</p>%s</div>"):format(skipped > 0 and ("; " .. skipped .. " without one not shown") or "", tok),
    "</div>",
    "<div class=\"charts\" id=\"chart-curves\">" .. curves(dir, rows) .. "</div>",
    compare_block(cmp),
    "<section class=\"block\" id=\"groups\"><h2>per task, agent and model</h2>" .. group_table(groups) .. "</section>",
    "<section class=\"block\" id=\"runs\"><h2>runs</h2><input type=\"search\" id=\"filter\" "
      .. "placeholder=\"filter runs\" aria-label=\"filter runs\">" .. runs_table(dir, rows) .. "</section>",
    "</main>",
  }
  return html.page({ title = "mlab report", css = html.CSS .. CSS, body = table.concat(body, "\n"), js = JS })
end

function M.write(file, rows, groups, cmp, opts)
  opts = opts or {}
  if file:sub(1, 1) ~= "/" then file = (sys.getenv("PWD") or ".") .. "/" .. file end
  if opts.pages then
    local page_run = require("page_run")
    for _, r in ipairs(rows) do
      local ok, err = page_run.write(rundir.at(r.dir))
      if not ok then return nil, r.id .. ": " .. tostring(err) end
    end
  end
  local dir = file:match("^(.*)/[^/]*$") or "/"
  local ok, err = sys.write_atomic(file, M.render(dir, rows, groups, cmp))
  if not ok then return nil, err end
  return file
end

return M
