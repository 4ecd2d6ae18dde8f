--[[ analysis.lua - the read-only API over runs that `mlab script` gives a
script (as the global `mlab`).  Everything is read through rundir.lua;
a script gets copies of the data and closures, never a handle, so it can
neither write a run nor reach a file by path.

  local api, close = require("analysis").new{ runs_dir = D, tmp = T,
                                              write = fn }
  -- in a script:
  local runs = mlab.runs(arg)       -- run dirs, folders of runs, globs, ids
  r.id, r.dir
  r:manifest()  r:steps()  r:step(n)  r:ended()  r:calls()  r:scores()
  r:reply(n)  r:fields(n)  r:task()  r:model()  r:page([n])  r:branches()
  r:files(n)  r:file(n, path)  r:diff(a, b [, path])  r:changed(n)
  mlab.table(rows, { columns = {...}, format = "text"|"md"|"csv"|"json" })
  mlab.out(...)  mlab.html(s)  mlab.json.encode/decode  mlab.options(args, spec)
  mlab.sort_keys(t)  mlab.quote(text, n)

docs/analysis.md is the reference.  close() removes the checkouts file
reads made (under tmp).
]]
local sys = require("mlab.sys")
local json = require("json")
local rundir = require("rundir")
local reply_mod = require("reply")

local M = {}

-- A copy of data read from a run; integral numbers (JSON has one number
-- type) come back as integers, so step 3 prints as 3.
local function deep_copy(v, seen)
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return math.tointeger(v)
  end
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[k] = deep_copy(x, seen) end
  return out
end

-- Glob a path (* and ? in any part) into existing paths, sorted.
local function glob_pattern(part)
  return "^" .. part:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$"
end

