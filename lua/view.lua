--[[ view.lua - runs as text for a terminal.

  view.summary(m [, steps])    -- the run's manifest in six lines
  view.step_line(rec)          -- one trace line (a step or the end event)
  view.score(v)                -- a score, or "-"
  view.one_line(s, n)          -- whitespace folded, control bytes visible, cut
]]
local rundir = require("rundir")
local term = require("term")

local M = {}

function M.score(v)
  if type(v) ~= "number" then return "-" end
  return ("%.4g"):format(v)
end

function M.one_line(s, n)
  s = term.visible(tostring(s or ""):gsub("%s+", " "))
  if #s > n then s = s:sub(1, n - 3) .. "..." end
  return s
end
local one_line = M.one_line

local function input_summary(input)
  if type(input) ~= "table" then return "" end
  local parts = {}
  for _, k in ipairs({ "file_name", "script_name", "dir_path", "source", "destination" }) do
    if input[k] then parts[#parts + 1] = tostring(input[k]) end
  end
  if input.start_line_number then
    parts[#parts + 1] = ("%d-%s"):format(input.start_line_number, tostring(input.end_line_number or "end"))
  end
  if input.final_answer then parts[#parts + 1] = one_line(input.final_answer, 40) end
  return table.concat(parts, " ")
end

function M.step_line(s)
  if s.event == "end" then
    return ("  --  run ended: %s%s\n"):format(s.status, s.message and (": " .. one_line(s.message, 90)) or "")
  end
  local obs = s.error and ("error: " .. s.error) or s.observation
  return ("%4d  %-20s %-28s %6.2fs  %s  %s\n"):format(
    math.tointeger(s.step) or 0, one_line(s.action, 20), one_line(input_summary(s.input), 28),
    s.duration_s or 0, (s.commit or ""):sub(1, 7), one_line(obs, 60))
end

local function count(v) return math.tointeger(v) or v or "?" end

function M.summary(m, steps)
  local lines = {
    ("run      %s"):format(m.id),
    ("task     %s (%s, %s %s)"):format(m.task, m.category or "?", m.metric and m.metric.name or "?",
      m.metric and m.metric.goal or "?"),
    ("agent    %s   llm %s"):format(m.agent, m.llm or "none"),
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

return M
