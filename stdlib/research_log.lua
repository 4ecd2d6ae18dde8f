-- research_log.lua - the research agent's long memory: a text file of
-- step summaries it appends to, retrieves from, and compacts when long.
--
-- Pure functions over the log's text; where the text lives (the reference
-- keeps research_log.log in the workspace) and which model answers are
-- the caller's.  ask(prompt) -> text | nil, err is a model call.
--
--   research_log.entry(step, text) -> "\n\nStep N:\n<text>\n"
--   research_log.entries(log) -> list of {step = n|nil, text = ...}
--   research_log.relevant(log, query, max_chars) -> text
--       the entries sharing most words with query, in log order, within
--       max_chars (no model: a cheap retrieval and the fallback)
--   research_log.retrieval_prompt(problem, plan, log) -> prompt
--   research_log.summary_prompt(reply, action, observation) -> prompt
--       (what the research agent asks to turn one step into an entry)
--   research_log.compact(log, max_chars [, ask]) -> log, compacted?
--       when log is longer than max_chars: the older entries become one
--       summary entry (by ask; without it they are cut to their first
--       lines), the newest stay whole
local M = {}

function M.entry(step, text)
  return ("\n\nStep %d:\n%s\n"):format(step, (text:gsub("%s+$", "")))
end

function M.entries(log)
  local out = {}
  local cur
  for line in (log .. "\n"):gmatch("(.-)\n") do
    local n = line:match("^Step (%d+):%s*$")
    if n or line:match("^Summary of steps [%d%-]+:%s*$") then
      cur = { step = tonumber(n), head = line, lines = {} }
      out[#out + 1] = cur
    elseif cur then
      cur.lines[#cur.lines + 1] = line
    elseif line:find("%S") then
      cur = { head = nil, lines = { line } }
      out[#out + 1] = cur
    end
  end
  for _, e in ipairs(out) do
    e.text = table.concat(e.lines, "\n"):gsub("^%s+", ""):gsub("%s+$", "")
    e.lines = nil
  end
  return out
end

local STOP = {}
for w in ([[the a an and or of to in on for is are was were be been it this that
with as by at from i we you my our your not no do does did have has had will
would should could can may might then than so if but into its also use used]]):gmatch("%a+") do
  STOP[w] = true
end

local function word_set(text)
  local set = {}
  for w in text:lower():gmatch("[%w_]+") do
    if #w > 1 and not STOP[w] then set[w] = true end
  end
  return set
end

local function render(e)
  return (e.head and (e.head .. "\n") or "") .. e.text
end

function M.relevant(log, query, max_chars)
  local entries = M.entries(log)
  local q = word_set(query or "")
  for i, e in ipairs(entries) do
    local score = 0
    for w in pairs(word_set(e.text)) do if q[w] then score = score + 1 end end
    e.score, e.index = score, i
  end
  local ranked = table.move(entries, 1, #entries, 1, {})
  -- Best first; among equals, newer first (recent work matters more).
  table.sort(ranked, function(a, b)
    if a.score ~= b.score then return a.score > b.score end
    return a.index > b.index
  end)
  local chosen, used = {}, 0
  for _, e in ipairs(ranked) do
    local t = render(e)
    if used + #t + 2 <= max_chars then
      chosen[#chosen + 1] = e
      used = used + #t + 2
    end
  end
  table.sort(chosen, function(a, b) return a.index < b.index end)
  local out = {}
  for i, e in ipairs(chosen) do out[i] = render(e) end
  return table.concat(out, "\n\n")
end

function M.retrieval_prompt(problem, plan, log)
  return ("We are trying to solve this research problem:\n%s\n\n"
    .. "The current research plan and status:\n%s\n\n"
    .. "The research log of the steps so far:\n```\n%s\n```\n\n"
    .. "Summarise what in the log matters for the current plan: the results "
    .. "measured (with their numbers), what was tried and did not work, the files "
    .. "and their state, and the open questions.  Be concise and only state what "
    .. "the log says."):format(problem, plan, log)
end

function M.summary_prompt(reply, action, observation)
  return ("Given your action and the observation:\n%s\n[Action]: %s\n[Observation]:\n```\n%s\n```\n\n"
    .. "Summarise this step in a few lines for the research log, in this format:\n"
    .. "[Reasoning]: why the action was taken\n[Action]: what was done, with its inputs\n"
    .. "[Observation]: what came back, with every number and error message "
    .. "that matters\n"):format(reply, action, observation)
end

local KEEP_NEWEST = 3

function M.compact(log, max_chars, ask)
  if #log <= max_chars then return log, false end
  local entries = M.entries(log)
  if #entries <= KEEP_NEWEST then return log, false end
  local old = table.move(entries, 1, #entries - KEEP_NEWEST, 1, {})
  local parts = {}
  for i, e in ipairs(old) do parts[i] = render(e) end
  local old_text = table.concat(parts, "\n\n")
  local first = old[1].step or 0
  local last = old[#old].step or first
  local summary
  if ask then
    summary = ask("Summarise these research log entries in at most "
      .. (max_chars // 3) .. " characters, keeping every result with its "
      .. "numbers, what failed and why, and the state of the files:\n```\n"
      .. old_text .. "\n```")
  end
  if not summary then
    -- No model (or it failed): the first line of each entry.
    local lines = {}
    for i, e in ipairs(old) do
      lines[i] = (e.step and ("step " .. e.step .. ": ") or "") .. (e.text:match("^[^\n]*") or "")
    end
    summary = table.concat(lines, "\n")
  end
  local out = { ("Summary of steps %d-%d:\n%s"):format(first, last, summary) }
  for i = #entries - KEEP_NEWEST + 1, #entries do out[#out + 1] = render(entries[i]) end
  return table.concat(out, "\n\n") .. "\n", true
end

return M