local function glob(path)
  local abs = path:sub(1, 1) == "/"
  local parts = {}
  for p in path:gmatch("[^/]+") do parts[#parts + 1] = p end
  local current = { abs and "" or "." }
  for i, part in ipairs(parts) do
    local nxt = {}
    for _, base in ipairs(current) do
      local prefix = (base == "" and "/") or (base == "." and not abs and i == 1 and "") or (base .. "/")
      if part:find("[%*%?]") then
        local pat = glob_pattern(part)
        for _, n in ipairs(sys.list_dir(base == "" and "/" or base) or {}) do
          if n:match(pat) and (n:sub(1, 1) ~= "." or part:sub(1, 1) == ".") then
            nxt[#nxt + 1] = prefix .. n
          end
        end
      else
        local p = prefix .. part
        if sys.stat(p) then nxt[#nxt + 1] = p end
      end
    end
    current = nxt
  end
  table.sort(current)
  return current
end

local is_run = rundir.is_run

-- The runs a list of names means, in order, each once.
local function resolve(runs_dir, names)
  local out, seen, errs = {}, {}, {}
  local pwd = sys.getenv("PWD") or "."
  local function add(dir)
    dir = dir:gsub("/+$", "")
    if dir:sub(1, 1) ~= "/" then dir = pwd .. "/" .. dir:gsub("^%./", "") end
    if not seen[dir] then
      seen[dir] = true
      out[#out + 1] = rundir.at(dir)
    end
  end
  local function add_path(p)
    local st = sys.stat(p)
    if not st or st.type ~= "directory" then return false end
    if is_run(p) then add(p); return true end
    local any = false
    for _, n in ipairs(sys.list_dir(p) or {}) do
      if is_run(p .. "/" .. n) then add(p .. "/" .. n); any = true end
    end
    return any
  end
  if #names == 0 then names = { runs_dir } end
  for _, name in ipairs(names) do
    if type(name) ~= "string" then error("mlab.runs: names are strings", 3) end
    if name:find("[%*%?]") then
      local hits = glob(name)
      local any = false
      for _, p in ipairs(hits) do if add_path(p) then any = true end end
      if not any then errs[#errs + 1] = "no runs match " .. name end
    elseif name:find("/") or name == "." or name == ".." then
      if not add_path(name) then errs[#errs + 1] = "no run at " .. name end
    else
      local rd, err = rundir.find(runs_dir, name)
      if rd then add(rd.dir) else errs[#errs + 1] = err end
    end
  end
  return out, errs
end

-- Text tables --------------------------------------------------------------

local function cell(v)
  if v == nil or v == json.null then return "" end
  if type(v) == "number" then
    if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 2 ^ 53) then
      return ("%d"):format(math.tointeger(v) or v)
    end
    return ("%.4g"):format(v)
  end
  if type(v) == "table" then return json.encode(v) end
  return tostring(v)
end

local function columns_of(rows, opts)
  if opts.columns then return opts.columns end
  local set, cols = {}, {}
  for _, r in ipairs(rows) do
    for k in pairs(r) do if not set[k] then set[k] = true; cols[#cols + 1] = k end end
  end
  table.sort(cols, function(a, b) return tostring(a) < tostring(b) end)
  return cols
end

local function csv_field(s)
  if s:find('[,"\n\r]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

function M.format(rows, opts)
  opts = opts or {}
  local fmt = opts.format or "text"
  local cols = columns_of(rows, opts)
  if fmt == "json" then
    local out = {}
    for i, r in ipairs(rows) do
      local o = {}
      for _, c in ipairs(cols) do o[c] = r[c] end
      out[i] = o
    end
    return json.encode(json.array(out), "  ") .. "\n"
  end
  local lines = {}
  local function cells(r)
    local t = {}
    for i, c in ipairs(cols) do t[i] = cell(r[c]):gsub("[\r\n]+", " ") end
    return t
  end
  if fmt == "csv" then
    local head = {}
    for i, c in ipairs(cols) do head[i] = csv_field(tostring(c)) end
    lines[1] = table.concat(head, ",")
    for _, r in ipairs(rows) do
      local t = {}
      for i, c in ipairs(cols) do t[i] = csv_field(cell(r[c])) end
      lines[#lines + 1] = table.concat(t, ",")
    end
    return table.concat(lines, "\n") .. "\n"
  end
  if fmt == "md" then
    local head, rule = {}, {}
    for i, c in ipairs(cols) do head[i] = tostring(c); rule[i] = "---" end
    lines[1] = "| " .. table.concat(head, " | ") .. " |"
    lines[2] = "| " .. table.concat(rule, " | ") .. " |"
    for _, r in ipairs(rows) do
      local t = cells(r)
      for i = 1, #t do t[i] = t[i]:gsub("|", "\\|") end
      lines[#lines + 1] = "| " .. table.concat(t, " | ") .. " |"
    end
    return table.concat(lines, "\n") .. "\n"
  end
  if fmt ~= "text" then error("mlab.table: format is text, md, csv or json", 3) end
  local width, all = {}, {}
  local head = {}
  for i, c in ipairs(cols) do head[i] = tostring(c); width[i] = utf8.len(head[i]) or #head[i] end
  for j, r in ipairs(rows) do
    all[j] = cells(r)
    for i, s in ipairs(all[j]) do width[i] = math.max(width[i], utf8.len(s) or #s) end
  end
  local function line(t)
    local parts = {}
    for i, s in ipairs(t) do
      local pad = width[i] - (utf8.len(s) or #s)
      parts[i] = (i == #t) and s or (s .. string.rep(" ", pad))
    end
    return (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  lines[1] = line(head)
  for _, t in ipairs(all) do lines[#lines + 1] = line(t) end
  return table.concat(lines, "\n") .. "\n"
end

function M.html(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&#39;" }))
end

-- A short quote: whitespace folded, cut at n bytes (on a UTF-8 boundary).
function M.quote(text, n)
  n = n or 160
  local s = tostring(text or ""):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #s <= n then return s end
  local cut = n - 3
  while cut > 0 and (s:byte(cut + 1) or 0) >= 0x80 and (s:byte(cut + 1) or 0) < 0xc0 do cut = cut - 1 end
  return s:sub(1, cut) .. "..."
end

-- The model that ran a run: run.json's model, or the MODEL of an llm spec
-- (provider:MODEL[@URL]), or "none".
function M.model_of(m)
  if type(m.model) == "string" then return m.model end
  local spec = type(m.llm) == "string" and m.llm or "none"
  local provider, rest = spec:match("^(%w+):(.*)$")
  if not provider then return spec end
  if provider == "replay" then return "replay" end
  return (rest:gsub("@https?://.*$", ""))
end

-- The model reply that led to each step: of the calls made after step
-- n-1 (llm.jsonl "step" = n-1), an imported agent call, or the last whose
-- reply names the step's action (a ReAct "Action:" line or a tool call).
-- Returns { [n] = call line }.
function M.step_replies(steps, calls)
  local by_step = {}
  for _, c in ipairs(calls) do
    local n = math.tointeger(c.step)
    if n and type(c.reply) == "string" then
      by_step[n + 1] = by_step[n + 1] or {}
      table.insert(by_step[n + 1], c)
    end
  end
  local out = {}
  for _, st in ipairs(steps) do
    local n = math.tointeger(st.step)
    local best
    for _, c in ipairs(by_step[n] or {}) do
      if c.purpose == "agent" then
        if not c.error then best = c end
      else
        local names = false
        for _, tc in ipairs(type(c.tool_calls) == "table" and c.tool_calls or {}) do
          if type(tc) == "table" and tc.name == st.action then names = true end
        end
        local a = c.reply:match("\n[%*#%s]*Action[%*%s]*:[%*%s]*([^\n]-)%s*\n")
          or c.reply:match("^[%*#%s]*Action[%*%s]*:[%*%s]*([^\n]-)%s*\n")
        if names or (a and a:gsub("[%*`]", "") == st.action) then best = c end
      end
    end
    out[n] = best
  end
  return out
end

-- A run as a script sees it -------------------------------------------------

local function run_object(rd, tmp)
  local cache = {}
  local function manifest()
    if cache.m == nil then cache.m = rd:manifest() or false end
    return cache.m or nil
  end
  local function steps()
    if not cache.steps then cache.steps, cache.ended = rd:steps() end
    return cache.steps, cache.ended
  end
  local function calls()
    if not cache.calls then cache.calls = rd:calls() end
    return cache.calls
  end
  local function reply_for(n)
    if not cache.replies then cache.replies = M.step_replies(steps(), calls()) end
    return cache.replies[n]
  end
  local methods = {}
  function methods.manifest() return deep_copy(manifest()) end
  function methods.steps()
    local s = steps()
    return deep_copy(s)
  end
  function methods.step(_, n)
    local s = steps()[math.tointeger(n) or -1]
    return deep_copy(s)
  end
  function methods.ended()
    local _, e = steps()
    return deep_copy(e)
  end
  function methods.calls() return deep_copy(calls()) end
  function methods.scores() return deep_copy(rd:scores()) end
  function methods.reply(_, n) return deep_copy(reply_for(math.tointeger(n) or -1)) end
  function methods.fields(_, n)
    local c = reply_for(math.tointeger(n) or -1)
    if not c then return nil end
    local out = {}
    for _, s in ipairs(reply_mod.sections(c.reply)) do
      if out[s.field] == nil then out[s.field] = s.text end
    end
    return out
  end
  function methods.model() return M.model_of(manifest() or {}) end
  -- The task as far as mlab knows it: name, problem, metric, threshold,
  -- noise (from the task's folder when it is there, else run.json).
  function methods.task()
    if cache.task == nil then
      local m = manifest() or {}
      local t = { name = m.task, metric = deep_copy(m.metric), threshold = m.threshold,
                  problem = m.problem, noise = nil }
      if type(m.task_dir) == "string" and sys.stat(m.task_dir .. "/task.lua") then
        local ok, task = pcall(require("task").load, m.task_dir)
        if ok and task then
          t.noise, t.problem = task.noise, t.problem or task.problem_text
          t.starter = task.starter
        end
      end
      cache.task = t
    end
    return deep_copy(cache.task)
  end
  -- Runs branched from this one in the same runs folder: { {id, step} }.
  function methods.branches()
    local out = {}
    local parent_dir = rd.dir:match("^(.*)/[^/]+$") or "."
    for _, b in ipairs(rundir.branches(parent_dir, rd.id)) do
      out[#out + 1] = { id = b.id, step = math.tointeger(b.fork_step) or b.fork_step, dir = b.dir }
    end
    return out
  end
  function methods.page(_, n)
    local p = rd.dir .. "/run.html"
    if n then p = p .. "#step-" .. math.tointeger(n) end
    return p
  end
  function methods.files(_, n) return rd:files_at(math.tointeger(n) or error("r:files(n)", 2)) end
  function methods.file(_, n, path) return rd:read_at(math.tointeger(n) or error("r:file(n, path)", 2), path, tmp) end
  function methods.diff(_, a, b, path)
    return rd:diff(a and math.tointeger(a), math.tointeger(b) or error("r:diff(a, b)", 2), path)
  end
  function methods.changed(_, n) return rd:changed(math.tointeger(n) or error("r:changed(n)", 2)) end
  local obj = { id = rd.id, dir = rd.dir }
  return setmetatable(obj, { __index = methods, __metatable = "run" })
end

-- opts: runs_dir, tmp (a folder for checkouts), write(text) for mlab.out.
-- Returns the api table and a close function.
function M.new(opts)
  local handles = {}
  local api = {}
  function api.runs(names, o)
    if names ~= nil and type(names) ~= "table" then names = { names } end
    local list = {}
    for i, v in ipairs(names or {}) do list[i] = v end
    local rds, errs = resolve(opts.runs_dir, list)
    if #errs > 0 and not (o and o.lenient) then
      error("mlab.runs: " .. table.concat(errs, "; "), 2)
    end
    local out = {}
    for i, rd in ipairs(rds) do
      handles[#handles + 1] = rd
      out[i] = run_object(rd, opts.tmp)
    end
    return out, errs
  end
  api.table = function(rows, o) return M.format(rows, o) end
  api.html = M.html
  api.quote = M.quote
  api.json = { encode = json.encode, decode = json.decode, null = json.null, array = json.array }
  api.out = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    opts.write(table.concat(parts, "", 1, parts.n))
  end
  api.options = function(args, spec)
    return require("cmdline").parse(args, spec)
  end
  api.sort_keys = function(t)
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) then return a < b end
      return type(a) < type(b)
    end)
    return keys
  end
  local function close()
    for _, rd in ipairs(handles) do rd:close() end
    handles = {}
  end
  return setmetatable({}, { __index = api, __newindex = function()
    error("mlab is read-only", 2) end, __metatable = "mlab" }), close
end

return M
