-- llm_run.lua - ctx.llm for a run: llm.lua wired to the host.
--
--   local client, err = llm_run.new(run, spec, runs_dir [, fast_spec])
--   (fast_spec: --llm-fast, the fast-model role behind client:fast())
--
-- Builds the `host` table llm.new() asks for from mlab.sys, mlab.budget and mlab.run (budgets,
-- durable appends, environment) and mlab.http (HTTP, sleep, clock), writes
-- every call to RUN/llm.jsonl (through rundir; flushed with the step),
-- and keeps the run's model totals in run.manifest.llm_usage.
--
-- What it reads from and writes to the run table (run.lua's):
--   run.rd               the run directory (rundir.lua) llm.jsonl is in
--   run.step.count       the step number named in each record (steps
--                        completed when the call is made)
--   run.llm_prefix       a resumed run's records made before its last
--                        complete step (decoded llm.jsonl lines, in order);
--                        consumed in place as the agent asks again, and
--                        new calls are numbered after them
--   run.manifest.llm_usage   set: calls, tokens, retries, errors
--   run.tokens_refused   set when a call was refused for tokens
--   run.step:halt("diverged", msg)   when a replayed or resumed call
--                        differs (the run ends as agent_error)
local sys = require("mlab.sys")
local budget = require("mlab.budget")
local ctl = require("mlab.run")
local http = require("mlab.http")
local rundir = require("rundir")
local llm = require("llm")

local M = {}

-- One call's line into the totals run.json shows.
local function tally(run, line)
  local t = run.manifest.llm_usage
  t.calls = t.calls + 1
  if line.usage then
    t.prompt_tokens = t.prompt_tokens + (line.usage.prompt or 0)
    t.completion_tokens = t.completion_tokens + (line.usage.completion or 0)
    if line.usage.estimated then t.estimated_calls = t.estimated_calls + 1 end
  end
  t.retries = t.retries + (line.retries or 0)
  if line.tool_calls then t.tool_calls = (t.tool_calls or 0) + #line.tool_calls end
  if line.error then
    t.errors = t.errors + 1
    -- refused before sending: the agent may go on with smaller calls, but
    -- a run that then stops without an answer ran out of tokens
    if line.error.kind == "budget" and (line.tries or 0) == 0 then
      run.tokens_refused = line.error.message
    elseif line.error.kind == "budget" then
      -- the run's time ran out during the call (held off by ctl.critical):
      -- mark it, so the run ends as budget_exhausted however the agent goes
      ctl.stop("time")
    end
  end
end

-- run: run.lua's run table; spec: the --llm text; runs_dir: for replay:RUN
function M.new(run, spec, runs_dir, fast_spec)
  run.manifest.llm_usage = { calls = 0, prompt_tokens = 0, completion_tokens = 0,
    retries = 0, errors = 0, estimated_calls = 0 }
  local h = {
    post = http.post, sleep = sys.sleep, now = sys.mono,
    getenv = sys.getenv, guard = ctl.critical,
    time_left = budget.time_left,
    tokens_allow = budget.tokens_allow, tokens_add = budget.tokens_add,
    step = function() return run.step.count end,
    recording = function(source) return rundir.recording(source, runs_dir) end,
    warn = function(line) io.stderr:write(line, "\n") end,
    prefix = run.llm_prefix,
    diverge = function(msg) run.step:halt("diverged", msg) end,
    record = function(line)
      local ok, err = run.rd:append_call(line)
      if ok then tally(run, line) end
      return ok, err
    end,
  }
  for _, line in ipairs(run.llm_prefix or {}) do tally(run, line) end
  local client, err = llm.new(spec, h, fast_spec and { fast = fast_spec } or nil)
  if not client then return nil, err end
  -- The file exists even if no call is made; a resume has already cut it
  -- to its prefix (run.lua).
  if not run.llm_prefix then assert(run.rd:keep_calls({})) end
  return client
end

return M
