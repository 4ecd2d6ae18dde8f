--[[ html.lua - what the two offline pages share: escaping, the page shell
(a Content-Security-Policy that allows no network at all), inline data,
and charts drawn as SVG by this file (no library, no CDN).

  local html = require("html")
  html.esc(s)                    -- text for HTML (and valid UTF-8: a byte
                                 -- that is not becomes U+FFFD)
  html.utf8(s)                   -- s as valid UTF-8
  html.data(v)                   -- JSON for <script type="application/json">
  html.page{ title, css, body, js }  -- a whole document
  html.relpath(from_dir, to)     -- a relative link between absolute paths
  html.PALETTE                   -- series colours

Charts return an <svg> string; every mark has a <title> (its tooltip) and
may link somewhere (href: an <a> around it).

  html.line_chart{ series = { { name, color, href, points = { {x, y, href,
      title} } } }, width, height, xlabel, ylabel, ylo, yhi, hlines =
      { {y, label} }, pct = bool (y as a percentage) }
  html.interval_chart{ rows = { {label, value, lo, hi, title, extra = {value,
      lo, hi, title}} }, width, xlabel }      -- dots with whiskers, 0..1
  html.strip_chart{ groups = { {label, values = { {v, title, href} }, mean,
      se} }, width, xlabel }                  -- dots per group, mean +- se
  html.scatter{ points = { {x, y, color, title, href} }, width, height,
      xlabel, ylabel, pct = bool, legend = { {label, color} } }
]]
local json = require("json")

local M = {}

M.PALETTE = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22" }

function M.utf8(s)
  s = tostring(s or "")
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local len, bad = utf8.len(s, i)
    if len then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\239\191\189" -- U+FFFD
    i = bad + 1
  end
  return table.concat(out)
end

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

function M.esc(s)
  s = M.utf8(s)
  -- Control bytes other than tab and newline are not allowed in HTML text.
  s = s:gsub("[\0-\8\11\12\14-\31\127]", function(c) return ("\\x%02x"):format(c:byte()) end)
  return (s:gsub("[&<>\"']", ESC))
end
local esc = M.esc

