--[[ step.lua - one step of a run, in one place; and how a run ends.

  local steps = require("step").new{ rd = rundir, snap = history,
                                     replay = recorded_steps_or_nil,
                                     on_step = function(rec) end }
  local r = steps:take(action, input, fn, { revive =, agent_code =, paths = })
  -- fn() -> value, observation [, result]  |  nil, message, code
  -- r = { value, observation, error, code, step }
  -- paths: what fn may change in the workspace (nil: anything, walk it)
  steps:halt(kind, message)        -- the run ends (agent code raises next)
  steps:stop(kind, message)        -- halt, and raise now
  steps:finish_answer()            -- after an accepted Final Answer
  local status, message, kind = steps:outcome(call_status, call_message)

A step is: check the input can be recorded, take the step from the budget,
run the primitive (fn), then record it (ctl.step: held inside
ctl.critical from the moment fn returns, so a deadline cannot cut it):
the workspace committed to history.git as step-N (only `paths` looked at
when the action names what it changed), the trace line appended, then ONE
flush of the run's filesystem (snap:sync) makes both durable before the
step returns.  A kill -9 loses nothing written; a power loss at most the
step in flight, which resume drops (snap:repair, snap:has).  A resumed run
answers its first steps from the recorded trace instead (revive(rec)
rebuilds fn's value from the record), checking the agent asks for the same
action and input.  When a step cannot be recorded, or a resumed agent
diverges, the run stops: agent code cannot catch that (ctl.stop).

Inputs reach take() as the host's own copies (plain.copy at the door);
strings in them over INPUT_CAP are kept in the trace as head and tail
with a marker (the full text is in the workspace and its history).
]]
local sys = require("mlab.sys")
local budget = require("mlab.budget")
local ctl = require("mlab.run")
local json = require("json")

local M = {}

M.INPUT_CAP = 256 * 1024 -- bytes of one input string kept in the trace
M.BODY_CAP = 16 * 1024   -- bytes of the input kept in the commit message

-- How each stop kind ends a run (budget.h names the kinds).
M.STATUS = {
  steps = "budget_exhausted", time = "budget_exhausted",
  tokens = "budget_exhausted", memory = "budget_exhausted",
  killed = "killed", diverged = "agent_error", host = "host_error",
}

local Step = {}
Step.__index = Step

function M.new(opts)
  return setmetatable({
    rd = opts.rd, snap = opts.snap, on_step = opts.on_step,
    replay = opts.replay and #opts.replay > 0 and opts.replay or nil,
    count = opts.count or 0, over = false,
  }, Step)
end

local function cap(s, n)
  if #s <= n then return s end
  local half = n // 2
  return s:sub(1, half) .. ("\n[... %d bytes not recorded here: the full text is in "
    .. "the workspace and history.git ...]\n"):format(#s - 2 * half) .. s:sub(-half)
end

local function capped(v, n)
  if type(v) == "string" then return cap(v, n) end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = capped(x, n) end
  return setmetatable(out, getmetatable(v))
end

-- The run ends, with kind (see M.STATUS) and a message for run.json:
-- agent code raises at its next instruction.  The first reason wins.
function Step:halt(kind, message)
  self.stopped = self.stopped or { kind = kind, message = message }
  ctl.stop(kind)
end

-- halt, and raise now.
function Step:stop(kind, message)
  self:halt(kind, message)
  error({ code = "budget", kind = kind, msg = message }, 0)
end

function Step:finish_answer() self.over = true end

local function same(a, b) return json.encode(a) == json.encode(b) end

-- A resumed run's next step, answered from the trace.
function Step:answer(n, action, input, revive)
  local rec = table.remove(self.replay, 1)
  if #self.replay == 0 then self.replay = nil end
  if rec.action ~= action or not same(rec.input, input) then
    self:stop("diverged", ("resume: the agent diverged at step %d: it asked for %s %s, "
      .. "the recorded step was %s %s"):format(n, action, json.encode(input),
      rec.action, json.encode(rec.input)))
  end
  self.count = n
  local r = { step = n, observation = rec.observation, error = rec.error, code = rec.code }
  if rec.error == nil then
    if revive then r.value = revive(rec) else r.value = true end
  end
  return r
end

-- Commit, trace line, one flush; runs inside ctl.critical.
local function record(self, rec, body, paths)
  local commit, cerr = self.snap:commit("step-" .. rec.step,
    ("step %d: %s\n\n%s\n"):format(rec.step, rec.action, cap(body, M.BODY_CAP)),
    { paths = paths, sync = false })
  if not commit then
    self:stop("host", ("step %d (%s) could not be committed to history: %s"):format(
      rec.step, rec.action, tostring(cerr)))
  end
  rec.commit = commit
  rec.tokens = budget.tokens_since_mark()
  local ok, terr = self.rd:append_step(rec)
  if ok then ok, terr = self.snap:sync(self.rd.dir) end
  if not ok then
    self:stop("host", ("step %d (%s) could not be written to the trace: %s"):format(
      rec.step, rec.action, tostring(terr)))
  end
  self.count = rec.step
  if self.on_step then self.on_step(rec) end
end

-- After fn: the step's record, inside ctl.critical (ctl.step).
local function after(self, n, action, input, body, paths, started, t0, okf, v, obs, extra)
  local raised
  if not okf then -- a primitive that raised still leaves its step
    raised = v
    v, obs, extra = nil, type(raised) == "table" and raised.msg or tostring(raised), "stopped"
  end
  local rec = { step = n, action = action, input = input, started = started }
  local r = { step = n }
  if v == nil then
    -- extra = { code, observation }: the failure as the agent is to read it
    local shown
    if type(extra) == "table" then extra, shown = extra.code, extra.observation end
    rec.error, rec.code = tostring(obs or "failed"), extra
    rec.observation = shown or ("error: " .. rec.error)
    r.error, r.code = rec.error, rec.code
  else
    rec.observation = obs
    rec.result = extra
    r.value = v
  end
  r.observation = rec.observation
  rec.duration_s = sys.mono() - t0
  record(self, rec, body, paths)
  if raised ~= nil then error(raised, 0) end
  return r
end

-- opts.agent_code: fn runs code of the agent's (an action it defined),
-- which must stay under the budget; other steps run whole inside
-- ctl.critical.  opts.revive(rec): fn's value from a recorded step.
-- opts.paths: the workspace paths fn may change ({} for none; nil: any).
function Step:take(action, input, fn, opts)
  opts = opts or {}
  if self.over then
    return { error = "the run is over: a final answer was given", code = "denied" }
  end
  input = capped(input, M.INPUT_CAP)
  local okj, body = pcall(json.encode, input, "  ")
  if not okj then
    return { error = "this input cannot be recorded: " .. tostring(body), code = "invalid" }
  end
  local n = budget.take_step()
  if self.replay then return self:answer(n, action, input, opts.revive) end
  local started, t0 = sys.now(), sys.mono()
  return ctl.step(fn, function(okf, v, obs, extra)
    return after(self, n, action, input, body, opts.paths, started, t0, okf, v, obs, extra)
  end, opts.agent_code)
end

-- The run's status after the agent's call returned: call_status is what
-- ctl.call_agent said ("ok", "error", "budget", "memory").  Returns
-- status, message, kind (the stop kind, when one ended the run).
function Step:outcome(call_status, msg, final_given, tokens_refused)
  local b = budget.get()
  if self.stopped then
    return M.STATUS[self.stopped.kind] or "host_error", self.stopped.message, self.stopped.kind
  end
  if final_given then return "final_answer", nil, nil end
  if b.exhausted then
    local status = M.STATUS[b.kind] or "host_error"
    if status == "killed" then return status, "stopped by a signal", b.kind end
    return status, "the " .. b.kind .. " budget is spent", b.kind
  end
  if call_status == "memory" then
    return "budget_exhausted", "the memory budget is spent", "memory"
  end
  -- A model call refused for tokens, and the agent stopped without an
  -- answer: it ran out of budget, whether it returned or raised.
  if tokens_refused then return "budget_exhausted", tokens_refused, "tokens" end
  if call_status == "ok" then
    return "agent_error", "the agent returned without giving a final answer", nil
  end
  -- The host's own frames below the agent say nothing to its author.
  msg = tostring(msg):gsub("\n\t%[C%]: in function 'mlab%.host%.call_agent'.*$", "")
  return "agent_error", msg, nil
end

return M
