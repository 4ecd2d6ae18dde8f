--[[ sweep_progress.lua - what a sweep tells its user while it runs and at
the end: one live line on a terminal (plain lines otherwise), a line per
run that ends, and a table of outcomes with the success rate per task,
agent and model.

  local progress = require("sweep_progress")
  local pr = progress.new{ sw = sw, jobs = n, tty = bool, out = io.stderr }
  pr:known(cell, class, manifest)      -- a run's outcome before this command
  pr:started(cell, action)             -- a run (re)starts now
  pr:ended(cell, class, manifest, seconds)
  pr:tick(running)                     -- redraw: running = { {cell=, t0=}... }
  pr:line()                            -- the progress text itself
  pr:close()                           -- end the live line
  progress.table(sw, cells)            -- outcomes as text

Counts are over the cells of this command's matrix: done (an outcome:
final answer, budget, agent error, infra), of which failed (agent error,
infra), running, left (not started or killed and waiting for a resume).
The time left is estimated from the runs that ended in this command:
the work left divided by the jobs.  Tokens are those of ended runs plus
the steps recorded so far by running ones.
]]
local sys = require("mlab.sys")
local term = require("term")

local M = {}

local P = {}
P.__index = P

local FAILED = { error = true, infra = true }
local DONE = { answer = true, budget = true, error = true, infra = true }

function M.new(o)
  local pr = setmetatable({
    sw = o.sw, jobs = o.jobs or 1, tty = o.tty, out = o.out or io.stderr,
    t0 = sys.mono(), class = {}, tokens = {}, durations = {}, cursors = {},
    live = false, last_plain = sys.mono(), plain_every = o.plain_every or 30,
  }, P)
  pr.total = #o.sw.cells
  return pr
end

