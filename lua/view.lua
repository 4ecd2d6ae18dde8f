--[[ view.lua - runs as text for a terminal (and the few words every reader
of runs shares: a step's failure, an agent's short name, a percentage).

  view.summary(m [, steps])    -- the run's manifest in six lines
  view.step_line(rec [, score]) -- one trace line (a step or the end event),
                               -- a failed step marked "!" with its reason;
                               -- score: a column before the observation
  view.score(v)                -- a score, or "-"
  view.pct(x)                  -- an improvement: "+56.7%", or "-"
  view.seconds(s)              -- "12.3s", "4m05s", "1h02m"
  view.one_line(s, n)          -- whitespace folded, control bytes visible, cut
  view.failure(rec)            -- why a step failed ("exit 1", "timeout",
                               -- "signal 9", "refused: not_found", ...) | nil
  view.last_line(text)         -- the last meaningful line of a script's
                               -- output (a traceback's exception, not its
                               -- first frame; footers and markers skipped)
  view.agent_name(m)           -- the agent's short name ("tuner", not a path)
  view.model_name(m)           -- the model spec without its endpoint URL
  view.table(cols, rows)       -- aligned text; cols = { {name, align}, ... }
                               -- ("r" right-aligns), rows = lists of strings
  view.csv(cols, rows) / view.md(cols, rows)
]]
local rundir = require("rundir")
local term = require("term")

local M = {}

function M.score(v)
  if type(v) ~= "number" then return "-" end
  return ("%.4g"):format(v)
end

function M.pct(x)
  if type(x) ~= "number" then return "-" end
  return ("%+.1f%%"):format(x * 100)
end

