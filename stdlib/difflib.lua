-- difflib.lua - Python's difflib.unified_diff, line for line.
--
-- The reference study showed the model the diff of every Edit Script (AI)
-- as Python's difflib.unified_diff wrote it; a diff from another algorithm
-- marks the same change with other hunks (diff.lua is mlab's own, cheaper
-- one).  This is CPython's SequenceMatcher (longest matching block first,
-- recursively; with "autojunk": in a sequence of 200 lines or more, lines
-- that occur in more than 1% of it + 1 times are not used to anchor a
-- match) and its unified format.
--
--   difflib.splitlines(text) -> list   str.splitlines(keepends=True): each
--       line keeps its ending (\n, \r\n, \r, \v, \f, \28-\30, U+0085,
--       U+2028, U+2029)
--   difflib.unified_diff(a, b [, opts]) -> text
--       a, b: lists of lines (with their endings); opts.fromfile,
--       opts.tofile (default ""), opts.n (context lines, default 3),
--       opts.lineterm (default "\n"); "" when a and b are equal.  Lines
--       are written as they are, so a last line without its newline runs
--       into the next line of the diff, as in Python.
--   difflib.opcodes(a, b) -> list of { tag, i1, i2, j1, j2 } (0-based, as
--       SequenceMatcher.get_opcodes)
local M = {}

local ENDINGS = { ["\n"] = true, ["\r"] = true, ["\v"] = true, ["\f"] = true,
                  ["\28"] = true, ["\29"] = true, ["\30"] = true }