local function human_time(s)
  if not s then return "?" end
  if s < 10 then return ("%.1fs"):format(s) end
  s = math.floor(s + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  return ("%dh%02dm"):format(s // 3600, s % 3600 // 60)
end

local function human_count(n)
  if n >= 1e6 then return ("%.1fM"):format(n / 1e6) end
  if n >= 1e4 then return ("%.1fk"):format(n / 1e3) end
  return tostring(math.tointeger(n) or n)
end

function P:known(cell, class, m)
  self.class[cell.id] = class
  self.tokens[cell.id] = m and tonumber(m.tokens) or 0
end

function P:started(cell)
  self.class[cell.id] = "running"
  self.cursors[cell.id] = nil
end

function P:write(s)
  if self.live then self.out:write("\r\27[K") end
  self.out:write(s)
  self.live = false
end

local function result_text(class, m)
  if not m then return "(no run directory)" end
  local parts = { m.status or class }
  if type(m.score) == "number" then parts[#parts + 1] = ("score %.4g"):format(m.score) end
  if m.success then parts[#parts + 1] = "success" end
  parts[#parts + 1] = ("%s steps"):format(tostring(math.tointeger(m.steps) or m.steps or "?"))
  if (tonumber(m.tokens) or 0) > 0 then parts[#parts + 1] = human_count(m.tokens) .. " tokens" end
  if m.message and class ~= "answer" then
    parts[#parts + 1] = "(" .. term.visible(tostring(m.message):gsub("%s+", " ")):sub(1, 100) .. ")"
  end
  return table.concat(parts, "  ")
end

-- A run ended: its line, then the live line again.
function P:ended(cell, class, m, seconds, note)
  self.class[cell.id] = class
  self.tokens[cell.id] = m and tonumber(m.tokens) or self.tokens[cell.id] or 0
  self.cursors[cell.id] = nil
  if seconds and DONE[class] then self.durations[#self.durations + 1] = seconds end
  local c = self:counts()
  self:write(("[%d/%d] %-7s %s  %s%s%s\n"):format(c.done, self.total, class, cell.id,
    result_text(class, m), seconds and ("  " .. human_time(seconds)) or "",
    note and ("  " .. note) or ""))
end

function P:counts()
  local c = { done = 0, failed = 0, running = 0, left = 0 }
  for _, cell in ipairs(self.sw.cells) do
    local k = self.class[cell.id]
    if DONE[k] then
      c.done = c.done + 1
      if FAILED[k] then c.failed = c.failed + 1 end
    elseif k == "running" or k == "busy" then
      c.running = c.running + 1
    else
      c.left = c.left + 1
    end
  end
  return c
end

-- Tokens a running run has recorded so far (its trace, read from where
-- the last look stopped).
function P:running_tokens(cell)
  local cur = self.cursors[cell.id]
  cur = self.sw:run_dir(cell):tally(cur)
  self.cursors[cell.id] = cur
  return cur.tokens
end

function P:line(running)
  local c = self:counts()
  local now = sys.mono()
  local tokens = 0
  for _, cell in ipairs(self.sw.cells) do
    if self.class[cell.id] ~= "running" then tokens = tokens + (self.tokens[cell.id] or 0) end
  end
  for _, r in ipairs(running or {}) do tokens = tokens + self:running_tokens(r.cell) end
  local eta
  if #self.durations > 0 then
    local sum = 0
    for _, d in ipairs(self.durations) do sum = sum + d end
    local avg = sum / #self.durations
    local work = c.left * avg
    for _, r in ipairs(running or {}) do work = work + math.max(avg - (now - r.t0), 0) end
    eta = work / math.max(1, math.min(self.jobs, c.left + c.running))
    -- Runs already past the mean: no honest estimate, rather than 0.
    if eta < 0.5 and c.running > 0 then eta = nil end
  elseif c.left + c.running == 0 then
    eta = 0
  end
  return ("done %d/%d  failed %d  running %d  left %d  elapsed %s  time left %s  tokens %s"):format(
    c.done, self.total, c.failed, c.running, c.left, human_time(now - self.t0),
    eta and ("~" .. human_time(eta)) or "?", human_count(tokens))
end

-- On a terminal the live line is redrawn in place; otherwise a plain line
-- every plain_every seconds.
function P:tick(running)
  if self.tty then
    self.out:write("\r\27[K", self:line(running))
    self.live = true
  elseif sys.mono() - self.last_plain >= self.plain_every then
    self.out:write(self:line(running), "\n")
    self.last_plain = sys.mono()
  end
  self.out:flush()
end

function P:close(running)
  self:write(self:line(running) .. "\n")
  self.out:flush()
end

-- The outcomes of cells (their run.json as it is now), per task, agent
-- and model: runs, each outcome class, successes, the mean score.  seen:
-- classes this command saw for runs that left no run directory (a run
-- that could not start is "infra").
function M.table(sw, cells, seen)
  local groups, order = {}, {}
  local many_llms = #sw.matrix.llms > 1
  local total = { runs = 0, answer = 0, budget = 0, error = 0, infra = 0, killed = 0,
                  left = 0, success = 0, scored = 0, score_sum = 0 }
  for _, cell in ipairs(cells) do
    local key = cell.task .. "\0" .. cell.agent .. "\0" .. (many_llms and cell.llm or "")
    local g = groups[key]
    if not g then
      g = { task = cell.task, agent = cell.agent, llm = cell.llm, runs = 0, answer = 0,
            budget = 0, error = 0, infra = 0, killed = 0, left = 0, success = 0,
            scored = 0, score_sum = 0 }
      groups[key] = g
      order[#order + 1] = key
    end
    local class, m = sw:state(cell)
    if (class == "missing" or class == "broken") and seen and seen[cell.id] == "infra" then
      class = "infra"
    end
    for _, t in ipairs({ g, total }) do
      t.runs = t.runs + 1
      if t[class] then t[class] = t[class] + 1 else t.left = t.left + 1 end
      if m and m.success then t.success = t.success + 1 end
      if m and DONE[class] and type(m.score) == "number" then
        t.scored = t.scored + 1
        t.score_sum = t.score_sum + m.score
      end
    end
  end
  local head = ("%-18s %-16s%s %5s %6s %6s %5s %5s %6s %5s  %-15s %s"):format("task", "agent",
    many_llms and (" %-24s"):format("model") or "", "runs", "answer", "budget", "error",
    "infra", "killed", "left", "success", "mean score")
  local lines = { head }
  local function row(g, task, agent, model)
    local ended = g.answer + g.budget + g.error + g.infra
    local rate = ended > 0 and ("%d/%d (%.0f%%)"):format(g.success, ended, 100 * g.success / ended)
      or "-"
    lines[#lines + 1] = ("%-18s %-16s%s %5d %6d %6d %5d %5d %6d %5d  %-15s %s"):format(
      task:sub(1, 18), agent:sub(1, 16), many_llms and (" %-24s"):format(model:sub(1, 24)) or "",
      g.runs, g.answer, g.budget, g.error, g.infra, g.killed, g.left, rate,
      g.scored > 0 and ("%.4g"):format(g.score_sum / g.scored) or "-")
  end
  for _, key in ipairs(order) do
    local g = groups[key]
    row(g, g.task, g.agent, g.llm)
  end
  if #order > 1 then row(total, "all", "", "") end
  return table.concat(lines, "\n") .. "\n"
end


return M
