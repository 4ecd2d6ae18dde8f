-- llm_run.lua - ctx.llm for a run: llm.lua wired to the host.
--
-- Builds the `host` table llm.new() asks for from mlab.host (budgets,
-- durable appends, environment) and mlab.http (HTTP, sleep, clock), writes
-- every call to RUN/llm.jsonl (fsync'd before the agent sees the reply),
-- and keeps the run's model totals in run.manifest.llm.
local host = require("mlab.host")
local http = require("mlab.http")
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
  if line.error then
    t.errors = t.errors + 1
    -- refused before sending: the agent may go on with smaller calls, but
    -- a run that then stops without an answer ran out of tokens
    if line.error.kind == "budget" and (line.tries or 0) == 0 then
      run.tokens_refused = line.error.message
    elseif line.error.kind == "budget" then
      -- the run's time ran out during the call (held off by host.critical):
      -- mark it, so the run ends as budget_exhausted however the agent goes
      host.stop("time")
    end
  end
end

-- run: run.lua's run table; spec: the --llm text; runs_dir: for replay:RUN
function M.new(run, spec, runs_dir)
  local path = run.paths.dir .. "/llm.jsonl"
  run.manifest.llm_usage = { calls = 0, prompt_tokens = 0, completion_tokens = 0,
    retries = 0, errors = 0, estimated_calls = 0 }
  local h = {
    post = http.post, sleep = http.sleep, now = http.now,
    getenv = host.getenv, guard = host.critical,
    time_left = host.time_left,
    tokens_allow = host.tokens_allow, tokens_add = host.tokens_add,
    step = function() return run.step.count end,
    read_file = function(p)
      local st = host.stat(p)
      if not st or st.type ~= "file" then return nil, "no file " .. p end
      return host.read(p)
    end,
    runs_dir = runs_dir,
    prefix = run.llm_prefix,
    diverge = function(msg) run.step:halt("diverged", msg) end,
    record = function(line)
      local ok, err = host.append(path, llm.encode(line) .. "\n")
      if ok then tally(run, line) end
      return ok, err
    end,
  }
  for _, line in ipairs(run.llm_prefix or {}) do tally(run, line) end
  local client, err = llm.new(spec, h)
  if not client then return nil, err end
  assert(host.append(path, "")) -- the file exists even if no call is made
  return client
end

return M