function M.splitlines(text)
  local out, start, i, n = {}, 1, 1, #text
  while i <= n do
    local c = text:sub(i, i)
    local stop
    if c == "\r" and text:sub(i + 1, i + 1) == "\n" then
      stop = i + 1
    elseif ENDINGS[c] then
      stop = i
    elseif c == "\194" and text:sub(i + 1, i + 1) == "\133" then
      stop = i + 1
    elseif c == "\226" and (text:sub(i + 1, i + 2) == "\128\168" or text:sub(i + 1, i + 2) == "\128\169") then
      stop = i + 2
    end
    if stop then
      out[#out + 1] = text:sub(start, stop)
      start, i = stop + 1, stop + 1
    else
      i = i + 1
    end
  end
  if start <= n then out[#out + 1] = text:sub(start) end
  return out
end

-- SequenceMatcher(None, a, b): b2j without the popular lines.
local function chain_b(b)
  local b2j = {}
  for j = 1, #b do
    local l = b2j[b[j]]
    if not l then l = {}; b2j[b[j]] = l end
    l[#l + 1] = j - 1
  end
  local n = #b
  if n >= 200 then
    local ntest = n // 100 + 1
    local popular = {}
    for elt, idxs in pairs(b2j) do
      if #idxs > ntest then popular[#popular + 1] = elt end
    end
    for _, elt in ipairs(popular) do b2j[elt] = nil end
  end
  return b2j
end

-- find_longest_match over a[alo:ahi], b[blo:bhi] (0-based, half open).
local function longest(a, b, b2j, alo, ahi, blo, bhi)
  local besti, bestj, bestsize = alo, blo, 0
  local j2len = {}
  local nothing = {}
  for i = alo, ahi - 1 do
    local newj2len = {}
    for _, j in ipairs(b2j[a[i + 1]] or nothing) do
      if j >= blo then
        if j >= bhi then break end
        local k = (j2len[j - 1] or 0) + 1
        newj2len[j] = k
        if k > bestsize then besti, bestj, bestsize = i - k + 1, j - k + 1, k end
      end
    end
    j2len = newj2len
  end
  -- No line is junk (isjunk is None): extend over equal lines both ways,
  -- popular ones included.
  while besti > alo and bestj > blo and a[besti] == b[bestj] do
    besti, bestj, bestsize = besti - 1, bestj - 1, bestsize + 1
  end
  while besti + bestsize < ahi and bestj + bestsize < bhi
    and a[besti + bestsize + 1] == b[bestj + bestsize + 1] do
    bestsize = bestsize + 1
  end
  return besti, bestj, bestsize
end

local function matching_blocks(a, b)
  local b2j = chain_b(b)
  local queue = { { 0, #a, 0, #b } }
  local blocks = {}
  while #queue > 0 do
    local q = table.remove(queue)
    local alo, ahi, blo, bhi = q[1], q[2], q[3], q[4]
    local i, j, k = longest(a, b, b2j, alo, ahi, blo, bhi)
    if k > 0 then
      blocks[#blocks + 1] = { i, j, k }
      if alo < i and blo < j then queue[#queue + 1] = { alo, i, blo, j } end
      if i + k < ahi and j + k < bhi then queue[#queue + 1] = { i + k, ahi, j + k, bhi } end
    end
  end
  table.sort(blocks, function(x, y)
    if x[1] ~= y[1] then return x[1] < y[1] end
    if x[2] ~= y[2] then return x[2] < y[2] end
    return x[3] < y[3]
  end)
  local i1, j1, k1 = 0, 0, 0
  local out = {}
  for _, blk in ipairs(blocks) do
    local i2, j2, k2 = blk[1], blk[2], blk[3]
    if i1 + k1 == i2 and j1 + k1 == j2 then
      k1 = k1 + k2
    else
      if k1 > 0 then out[#out + 1] = { i1, j1, k1 } end
      i1, j1, k1 = i2, j2, k2
    end
  end
  if k1 > 0 then out[#out + 1] = { i1, j1, k1 } end
  out[#out + 1] = { #a, #b, 0 }
  return out
end

function M.opcodes(a, b)
  local i, j = 0, 0
  local answer = {}
  for _, m in ipairs(matching_blocks(a, b)) do
    local ai, bj, size = m[1], m[2], m[3]
    local tag
    if i < ai and j < bj then tag = "replace"
    elseif i < ai then tag = "delete"
    elseif j < bj then tag = "insert" end
    if tag then answer[#answer + 1] = { tag, i, ai, j, bj } end
    i, j = ai + size, bj + size
    if size > 0 then answer[#answer + 1] = { "equal", ai, i, bj, j } end
  end
  return answer
end

local function grouped(a, b, n)
  local codes = M.opcodes(a, b)
  if #codes == 0 then codes = { { "equal", 0, 1, 0, 1 } } end
  local c = codes[1]
  if c[1] == "equal" then
    codes[1] = { "equal", math.max(c[2], c[3] - n), c[3], math.max(c[4], c[5] - n), c[5] }
  end
  c = codes[#codes]
  if c[1] == "equal" then
    codes[#codes] = { "equal", c[2], math.min(c[3], c[2] + n), c[4], math.min(c[5], c[4] + n) }
  end
  local nn = n + n
  local groups, group = {}, {}
  for _, code in ipairs(codes) do
    local tag, i1, i2, j1, j2 = code[1], code[2], code[3], code[4], code[5]
    if tag == "equal" and i2 - i1 > nn then
      group[#group + 1] = { tag, i1, math.min(i2, i1 + n), j1, math.min(j2, j1 + n) }
      groups[#groups + 1] = group
      group = {}
      i1, j1 = math.max(i1, i2 - n), math.max(j1, j2 - n)
    end
    group[#group + 1] = { tag, i1, i2, j1, j2 }
  end
  if #group > 0 and not (#group == 1 and group[1][1] == "equal") then
    groups[#groups + 1] = group
  end
  return groups
end

local function range(start, stop)
  local beginning = start + 1
  local length = stop - start
  if length == 1 then return tostring(beginning) end
  if length == 0 then beginning = beginning - 1 end
  return ("%d,%d"):format(beginning, length)
end

function M.unified_diff(a, b, opts)
  opts = opts or {}
  local n = opts.n or 3
  local term = opts.lineterm or "\n"
  local out = {}
  for gi, group in ipairs(grouped(a, b, n)) do
    if gi == 1 then
      out[#out + 1] = "--- " .. (opts.fromfile or "") .. term
      out[#out + 1] = "+++ " .. (opts.tofile or "") .. term
    end
    local first, last = group[1], group[#group]
    out[#out + 1] = ("@@ -%s +%s @@%s"):format(range(first[2], last[3]), range(first[4], last[5]), term)
    for _, code in ipairs(group) do
      local tag, i1, i2, j1, j2 = code[1], code[2], code[3], code[4], code[5]
      if tag == "equal" then
        for k = i1 + 1, i2 do out[#out + 1] = " " .. a[k] end
      else
        if tag == "replace" or tag == "delete" then
          for k = i1 + 1, i2 do out[#out + 1] = "-" .. a[k] end
        end
        if tag == "replace" or tag == "insert" then
          for k = j1 + 1, j2 do out[#out + 1] = "+" .. b[k] end
        end
      end
    end
  end
  return table.concat(out)
end

return M