function M.seconds(s)
  if type(s) ~= "number" then return "-" end
  if s < 60 then return ("%.1fs"):format(s) end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, math.floor(s % 60)) end
  return ("%dh%02dm"):format(s // 3600, math.floor(s % 3600 / 60))
end

function M.one_line(s, n)
  s = term.visible(tostring(s or ""):gsub("%s+", " "))
  if #s > n then s = s:sub(1, n - 3) .. "..." end
  return s
end
local one_line = M.one_line

function M.agent_name(m)
  local a = m.agent or m.agent_path or "?"
  return a:match("([^/]+)%.lua$") or a:match("([^/]+)/*$") or a
end

function M.model_name(m)
  local s = m.llm or "none"
  return (s:gsub("@.*$", ""))
end

function M.failure(s)
  if s.event then return nil end
  local r = s.result
  if type(r) == "table" then
    if r.cancelled then return "cancelled" end
    if r.timed_out then return r.deadline and "deadline" or "timeout" end
    if (r.signal or 0) ~= 0 then return "signal " .. math.tointeger(r.signal) end
    if (r.status or 0) ~= 0 then return "exit " .. math.tointeger(r.status) end
  end
  if s.error then
    if s.code and s.code ~= "failed" then return "refused: " .. s.code end
    return "failed"
  end
  return nil
end

-- Lines a reader never wants as "the" line: footers mlab adds, output
-- markers, bare prompts.
local function noise(line)
  return line:match("^%s*$") or line:match("^%[killed") or line:match("^%[exit status")
    or line:match("^%[%.%.%. .* truncated") or line:match("^%[%.%.%.") or line:match("^%s*%^+%s*$")
    or line:match("^%s*~+%s*$")
end

function M.last_line(text)
  text = tostring(text or "")
  local lines = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  -- A Python traceback: its exception line is the first unindented line
  -- after the last "Traceback (most recent call last):".
  for i = #lines, 1, -1 do
    if lines[i]:match("^Traceback %(most recent call last%):") then
      for j = i + 1, #lines do
        local l = lines[j]
        if not l:match("^%s") and not noise(l) then return l end
      end
    end
  end
  for i = #lines, 1, -1 do
    if not noise(lines[i]) then return lines[i] end
  end
  -- Nothing but footers: the last of them says what happened.
  for i = #lines, 1, -1 do
    if lines[i]:match("%S") then return lines[i] end
  end
  return ""
end

local function input_summary(input)
  if type(input) ~= "table" then return "" end
  local parts = {}
  for _, k in ipairs({ "file_name", "script_name", "dir_path", "source", "destination" }) do
    if input[k] then parts[#parts + 1] = tostring(input[k]) end
  end
  if input.start_line_number then
    local a, b = input.start_line_number, input.end_line_number
    parts[#parts + 1] = ("%s-%s"):format(tostring(math.tointeger(a) or a),
      tostring(math.tointeger(b) or b or "end"))
  end
  if input.final_answer then parts[#parts + 1] = one_line(input.final_answer, 40) end
  return table.concat(parts, " ")
end
M.input_summary = input_summary

-- The last meaningful lines of a script's output that fit in n bytes on
-- one line: a script says its result at the end, after any warnings.
local function tail(text, n)
  local lines = {}
  for line in (tostring(text or "") .. "\n"):gmatch("([^\n]*)\n") do
    if not noise(line) then lines[#lines + 1] = line end
  end
  local out = ""
  for i = #lines, 1, -1 do
    local l = lines[i]:gsub("%s+", " "):gsub("^ ", "")
    local joined = out == "" and l or (l .. " " .. out)
    if out ~= "" and #joined > n then break end
    out = joined
  end
  return one_line(out, n)
end

-- What a step line says after its commit: the observation's first words
-- (a script's last ones), or for a failed step the reason and its
-- meaningful line.
local function outcome(s)
  local why = M.failure(s)
  if not why then
    if type(s.result) == "table" then return tail(s.observation, 60) end
    return one_line(s.observation, 60)
  end
  local line = s.error and not s.result and s.error or M.last_line(s.observation)
  return one_line(why .. ": " .. line, 60)
end

function M.step_line(s, score)
  if s.event == "end" then
    -- The end reason whole: an agent's traceback is its message.
    local msg = s.message and term.visible(tostring(s.message)) or ""
    if msg:find("\n") then return ("  --  run ended: %s:\n      %s\n"):format(s.status, msg:gsub("\n", "\n      ")) end
    return ("  --  run ended: %s%s\n"):format(s.status, msg ~= "" and (": " .. msg) or "")
  end
  return ("%4d  %s %-20s %-28s %6.2fs  %s  %s%s\n"):format(
    math.tointeger(s.step) or 0, M.failure(s) and "!" or " ", one_line(s.action, 20),
    one_line(input_summary(s.input), 28), s.duration_s or 0, (s.commit or ""):sub(1, 7),
    score and ("%8s  "):format(score) or "", outcome(s))
end

local function count(v) return math.tointeger(v) or v or "?" end

function M.summary(m, steps)
  local lines = {
    ("run      %s"):format(m.id),
    ("task     %s (%s, %s %s)"):format(m.task, m.category or "?", m.metric and m.metric.name or "?",
      m.metric and m.metric.goal or "?"),
    ("agent    %s   llm %s"):format(M.agent_name(m), m.llm or "none"),
    ("status   %s%s"):format(rundir.at(""):status(m), m.message and ("  (" .. one_line(m.message, 200) .. ")") or ""),
    ("steps    %s   tokens %s   time %.1f s"):format(count(steps or m.steps), count(m.tokens or 0), m.time_s or 0),
  }
  local score = ("score    %s   baseline %s"):format(M.score(m.score), M.score(m.baseline))
  if m.improvement then
    score = score .. ("   improvement %+.1f%%   %s"):format(m.improvement * 100,
      m.success and "SUCCESS (above " .. (m.threshold or 0.1) * 100 .. "%)" or "not a success")
  end
  if m.evaluation_error then score = score .. "   evaluation failed: " .. one_line(m.evaluation_error, 200) end
  lines[#lines + 1] = score
  return table.concat(lines, "\n") .. "\n"
end

-- Display width of a UTF-8 string (code points; good enough for tables).
local function width(s)
  return utf8.len(s) or #s
end

function M.table(cols, rows)
  local w = {}
  for i, c in ipairs(cols) do w[i] = width(c[1]) end
  for _, r in ipairs(rows) do
    for i = 1, #cols do w[i] = math.max(w[i], width(tostring(r[i] or ""))) end
  end
  local out = {}
  local function line(cells)
    local parts = {}
    for i, c in ipairs(cols) do
      local s = tostring(cells[i] or "")
      local pad = (" "):rep(w[i] - width(s))
      if i == #cols and c[2] ~= "r" then parts[i] = s
      elseif c[2] == "r" then parts[i] = pad .. s
      else parts[i] = s .. pad end
    end
    out[#out + 1] = table.concat(parts, "  ") .. "\n"
  end
  local head = {}
  for i, c in ipairs(cols) do head[i] = c[1] end
  line(head)
  for _, r in ipairs(rows) do line(r) end
  return table.concat(out)
end

local function csv_cell(s)
  s = tostring(s == nil and "" or s)
  if s:find('[",\n\r]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

function M.csv(cols, rows)
  local out, head = {}, {}
  for i, c in ipairs(cols) do head[i] = csv_cell(c[1]) end
  out[1] = table.concat(head, ",") .. "\n"
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 1, #cols do cells[i] = csv_cell(r[i]) end
    out[#out + 1] = table.concat(cells, ",") .. "\n"
  end
  return table.concat(out)
end

function M.md(cols, rows)
  local function cell(s) return (tostring(s == nil and "" or s):gsub("|", "\\|"):gsub("\n", " ")) end
  local head, rule = {}, {}
  for i, c in ipairs(cols) do
    head[i] = cell(c[1])
    rule[i] = c[2] == "r" and "---:" or "---"
  end
  local out = { "| " .. table.concat(head, " | ") .. " |\n", "| " .. table.concat(rule, " | ") .. " |\n" }
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 1, #cols do cells[i] = cell(r[i]) end
    out[#out + 1] = "| " .. table.concat(cells, " | ") .. " |\n"
  end
  return table.concat(out)
end

return M
