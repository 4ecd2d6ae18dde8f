--[[ patch.lua - a workspace diff for reading: the files a person wrote in
full, the files a script generated (submissions, data outputs, models) as
one --stat line each.

  local patch = require("patch")
  local files = patch.split(text)      -- unified diff (git's format) -> files:
      -- { path, old_path, head = {lines}, body = {lines}, added, removed,
      --   binary, status = "M"|"A"|"D"|"R" }
  patch.stat_line(f, width)            -- " train.py | 4 ++--"
  patch.stat(files)                    -- git diff --stat: a line per file + total
  patch.generated(task)                -- the task's generated-file patterns
                                       -- (task.generated, else DEFAULT), and
                                       -- its data patterns
  patch.matches(path, patterns)        -- true when a pattern matches path
  patch.render(text, { generated = patterns, all = bool })
      -- the diff with hand-written files first, whole, then generated ones
      -- as their "diff --git" line and a stat line (all = true: whole)
  patch.join(files)                    -- files back to diff text

Patterns are globs: "*" and "?" stay inside one path component, "**"
crosses them; a pattern without "/" is matched against the file's name
in any folder, one with "/" against the whole path.
]]
local M = {}

M.DEFAULT = {
  "submission*", "*.csv", "*.tsv", "*.npy", "*.npz", "*.pkl", "*.pickle", "*.joblib",
  "*.pt", "*.pth", "*.ckpt", "*.h5", "*.bin", "*.parquet", "*.pyc", "__pycache__/**",
  "**/__pycache__/**", "*.log", "*.png", "*.jpg",
}

local function glob_to_pattern(g)
  local out = g:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0")
  out = out:gsub("%*%*", "\1"):gsub("%*", "[^/]*"):gsub("%?", "[^/]"):gsub("\1", ".*")
  return "^" .. out .. "$"
end

function M.matches(path, patterns)
  local name = path:match("([^/]+)$") or path
  for _, g in ipairs(patterns or {}) do
    local p = glob_to_pattern(g)
    if g:find("/") then
      if path:match(p) then return true end
    elseif name:match(p) then
      return true
    end
  end
  return false
end

function M.generated(task)
  local out = {}
  local gen = task and task.generated or M.DEFAULT
  for _, g in ipairs(gen) do out[#out + 1] = g end
  for _, g in ipairs(task and task.data or {}) do out[#out + 1] = g end
  return out
end

local function unquote(p)
  if p:sub(1, 1) == '"' then p = p:sub(2, -2) end
  return p
end

function M.split(text)
  local files, cur = {}, nil
  for line in tostring(text or ""):gmatch("([^\n]*)\n") do
    local a, b = line:match("^diff %-%-git (\"?a/.-\"?) (\"?b/.*\"?)$")
    if a then
      cur = { head = { line }, body = {}, added = 0, removed = 0, status = "M",
              old_path = unquote(a):sub(3), path = unquote(b):sub(3) }
      files[#files + 1] = cur
    elseif cur then
      if #cur.body == 0 and not line:match("^@@") and not line:match("^[ +-]") then
        cur.head[#cur.head + 1] = line
        if line:match("^new file") then cur.status = "A"
        elseif line:match("^deleted file") then cur.status = "D"
        elseif line:match("^rename from") then cur.status = "R"
        elseif line:match("^Binary files") then cur.binary = true end
      elseif #cur.body == 0 and (line:match("^%-%-%- ") or line:match("^%+%+%+ ")) then
        cur.head[#cur.head + 1] = line
      else
        cur.body[#cur.body + 1] = line
        if line:match("^%+") then cur.added = cur.added + 1
        elseif line:match("^%-") then cur.removed = cur.removed + 1 end
      end
    end
  end
  return files
end

local function bar(f, room)
  local n = f.added + f.removed
  if n == 0 then return "" end
  local plus, minus = f.added, f.removed
  if n > room then
    plus = math.max(f.added > 0 and 1 or 0, math.floor(f.added * room / n + 0.5))
    minus = math.max(f.removed > 0 and 1 or 0, room - plus)
    if f.removed == 0 then minus = 0 end
  end
  return ("+"):rep(plus) .. ("-"):rep(minus)
end

local function label(f)
  if f.status == "R" then return f.old_path .. " => " .. f.path end
  return f.path
end

function M.stat_line(f, width)
  width = width or #label(f)
  if f.binary then return (" %-" .. width .. "s | Bin"):format(label(f)) end
  return (" %-" .. width .. "s | %5d %s"):format(label(f), f.added + f.removed, bar(f, 40))
end

function M.stat(files)
  local w, out, add, del = 0, {}, 0, 0
  for _, f in ipairs(files) do w = math.max(w, #label(f)) end
  for _, f in ipairs(files) do
    out[#out + 1] = M.stat_line(f, w) .. "\n"
    add, del = add + f.added, del + f.removed
  end
  out[#out + 1] = (" %d file%s changed, %d insertion%s(+), %d deletion%s(-)\n"):format(
    #files, #files == 1 and "" or "s", add, add == 1 and "" or "s", del, del == 1 and "" or "s")
  return table.concat(out)
end

local function whole(f)
  local parts = {}
  for _, l in ipairs(f.head) do parts[#parts + 1] = l end
  for _, l in ipairs(f.body) do parts[#parts + 1] = l end
  return table.concat(parts, "\n") .. "\n"
end
M.whole = whole

function M.join(files)
  local out = {}
  for i, f in ipairs(files) do out[i] = whole(f) end
  return table.concat(out)
end

function M.render(text, opts)
  opts = opts or {}
  local files = M.split(text)
  if opts.all then return M.join(files) end
  local shown, gen = {}, {}
  for _, f in ipairs(files) do
    if M.matches(f.path, opts.generated) or (f.old_path and M.matches(f.old_path, opts.generated)) then
      gen[#gen + 1] = f
    else
      shown[#shown + 1] = f
    end
  end
  local out = { M.join(shown) }
  for _, f in ipairs(gen) do
    out[#out + 1] = f.head[1] .. "\n" .. M.stat_line(f) .. "   (generated: --all shows it)\n"
  end
  return table.concat(out)
end

return M
