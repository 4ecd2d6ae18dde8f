-- diff.lua - unified diffs of two texts (what an AI edit changed).
--
--   diff.unified(old, new [, opts]) -> text ("" when equal)
--     opts.from, opts.to: the names on the ---/+++ lines (default a, b);
--     opts.context: lines of context around each change (default 3)
--   diff.lines(text) -> list of lines (without their newlines)
--
-- Longest-common-subsequence over the lines that differ (the common head
-- and tail are cut first, so a small edit of a long script is cheap); a
-- middle too big for the table is shown as one replaced block.
local M = {}

local MAX_CELLS = 4000000

-- Plain finds: a pattern such as "([^\n]*)\n" backtracks over a long
-- line from each of its positions, quadratic in the line's length.
function M.lines(text)
  local out, at = {}, 1
  while true do
    local nl = text:find("\n", at, true)
    if not nl then break end
    out[#out + 1] = text:sub(at, nl - 1)
    at = nl + 1
  end
  if at <= #text then out[#out + 1] = text:sub(at) end
  return out
end

-- The edit script: list of { op = " " | "-" | "+", line = text }.
local function script(a, b)
  local n, m = #a, #b
  local pre = 0
  while pre < n and pre < m and a[pre + 1] == b[pre + 1] do pre = pre + 1 end
  local suf = 0
  while suf < n - pre and suf < m - pre and a[n - suf] == b[m - suf] do suf = suf + 1 end
  local ops = {}
  for i = 1, pre do ops[#ops + 1] = { op = " ", line = a[i] } end
  local an, bn = n - pre - suf, m - pre - suf
  if an * bn > MAX_CELLS then
    for i = 1, an do ops[#ops + 1] = { op = "-", line = a[pre + i] } end
    for j = 1, bn do ops[#ops + 1] = { op = "+", line = b[pre + j] } end
  else
    -- L[i][j]: LCS length of a[pre+i..] and b[pre+j..] (flat array).
    local w = bn + 2
    local L = {}
    for i = an + 1, 1, -1 do
      for j = bn + 1, 1, -1 do
        local v
        if i > an or j > bn then
          v = 0
        elseif a[pre + i] == b[pre + j] then
          v = L[i * w + j + 1 + w] + 1
        else
          local x, y = L[i * w + w + j], L[i * w + j + 1]
          v = x > y and x or y
        end
        L[i * w + j] = v
      end
    end
    local i, j = 1, 1
    while i <= an or j <= bn do
      if i <= an and j <= bn and a[pre + i] == b[pre + j] then
        ops[#ops + 1] = { op = " ", line = a[pre + i] }; i, j = i + 1, j + 1
      elseif i <= an and (j > bn or L[i * w + w + j] >= L[i * w + j + 1]) then
        ops[#ops + 1] = { op = "-", line = a[pre + i] }; i = i + 1
      else
        ops[#ops + 1] = { op = "+", line = b[pre + j] }; j = j + 1
      end
    end
  end
  for i = n - suf + 1, n do ops[#ops + 1] = { op = " ", line = a[i] } end
  return ops
end

local function range(start, count)
  if count == 1 then return tostring(start) end
  if count == 0 then return (start - 1) .. ",0" end
  return start .. "," .. count
end

function M.unified(old, new, opts)
  opts = opts or {}
  local ctx = opts.context or 3
  local ops = script(M.lines(old), M.lines(new))
  -- Old/new line numbers of each op.
  local ai, bi = 1, 1
  for _, o in ipairs(ops) do
    o.a, o.b = ai, bi
    if o.op ~= "+" then ai = ai + 1 end
    if o.op ~= "-" then bi = bi + 1 end
  end
  local out = {}
  local k = 1
  while k <= #ops do
    if ops[k].op == " " then
      k = k + 1
    else
      -- A hunk: from ctx lines before this change to ctx lines after the
      -- last change that is at most 2*ctx lines from the previous one.
      local s = math.max(1, k - ctx)
      local e = k
      while true do
        local nxt = e + 1
        while nxt <= #ops and ops[nxt].op == " " do nxt = nxt + 1 end
        if nxt <= #ops and nxt - e - 1 <= 2 * ctx then e = nxt else break end
      end
      local stop = math.min(#ops, e + ctx)
      local ac, bc = 0, 0
      local body = {}
      for x = s, stop do
        local o = ops[x]
        if o.op ~= "+" then ac = ac + 1 end
        if o.op ~= "-" then bc = bc + 1 end
        body[#body + 1] = o.op .. o.line
      end
      out[#out + 1] = ("@@ -%s +%s @@"):format(range(ops[s].a, ac), range(ops[s].b, bc))
      for _, l in ipairs(body) do out[#out + 1] = l end
      k = stop + 1
    end
  end
  if #out == 0 then return "" end
  table.insert(out, 1, "+++ " .. (opts.to or "b"))
  table.insert(out, 1, "--- " .. (opts.from or "a"))
  return table.concat(out, "\n") .. "\n"
end

return M
