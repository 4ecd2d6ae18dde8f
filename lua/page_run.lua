--[[ page_run.lua - one run as one self-contained HTML page (mlab show RUN
--html): opens from disk, fetches nothing, stays usable for a run of 500
steps with tens of MB of observations.

  local page = require("page_run")
  local path, err = page.write(rd [, file])   -- default rd.paths.page
  local text = page.render(rd)                -- the page, or nil, err

Every step is a <section id="step-N"> (link to run.html#step-N) with the
reasoning that led to it, its action, input, observation and diff.  Long
observations and inputs show their first OBS_HEAD bytes; the rest is in
an inline JSON block (never parsed until asked for: "show all", or a
search).  Diffs are coloured when they scroll into view; steps off screen
are not laid out (content-visibility).  j/k or the left/right arrows move
between steps, / searches all step text, the score curve's points jump
to their step.
]]
local sys = require("mlab.sys")
local snap_mod = require("mlab.snap")
local json = require("json")
local html = require("html")
local view = require("view")
local patch = require("patch")
local reasoning = require("reasoning")
local scores = require("scores")
local task_mod = require("task")

local M = {}

M.OBS_HEAD = 4000          -- bytes of an observation shown before "show all"
M.DIFF_CAP = 200 * 1024    -- bytes of one step's diff on the page
M.FIELD_CAP = 20000        -- bytes of one reasoning entry

local esc = html.esc

local CSS = [[
body { padding-bottom: 60vh; }
header .meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 10px; }
header .meta dt { color: var(--muted); } header .meta dd { margin: 0; }
nav.bar { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,.96);
  border-bottom: 1px solid var(--line); padding: 6px 18px; display: flex; gap: 12px; align-items: center;
  flex-wrap: wrap; }
nav.bar input[type=search] { width: 320px; padding: 4px 8px; font: inherit; }
nav.bar .keys { color: var(--muted); font-size: 12px; margin-left: auto; }
section.step { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 4px;
  margin: 10px 0; padding: 4px 12px 8px; scroll-margin-top: 56px;
  content-visibility: auto; contain-intrinsic-size: auto 260px; }
section.step.failed { border-left-color: var(--bad); }
section.step.current { box-shadow: 0 0 0 2px var(--accent); }
section.step.dim { opacity: .35; }
section.step.dim > :not(h2) { display: none; }
section.step.hidden { display: none; }
section.step h2 { font-size: 15px; margin: 6px 0; display: flex; gap: 10px; flex-wrap: wrap; align-items: baseline; }
section.step h2 .n { font-variant-numeric: tabular-nums; }
section.step h2 .in { color: var(--muted); font-weight: normal; font-family: ui-monospace, monospace; font-size: 12px; }
.badge { background: var(--bad); color: #fff; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; }
.sc { font-weight: normal; font-size: 12px; color: var(--muted); }
.sc b { color: var(--fg); }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 8px 0 2px; }
dl.reason { margin: 2px 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dl.reason dt { color: var(--muted); font-weight: 600; } dl.reason dd { margin: 0; white-space: pre-wrap; }
button.more { font: inherit; font-size: 12px; }
pre.diff .add { background: #e6ffec; display: block; } pre.diff .del { background: #ffebe9; display: block; }
pre.diff .hunk { color: #6f42c1; display: block; }
pre.diff .meta { color: var(--muted); font-weight: 600; display: block; }
pre.diff .kw { color: #cf222e; } pre.diff .str { color: #0a3069; } pre.diff .com { color: #6e7781; font-style: italic; }
pre.diff .num { color: #0550ae; }
mark { background: #fff3a3; }
]]

local JS = [[
(function () {
  "use strict";
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var data = null;
  function blob() {
    if (!data) data = JSON.parse(document.getElementById("mlab-data").textContent);
    return data;
  }
  // "show all": the rest of a long observation or input, from the inline block.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.more");
    if (!b) return;
    var pre = document.getElementById(b.getAttribute("data-for"));
    pre.textContent = blob().long[b.getAttribute("data-key")];
    b.remove();
  });
  // Diffs coloured when they come into view.
  var KW = new RegExp("\\b(False|None|True|and|as|assert|async|await|break|class|continue|def|del|" +
    "elif|else|except|finally|for|from|global|if|import|in|is|lambda|nonlocal|not|or|pass|raise|" +
    "return|try|while|with|yield)\\b", "g");
  function escText(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function code(s, py) {
    if (!py) return escText(s);
    var out = "", i = 0, m, re = /("""|'''|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|#.*$)/g;
    while ((m = re.exec(s)) !== null) {
      out += kw(s.slice(i, m.index));
      out += '<span class="' + (m[0][0] === "#" ? "com" : "str") + '">' + escText(m[0]) + "</span>";
      i = m.index + m[0].length;
      if (m[0].length === 0) re.lastIndex++;
    }
    return out + kw(s.slice(i));
  }
  function kw(s) {
    return escText(s).replace(KW, '<span class="kw">$1</span>')
      .replace(/\b(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\b/gi, '<span class="num">$1</span>');
  }
  function colour(pre) {
    var lines = pre.textContent.split("\n"), out = [], py = false;
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (/^diff --git /.test(l)) { py = /\.py$/.test(l); out.push('<span class="meta">' + escText(l) + "</span>"); }
      else if (/^(index |--- |\+\+\+ |new file|deleted file|similarity|rename |Binary files| \S.* \| )/.test(l))
        out.push('<span class="meta">' + escText(l) + "</span>");
      else if (/^@@/.test(l)) out.push('<span class="hunk">' + escText(l) + "</span>");
      else if (l[0] === "+") out.push('<span class="add">+' + code(l.slice(1), py) + "</span>");
      else if (l[0] === "-") out.push('<span class="del">-' + code(l.slice(1), py) + "</span>");
      else out.push(code(l, py) + (i < lines.length - 1 ? "\n" : ""));
    }
    pre.innerHTML = out.join("");
    pre.setAttribute("data-coloured", "1");
  }
  var diffs = document.querySelectorAll("pre.diff");
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (es) {
      es.forEach(function (e) { if (e.isIntersecting) { io.unobserve(e.target); colour(e.target); } });
    }, { rootMargin: "400px" });
    diffs.forEach(function (d) { io.observe(d); });
  } else {
    diffs.forEach(colour);
  }
  // Keyboard: j/k or arrows between steps, / to search.
  var cur = -1;
  function visible(s) { return !s.classList.contains("hidden"); }
  function nearest() {
    var y = window.scrollY + 60, lo = 0, hi = steps.length - 1, best = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (steps[mid].offsetTop <= y) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  }
  function go(i) {
    if (i < 0 || i >= steps.length) return;
    if (cur >= 0) steps[cur].classList.remove("current");
    cur = i;
    steps[i].classList.add("current");
    steps[i].scrollIntoView({ block: "start" });
    if (history.replaceState) history.replaceState(null, "", "#" + steps[i].id);
  }
  function move(d, pred) {
    var i = cur >= 0 && steps[cur].getBoundingClientRect().top < window.innerHeight ? cur : nearest();
    // Nothing marked yet and the nearest step still below the bar: j lands on it.
    if (cur < 0 && d > 0 && steps[i].getBoundingClientRect().top > 60) i = i - 1;
    for (var j = i + d; j >= 0 && j < steps.length; j += d) {
      if (visible(steps[j]) && (!pred || pred(steps[j]))) { go(j); return true; }
    }
    return false;
  }
  var q = document.getElementById("q"), count = document.getElementById("count");
  var onlyFailed = document.getElementById("failed"), hits = null;
  document.addEventListener("keydown", function (e) {
    if (e.target === q) {
      if (e.key === "Enter") {
        e.preventDefault();
        if (!move(e.shiftKey ? -1 : 1, isHit) && hits && hits.length) go(steps.indexOf(hits[0]));
      }
      if (e.key === "Escape") { q.blur(); }
      return;
    }
    if (e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "j" || e.key === "ArrowRight") { e.preventDefault(); move(1); }
    else if (e.key === "k" || e.key === "ArrowLeft") { e.preventDefault(); move(-1); }
    else if (e.key === "/") { e.preventDefault(); q.focus(); q.select(); }
    else if (e.key === "f") { e.preventDefault(); move(1, function (s) { return s.classList.contains("failed"); }); }
  });
  // Search over every step's text, the parts not on the page included.
  var index = null;
  function build() {
    var long = blob().long;
    index = steps.map(function (s) {
      var t = s.textContent, n = s.getAttribute("data-n");
      if (long["obs-" + n]) t += "\n" + long["obs-" + n];
      if (long["in-" + n]) t += "\n" + long["in-" + n];
      return t.toLowerCase();
    });
  }
  function isHit(s) { return !hits || hits.indexOf(s) >= 0; }
  var timer = null;
  function search() {
    var t = q.value.trim().toLowerCase();
    if (!t) {
      hits = null;
      steps.forEach(function (s) { s.classList.remove("dim"); });
      count.textContent = "";
      return;
    }
    if (!index) build();
    hits = [];
    steps.forEach(function (s, i) {
      var h = index[i].indexOf(t) >= 0;
      s.classList.toggle("dim", !h);
      if (h) hits.push(s);
    });
    var numbered = steps.filter(function (s) { return s.id !== "end"; }).length;
    count.textContent = hits.length + " of " + numbered + " steps";
  }
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 120); });
  onlyFailed.addEventListener("change", function () {
    steps.forEach(function (s) {
      s.classList.toggle("hidden", onlyFailed.checked && !s.classList.contains("failed"));
    });
  });
  // A link to run.html#step-N lands on that step, marked.
  function fromHash() {
    var m = /^#step-(\d+)$/.exec(location.hash);
    if (!m) return;
    var el = document.getElementById("step-" + m[1]);
    if (el) { var i = steps.indexOf(el); if (i >= 0) go(i); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.body.setAttribute("data-ready", "1");
})();
]]

local function cut(s, n)
  s = tostring(s or "")
  if #s <= n then return s, false end
  -- do not cut a UTF-8 sequence in two
  local i = n
  while i > 1 and s:byte(i + 1) and s:byte(i + 1) >= 0x80 and s:byte(i + 1) < 0xC0 do i = i - 1 end
  return s:sub(1, i), true
end

local function kb(n)
  if n >= 1048576 then return ("%.1f MB"):format(n / 1048576) end
  return ("%.0f KB"):format(n / 1024)
end

-- A <pre> that shows the head of text, the rest behind "show all".
local function long_pre(id, key, text, long, cls)
  local head, was_cut = cut(text, M.OBS_HEAD)
  local out = ("<pre id=\"%s\"%s>%s</pre>"):format(id, cls and (" class=\"" .. cls .. "\"") or "", esc(head))
  if was_cut then
    long[key] = html.utf8(text)
    out = out .. ("<button class=\"more\" data-for=\"%s\" data-key=\"%s\">show all %s</button>")
      :format(id, key, kb(#text))
  end
  return out
end

local function meta_rows(m, rd, best)
  local rows = {
    { "task", esc(("%s (%s; %s, %s is better)"):format(m.task or "?", m.category or "?",
      m.metric and m.metric.name or "?", m.metric and m.metric.goal or "?")) },
    { "agent", esc(view.agent_name(m))
      .. (m.agent_path and ("  <span class=\"muted\">" .. esc(m.agent_path) .. "</span>") or "") },
    { "model", esc(m.llm or "none") },
    { "status", esc(rd:status(m)) .. (m.message and (": " .. esc(view.one_line(m.message, 300))) or "") },
    { "score", ("%s against the baseline %s: %s%s"):format(esc(view.score(m.score)), esc(view.score(m.baseline)),
      esc(view.pct(m.improvement)),
      m.success and " <b class=\"good\">SUCCESS</b>" or " <b class=\"bad\">not a success</b>") },
    { "steps", ("%s &middot; %s tokens &middot; %s"):format(tostring(math.tointeger(m.steps) or m.steps or "?"),
      tostring(math.tointeger(m.tokens) or 0), esc(view.seconds(m.time_s))) },
  }
  if best and best.step then
    rows[#rows + 1] = { "best step", ("<a href=\"#step-%d\">step %d</a>: %s (%s)%s"):format(best.step, best.step,
      esc(view.score(best.score)), esc(view.pct(best.improvement)),
      best.success_any and " &mdash; success at some step" or "") }
  end
  if m.evaluation_error then
    rows[#rows + 1] = { "evaluation", "<span class=\"bad\">" .. esc(m.evaluation_error) .. "</span>" }
  end
  local out = {}
  for _, r in ipairs(rows) do
    out[#out + 1] = ("<dt>%s</dt><dd>%s</dd>"):format(r[1], r[2])
  end
  return "<dl class=\"meta\">" .. table.concat(out) .. "</dl>"
end

local function curve_chart(m, curve)
  local pts, any = {}, false
  for _, p in ipairs(curve) do
    local pt = { x = p.step, href = "#step-" .. p.step }
    if p.scored then
      any = true
      if p.score then
        pt.y = p.score
        pt.title = ("step %d (%s): %s, %s"):format(p.step, p.action, view.score(p.score), view.pct(p.improvement))
      else
        pt.title = ("step %d (%s): evaluation failed: %s"):format(p.step, p.action, view.one_line(p.error, 120))
      end
    end
    pts[#pts + 1] = pt
  end
  if not any then return nil end
  local hl = {}
  if type(m.baseline) == "number" then
    hl[#hl + 1] = { m.baseline, "baseline " .. view.score(m.baseline) }
    local th = m.threshold or 0.1
    local goal_max = not m.metric or m.metric.goal == "max"
    local line = goal_max and m.baseline + th * math.abs(m.baseline) or m.baseline - th * math.abs(m.baseline)
    hl[#hl + 1] = { line, ("success line (%+.0f%%)"):format(th * 100) }
  end
  return html.line_chart({ series = { { name = "score after each step", points = pts } },
    width = 1100, height = 260, xlabel = "step", ylabel = m.metric and m.metric.name or "score",
    hlines = hl, legend = false })
end

function M.render(rd)
  local m, merr = rd:manifest()
  if not m then return nil, merr end
  local steps, ended = rd:steps()
  local h = snap_mod.open(rd.paths.git)
  local calls = reasoning.join(rd:calls())
  local curve = scores.curve(rd, m, steps)
  local best = scores.best(rd, m)
  local task = m.task_dir and task_mod.load(m.task_dir)
  local generated = patch.generated(task or nil)
  local long = {}
  local body = {}
  local function add(s) body[#body + 1] = s end

  add("<header>")
  add(("<h1>%s</h1>"):format(esc(m.id or rd.id)))
  add(meta_rows(m, rd, best))
  add("</header>")
  add("<nav class=\"bar\"><input type=\"search\" id=\"q\" placeholder=\"search all steps ( / )\" "
    .. "aria-label=\"search steps\"> <span id=\"count\" class=\"muted\"></span>"
    .. "<label><input type=\"checkbox\" id=\"failed\"> failed steps only</label>"
    .. "<span class=\"keys\">j/k or &larr;/&rarr;: next/previous step &middot; f: next failed step "
    .. "&middot; /: search, Enter: next match</span></nav>")
  add("<main>")
  local chart = curve_chart(m, curve)
  if chart then
    add("<div class=\"chartbox\" id=\"curve\"><h3>score after each step</h3><p>each point is a step's "
      .. "committed workspace scored by the task's evaluator (mlab eval --all-steps); click a point to go "
      .. "to its step; &times; marks a tree the evaluator rejected</p>" .. chart .. "</div>")
  else
    add("<p class=\"muted\" id=\"curve\">No score per step yet: <code>mlab eval " .. esc(m.id or rd.id)
      .. " --all-steps</code> scores every step, and this page then shows the curve.</p>")
  end
  if m.final_answer then
    add("<h3>final answer</h3><pre>" .. esc(m.final_answer) .. "</pre>")
  end

  for n, s in ipairs(steps) do
    local why = view.failure(s)
    add(("<section class=\"step%s\" id=\"step-%d\" data-n=\"%d\">"):format(why and " failed" or "", n, n))
    local p = curve[n + 1]
    local sc = ""
    if p and p.scored then
      sc = p.score and ("<span class=\"sc\">score <b>%s</b> %s</span>"):format(esc(view.score(p.score)),
        esc(view.pct(p.improvement))) or "<span class=\"sc\">no valid score</span>"
    end
    add(("<h2><a class=\"n\" href=\"#step-%d\">%d</a> <span>%s</span> <span class=\"in\">%s</span>%s %s"
      .. "<span class=\"sc\">%s &middot; %s tokens</span></h2>"):format(n, n, esc(s.action),
      esc(view.input_summary(s.input)), why and (" <span class=\"badge\">" .. esc(why) .. "</span>") or "",
      sc, esc(view.seconds(s.duration_s)), tostring(math.tointeger(s.tokens) or 0)))
    if why then
      local line = s.error and not s.result and s.error or view.last_line(s.observation)
      add("<p class=\"bad\">" .. esc(why .. ": " .. view.one_line(line, 300)) .. "</p>")
    end
    local r = calls[n]
    if r and r.decision then
      local items = {}
      for _, f in ipairs(r.fields) do
        if f.field ~= "Action" and f.field ~= "Action Input" then
          items[#items + 1] = ("<dt>%s</dt><dd>%s</dd>"):format(esc(f.field), esc((cut(f.text, M.FIELD_CAP))))
        end
      end
      if #items > 0 then
        add(("<h3>reasoning <span class=\"muted\">(model call %s%s)</span></h3><dl class=\"reason\">%s</dl>")
          :format(tostring(math.tointeger(r.decision.call) or "?"),
            #r.calls > 1 and ("; %d calls while the step was pending"):format(#r.calls) or "",
            table.concat(items)))
      end
    end
    add("<h3>input</h3>" .. long_pre("in-" .. n, "in-" .. n, json.encode(s.input, "  "), long))
    add("<h3>observation</h3>" .. long_pre("obs-" .. n, "obs-" .. n,
      s.error and ("error: " .. s.error) or tostring(s.observation or ""), long))
    local d = h and h:diff("step-" .. (n - 1), "step-" .. n)
    if d and d ~= "" then
      local text = patch.render(d, { generated = generated })
      local shown, was_cut = cut(text, M.DIFF_CAP)
      if was_cut then
        shown = shown .. ("\n[... %d more bytes: mlab diff %s %d %d]\n"):format(#text - #shown,
          m.id or rd.id, n - 1, n)
      end
      add("<h3>diff</h3><pre class=\"diff\">" .. esc(shown) .. "</pre>")
    end
    add("</section>")
  end
  if ended then
    add(("<section class=\"step%s\" id=\"end\" data-n=\"end\"><h2>run ended: %s</h2>%s</section>"):format(
      (ended.status == "agent_error" or ended.status == "host_error") and " failed" or "",
      esc(ended.status), ended.message and ("<pre>" .. esc(ended.message) .. "</pre>") or ""))
  end
  add("</main>")
  add("<script type=\"application/json\" id=\"mlab-data\">" .. html.data({ long = long }) .. "</script>")
  return html.page({ title = "mlab run " .. (m.id or rd.id), css = html.CSS .. CSS,
    body = table.concat(body, "\n"), js = JS })
end

function M.write(rd, file)
  local text, err = M.render(rd)
  if not text then return nil, err end
  local ok, werr
  if file then
    if file:sub(1, 1) ~= "/" then file = (sys.getenv("PWD") or ".") .. "/" .. file end
    ok, werr = sys.write_atomic(file, text)
  else
    file = rd.paths.page
    ok, werr = rd:write_page(text)
  end
  if not ok then return nil, werr end
  return file
end

return M