-- Styles both pages share (the charts' among them).
M.CSS = [[
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee8; --bg: #ffffff; --soft: #f5f7fa;
  --bad: #c62828; --good: #2e7d32; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
main, header, section.block { max-width: 1180px; margin: 0 auto; padding: 0 18px; }
h1 { font-size: 20px; margin: 16px 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 22px 0 8px; }
a { color: var(--accent); }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 8px;
  overflow: auto; max-height: 520px; white-space: pre-wrap; word-break: break-word; margin: 4px 0;
  font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.muted { color: var(--muted); }
.good { color: var(--good); } .bad { color: var(--bad); }
svg.chart { max-width: 100%; height: auto; background: #fff; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg.chart .tick { fill: var(--muted); }
svg.chart .label { font-weight: 600; }
svg.chart .grid { stroke: #eceff4; }
svg.chart .axis { stroke: #98a2b3; }
svg.chart .ref { stroke: #98a2b3; stroke-dasharray: 4 3; }
svg.chart .reflabel { fill: var(--muted); }
svg.chart .line { fill: none; stroke-width: 1.8; }
svg.chart .pt.bad { stroke: var(--bad); stroke-width: 2; }
svg.chart .dot { fill-opacity: .75; }
svg.chart .iv circle { fill: var(--accent); } svg.chart .iv line { stroke: var(--accent); stroke-width: 2; }
svg.chart .iv2 circle { fill: #fff; stroke: #ff7f0e; stroke-width: 2; }
svg.chart .iv2 line { stroke: #ff7f0e; stroke-width: 1.5; stroke-dasharray: 3 2; }
svg.chart .meanbar line { stroke: var(--fg); stroke-width: 2; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin: 0 0 6px 58px; font-size: 12px; }
.legend span i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
svg.chart a:hover circle { stroke: #000; stroke-width: 2; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 12px 24px; }
.chartbox h3 { font-size: 14px; margin: 10px 0 2px; }
.chartbox p { margin: 0 0 4px; font-size: 12px; color: var(--muted); }
]]

function M.data(v)
  -- "<" never appears raw, so no "</script>" or "<!--" can end the block.
  return (json.encode(v):gsub("<", "\\u003c"))
end

function M.page(p)
  return table.concat({
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
    -- Nothing may be fetched: not a script, a font, an image, a frame.
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    "<title>", esc(p.title), "</title>\n<style>\n", p.css or "", "\n</style>\n</head>\n<body>\n",
    p.body or "", "\n<script>\n", p.js or "", "\n</script>\n</body>\n</html>\n" })
end

function M.relpath(from_dir, to)
  local a, b = {}, {}
  for c in from_dir:gmatch("[^/]+") do if c ~= "." then a[#a + 1] = c end end
  for c in to:gmatch("[^/]+") do if c ~= "." then b[#b + 1] = c end end
  local i = 1
  while i <= #a and i < #b and a[i] == b[i] do i = i + 1 end
  local parts = {}
  for _ = i, #a do parts[#parts + 1] = ".." end
  for k = i, #b do parts[#parts + 1] = b[k] end
  return table.concat(parts, "/")
end

-- Round numbers for an axis from lo to hi.
local function ticks(lo, hi, n)
  if hi - lo < 1e-12 then lo, hi = lo - 0.5, hi + 0.5 end
  local raw = (hi - lo) / (n or 5)
  local step = 10 ^ math.floor(math.log(raw, 10))
  local r = raw / step
  if r >= 7.5 then step = step * 10 elseif r >= 3.5 then step = step * 5
  elseif r >= 1.5 then step = step * 2 end
  local out = {}
  local t = math.floor(lo / step + 1e-9) * step
  while t <= hi + step * 1e-9 do
    if t >= lo - step * 1e-9 then out[#out + 1] = t end
    t = t + step
  end
  return out, step
end

local function fmt_tick(v, step, pct)
  if pct then v, step = v * 100, step * 100 end
  local d = math.max(0, -math.floor(math.log(step, 10) + 1e-9))
  local s = ("%." .. d .. "f"):format(v)
  if s == "-0" then s = "0" end
  return pct and s .. "%" or s
end

local function n(v) return ("%.1f"):format(v) end

local function link(href, inner)
  if not href then return inner end
  return ("<a href=\"%s\">%s</a>"):format(esc(href), inner)
end

local function title(t) return t and ("<title>" .. esc(t) .. "</title>") or "" end

-- Axes frame: returns the svg head, the x and y mapping functions.
local function frame(o, xlo, xhi, ylo, yhi)
  local W, H = o.width or 640, o.height or 300
  local L, R, T, B = 58, 14, 12, 40
  local out = { ("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
    .. "width=\"%d\" height=\"%d\" role=\"img\">"):format(W, H, W, H) }
  local function X(v) return L + (v - xlo) / (xhi - xlo) * (W - L - R) end
  local function Y(v) return H - B - (v - ylo) / (yhi - ylo) * (H - T - B) end
  local xt, xs = ticks(xlo, xhi, o.xticks or 6)
  local yt, ys = ticks(ylo, yhi, 5)
  for _, t in ipairs(yt) do
    out[#out + 1] = ("<line class=\"grid\" x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/>"
      .. "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>"):format(
      n(L), n(W - R), n(Y(t)), n(Y(t)), n(L - 6), n(Y(t) + 4), esc(fmt_tick(t, ys, o.pct)))
  end
  for _, t in ipairs(xt) do
    out[#out + 1] = ("<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>")
      :format(n(X(t)), n(H - B + 16), esc(fmt_tick(t, xs, o.xpct)))
  end
  out[#out + 1] = ("<line class=\"axis\" x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/>"):format(
    n(L), n(W - R), n(H - B), n(H - B))
  out[#out + 1] = ("<line class=\"axis\" x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/>"):format(
    n(L), n(L), n(T), n(H - B))
  if o.xlabel then
    out[#out + 1] = ("<text class=\"label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>")
      :format(n((L + W - R) / 2), n(H - 6), esc(o.xlabel))
  end
  if o.ylabel then
    out[#out + 1] = ("<text class=\"label\" transform=\"translate(14 %s) rotate(-90)\" "
      .. "text-anchor=\"middle\">%s</text>"):format(n((T + H - B) / 2), esc(o.ylabel))
  end
  return out, X, Y, { L = L, R = W - R, T = T, B = H - B }
end

local function range(vals, pad)
  local lo, hi
  for _, v in ipairs(vals) do
    if type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge then
      lo = lo and math.min(lo, v) or v
      hi = hi and math.max(hi, v) or v
    end
  end
  if not lo then return 0, 1 end
  local span = hi - lo
  if span == 0 then span = math.abs(hi) > 0 and math.abs(hi) * 0.1 or 1 end
  return lo - span * (pad or 0.05), hi + span * (pad or 0.05)
end

function M.line_chart(o)
  local xs, ys = {}, {}
  for _, s in ipairs(o.series) do
    for _, p in ipairs(s.points) do
      xs[#xs + 1] = p.x
      if type(p.y) == "number" then ys[#ys + 1] = p.y end
    end
  end
  for _, h in ipairs(o.hlines or {}) do ys[#ys + 1] = h[1] end
  local xlo, xhi = range(xs, 0)
  if xhi - xlo < 1 then xhi = xlo + 1 end
  local ylo, yhi = range(ys, 0.08)
  if o.ylo then ylo = math.min(ylo, o.ylo) end
  if o.yhi then yhi = math.max(yhi, o.yhi) end
  local out, X, Y, box = frame(o, xlo, xhi, ylo, yhi)
  for _, h in ipairs(o.hlines or {}) do
    out[#out + 1] = ("<line class=\"ref\" x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"><title>%s</title></line>"
      .. "<text class=\"reflabel\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>"):format(
      n(box.L), n(box.R), n(Y(h[1])), n(Y(h[1])), esc(h[2]), n(box.R - 2), n(Y(h[1]) - 3), esc(h[2]))
  end
  for i, s in ipairs(o.series) do
    local color = s.color or M.PALETTE[(i - 1) % #M.PALETTE + 1]
    local d, run = {}, false
    for _, p in ipairs(s.points) do
      if type(p.y) == "number" then
        d[#d + 1] = (run and "L" or "M") .. n(X(p.x)) .. " " .. n(Y(p.y))
        run = true
      else
        run = false
      end
    end
    out[#out + 1] = "<g class=\"series\" data-name=\"" .. esc(s.name or "") .. "\">"
    if #d > 0 then
      out[#out + 1] = link(s.href, ("<path class=\"line\" d=\"%s\" stroke=\"%s\">%s</path>"):format(
        table.concat(d, " "), color, title(s.name)))
    end
    for _, p in ipairs(s.points) do
      if type(p.y) == "number" then
        out[#out + 1] = link(p.href, ("<circle class=\"pt%s\" cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\">%s</circle>")
          :format(p.class and " " .. p.class or "", n(X(p.x)), n(Y(p.y)), p.r or 3.5, color, title(p.title)))
      elseif p.title then
        out[#out + 1] = link(p.href, ("<text class=\"miss\" x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
          .. "fill=\"%s\">&#215;%s</text>"):format(n(X(p.x)), n(box.B - 4), color, title(p.title)))
      end
    end
    out[#out + 1] = "</g>"
  end
  out[#out + 1] = "</svg>"
  -- The legend under the chart, in HTML (it wraps; it never covers a line).
  if o.legend ~= false and #o.series > 1 then
    local items = {}
    for i, s in ipairs(o.series) do
      local color = s.color or M.PALETTE[(i - 1) % #M.PALETTE + 1]
      items[#items + 1] = link(s.href, ("<span><i style=\"background:%s\"></i>%s</span>"):format(color,
        esc(s.name or "")))
    end
    out[#out + 1] = "<div class=\"legend\">" .. table.concat(items) .. "</div>"
  end
  return table.concat(out, "\n")
end

function M.interval_chart(o)
  local rows = o.rows
  local W = o.width or 640
  local L, R, T, rowh = o.label_width or 220, 20, 10, 24
  local H = T + #rows * rowh + 34
  local function X(v) return L + v * (W - L - R) end
  local out = { ("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
    .. "width=\"%d\" height=\"%d\" role=\"img\">"):format(W, H, W, H) }
  for t = 0, 1.0001, 0.25 do
    out[#out + 1] = ("<line class=\"grid\" x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\"/>"
      .. "<text class=\"tick\" x=\"%s\" y=\"%d\" text-anchor=\"middle\">%d%%</text>"):format(
      n(X(t)), n(X(t)), T, H - 30, n(X(t)), H - 16, math.floor(t * 100 + 0.5))
  end
  if o.xlabel then
    out[#out + 1] = ("<text class=\"label\" x=\"%s\" y=\"%d\" text-anchor=\"middle\">%s</text>"):format(
      n((L + W - R) / 2), H - 2, esc(o.xlabel))
  end
  for i, r in ipairs(rows) do
    local y = T + (i - 0.5) * rowh
    out[#out + 1] = ("<text class=\"rowlabel\" x=\"%d\" y=\"%s\" text-anchor=\"end\">%s</text>"):format(
      L - 8, n(y + 4), esc(r.label))
    local function mark(v, lo, hi, cls, dy, tt)
      if type(v) ~= "number" then return end
      local yy = y + dy
      out[#out + 1] = ("<g class=\"%s\">%s<line class=\"whisker\" x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/>"
        .. "<circle cx=\"%s\" cy=\"%s\" r=\"4.5\"/></g>"):format(cls, title(tt), n(X(lo or v)), n(X(hi or v)),
        n(yy), n(yy), n(X(v)), n(yy))
    end
    mark(r.value, r.lo, r.hi, "iv", r.extra and -4 or 0, r.title)
    if r.extra then mark(r.extra.value, r.extra.lo, r.extra.hi, "iv2", 5, r.extra.title) end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

function M.strip_chart(o)
  local groups = o.groups
  local all = {}
  for _, g in ipairs(groups) do
    for _, v in ipairs(g.values) do all[#all + 1] = v[1] end
  end
  all[#all + 1] = 0
  local lo, hi = range(all, 0.08)
  local W = o.width or 640
  local L, R, T, rowh = o.label_width or 220, 20, 10, 28
  local H = T + #groups * rowh + 34
  local function X(v) return L + (v - lo) / (hi - lo) * (W - L - R) end
  local out = { ("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
    .. "width=\"%d\" height=\"%d\" role=\"img\">"):format(W, H, W, H) }
  local ts, st = ticks(lo, hi, 6)
  for _, t in ipairs(ts) do
    out[#out + 1] = ("<line class=\"%s\" x1=\"%s\" x2=\"%s\" y1=\"%d\" y2=\"%d\"/>"
      .. "<text class=\"tick\" x=\"%s\" y=\"%d\" text-anchor=\"middle\">%s</text>"):format(
      math.abs(t) < st * 1e-6 and "ref" or "grid", n(X(t)), n(X(t)), T, H - 30, n(X(t)), H - 16,
      esc(fmt_tick(t, st, o.pct)))
  end
  if o.xlabel then
    out[#out + 1] = ("<text class=\"label\" x=\"%s\" y=\"%d\" text-anchor=\"middle\">%s</text>"):format(
      n((L + W - R) / 2), H - 2, esc(o.xlabel))
  end
  for i, g in ipairs(groups) do
    local y = T + (i - 0.5) * rowh
    out[#out + 1] = ("<text class=\"rowlabel\" x=\"%d\" y=\"%s\" text-anchor=\"end\">%s</text>"):format(
      L - 8, n(y + 4), esc(g.label))
    for k, v in ipairs(g.values) do
      local jitter = ((k * 7919) % 11 - 5) * 1.4
      out[#out + 1] = link(v[3], ("<circle class=\"dot\" cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\">%s</circle>")
        :format(n(X(v[1])), n(y + jitter), M.PALETTE[1], title(v[2])))
    end
    if g.mean then
      local se = g.se or 0
      out[#out + 1] = ("<g class=\"meanbar\"><title>mean %s +- %s (standard error)</title>"
        .. "<line x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/><line x1=\"%s\" x2=\"%s\" y1=\"%s\" y2=\"%s\"/></g>")
        :format(fmt_tick(g.mean, 0.001, o.pct), fmt_tick(se, 0.001, o.pct), n(X(g.mean - se)),
          n(X(g.mean + se)), n(y), n(y), n(X(g.mean)), n(X(g.mean)), n(y - 9), n(y + 9))
    end
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

function M.scatter(o)
  local xs, ys = {}, {}
  for _, p in ipairs(o.points) do xs[#xs + 1], ys[#ys + 1] = p.x, p.y end
  local xlo, xhi = range(xs, 0.05)
  local ylo, yhi = range(ys, 0.08)
  local out, X, Y, box = frame(o, xlo, xhi, ylo, yhi)
  for _, p in ipairs(o.points) do
    if type(p.x) == "number" and type(p.y) == "number" then
      out[#out + 1] = link(p.href, ("<circle class=\"dot\" cx=\"%s\" cy=\"%s\" r=\"4\" fill=\"%s\">%s</circle>")
        :format(n(X(p.x)), n(Y(p.y)), p.color or M.PALETTE[1], title(p.title)))
    end
  end
  for i, l in ipairs(o.legend or {}) do
    out[#out + 1] = ("<g class=\"legend\"><circle cx=\"%s\" cy=\"%s\" r=\"4\" fill=\"%s\"/>"
      .. "<text x=\"%s\" y=\"%s\">%s</text></g>"):format(n(box.R - 110), n(box.T + 8 + (i - 1) * 14),
      l[2], n(box.R - 100), n(box.T + 12 + (i - 1) * 14), esc(l[1]))
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

return M
