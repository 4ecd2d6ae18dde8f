--[[ fm_lib.lua - what the failure-mode detectors share: a run's steps as
the detectors read them (native and imported alike), executions and their
errors, numbers a text claims, and the label shape.

  local lib = require("fm_lib")
  local v = lib.view(run)      -- a run (mlab.runs) read once:
    v.id, v.m (manifest), v.steps, v.ended, v.task, v.model, v.agent
    v.model_steps              -- steps the agent chose (bookkeeping left out)
    v.final                    -- { step, text } of the final answer, or nil
    v.how                      -- how it ended: final_answer, step_limit,
                               -- no_valid_response, crash, killed, ...
  lib.is_exec(s)  lib.exec_failed(s)  lib.exec_ok(s)  lib.error_line(s)
  lib.signature(text)          -- an error line with numbers and quotes blurred
  lib.numbers(text)            -- { {value=, text=, percent=}, ... }
  lib.label(category, rule, why, evidence)   -- evidence: { {step=, quote=} }

Every function is deterministic: lists are walked in order, never by pairs.
]]
local M = {}

M.CATEGORIES = { "hallucination", "debugging_loop", "context", "bad_plan", "environment" }

function M.quote(text, n)
  return mlab.quote(text, n or 160)
end

function M.label(category, rule, why, evidence)
  return { category = category, rule = rule, why = why, evidence = evidence or {} }
end

-- Findings of one detector, by rule in the order first found:
--   local f = lib.findings("context", { quote = 120, one_per_step = true })
--   f:add(rule, why, step, quote)   -- counts it; keeps up to 5 quotes
--   f:labels()                      -- one label per rule ("why (N times)")
local Findings = {}
Findings.__index = Findings
local MAX_EVIDENCE = 5

function M.findings(category, o)
  return setmetatable({ category = category, quote = o and o.quote or 160,
    one_per_step = o and o.one_per_step, found = {}, order = {} }, Findings)
end

function Findings:add(rule, why, step, quote)
  local f = self.found[rule]
  if not f then
    f = { why = why, evidence = {}, count = 0 }
    self.found[rule] = f
    self.order[#self.order + 1] = rule
  end
  f.count = f.count + 1
  local last = f.evidence[#f.evidence]
  if #f.evidence < MAX_EVIDENCE and not (self.one_per_step and last and last.step == step) then
    f.evidence[#f.evidence + 1] = { step = step, quote = M.quote(quote, self.quote) }
  end
end

function Findings:labels()
  local labels = {}
  for _, rule in ipairs(self.order) do
    local f = self.found[rule]
    labels[#labels + 1] = M.label(self.category, rule,
      f.count > 1 and ("%s (%d times)"):format(f.why, f.count) or f.why, f.evidence)
  end
  return labels
end

local function bookkeeping(s)
  if s.bookkeeping then return true end
  if s.action == "Append Summary to Research Log" then return true end
  if s.action == "Retrieval from Research Log" then
    local p = type(s.input) == "table" and s.input.current_plan
    return p == nil or p == ""
  end
  return false
end
M.bookkeeping = bookkeeping

local SHUTDOWN = "The environment has shut down because the maximum number of steps"

function M.view(run)
  local m = run:manifest() or {}
  local steps, ended = run:steps(), run:ended()
  local v = { run = run, id = run.id, m = m, steps = steps, ended = ended or {},
              task = run:task(), model = run:model(), agent = m.agent or "?",
              model_steps = {} }
  for _, s in ipairs(steps) do
    s.shutdown = type(s.observation) == "string" and s.observation:sub(1, #SHUTDOWN) == SHUTDOWN
    if not bookkeeping(s) and not s.inherited then v.model_steps[#v.model_steps + 1] = s end
    if s.action == "Final Answer" and not v.final and not s.error then
      local t = type(s.input) == "table" and s.input.final_answer or m.final_answer
      v.final = { step = s.step, text = tostring(t or "") }
    end
  end
  local im = m.imported
  if im and im.ended then
    v.how = im.ended
  elseif m.status == "budget_exhausted" then
    v.how = m.budget_kind == "tokens" and "token_limit" or "step_limit"
  else
    v.how = m.status
  end
  -- Whether the agent had the chance to plan: it ended by its own answer
  -- or ran out of budget (not a crash, a kill, a format failure).
  v.played = v.how == "final_answer" or v.how == "step_limit" or v.how == "token_limit"
  return v
end

-- Executions -------------------------------------------------------------

function M.is_exec(s)
  return s.action == "Execute Script" or s.action == "Python REPL"
end

local FAIL_LINES = {
  "Traceback %(most recent call last%)", "^%s*File \"[^\n]+\", line %d+",
  "\n[%w%.]*Error: ", "\n[%w%.]*Exception: ", "^[%w%.]*Error: ",
  "Killed", "Segmentation fault", "command not found",
}

-- An execution that failed: mlab's exit status, a timeout or a signal; for
-- imported runs (no status) an EnvError or a traceback in the output.
function M.exec_failed(s)
  if not M.is_exec(s) then return false end
  if s.error then return true end
  local r = s.result
  if type(r) == "table" and r.status ~= nil then
    return (r.status ~= 0) or r.timed_out == true or (tonumber(r.signal) or 0) ~= 0
  end
  local o = tostring(s.observation or "")
  if o:find("Traceback (most recent call last)", 1, true) then return true end
  for _, p in ipairs(FAIL_LINES) do if o:find(p) then return true end end
  return false
end

function M.exec_ok(s)
  return M.is_exec(s) and not M.exec_failed(s) and not s.shutdown
end

-- The line that names a failure: the last "XxxError: ..." line of a
-- traceback, else the error or the last non-empty line of the output.
function M.error_line(s)
  if s.error then return tostring(s.error):match("^[^\n]*") end
  local o = tostring(s.observation or "")
  local last_err, last
  for line in o:gmatch("[^\n]+") do
    if line:find("%S") and not line:match("^%[") then last = line end
    if line:match("^[%w%._]*Error[:%s]") or line:match("^[%w%._]*Exception[:%s]")
        or line:match("^[%w%._]+Error$") then
      last_err = line
    end
  end
  return last_err or last or ""
end

-- An error line with what changes between tries blurred: numbers, quoted
-- names, hex addresses.
function M.signature(text)
  local s = tostring(text or "")
  s = s:gsub("0x%x+", "0x?"):gsub("%d+", "N"):gsub("'[^']*'", "'?'"):gsub('"[^"]*"', '"?"')
  return (s:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""))
end

-- What a script failure says about the machine it ran on (no network or
-- model hub, no memory or disk), not about the agent's code.
M.ENV_FAILURES = { "private repository", "pass a token", "connection error", "connectionerror",
  "temporary failure in name resolution", "name or service not known",
  "max retries exceeded with url", "network is unreachable", "couldn't connect to",
  "failed to establish a new connection", "no space left on device", "cannot allocate memory",
  "out of memory", "memoryerror", "killed" }

function M.env_failure(s)
  if not (M.is_exec(s) and M.exec_failed(s)) then return nil end
  local function find(text)
    local l = tostring(text or ""):lower()
    for _, w in ipairs(M.ENV_FAILURES) do
      if l:find(w, 1, true) then return w end
    end
  end
  return find(M.error_line(s)) or find(tostring(s.observation or ""):sub(-2000))
end

-- An action's input as a key: a path written with backslashes ("a\/b",
-- "a\b" in the string) is the same path as "a/b".
function M.input_key(s)
  local function norm(v)
    if type(v) == "string" then return (v:gsub("\\/", "/"):gsub("\\", "/")) end
    if type(v) ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do out[k] = norm(x) end
    return out
  end
  return s.action .. " " .. mlab.json.encode(norm(s.input))
end

-- Numbers in a text -------------------------------------------------------

-- Each number written in text: value, the text as written, percent.
-- Numbers inside names (v1.3, step_10, x2) are not numbers here.
function M.numbers(text)
  text = tostring(text or "")
  local out = {}
  for a, num, b in text:gmatch("()(%d+%.?%d*)()") do
    local before = a > 1 and text:sub(a - 1, a - 1) or ""
    local after = text:sub(b, b)
    if not before:match("[%w_%.]") and not after:match("[%a_]") then
      num = num:gsub("%.$", "")
      out[#out + 1] = { value = tonumber(num), text = num, at = a,
                        percent = text:sub(b, b + 1):match("^%s?%%") ~= nil }
    end
  end
  return out
end

local function round(x, d)
  local f = 10 ^ d
  return math.floor(x * f + 0.5) / f
end

-- Whether text contains the number n (from M.numbers) in some form:
-- 62.63% is also 0.6263; a claim of 0.85 is met by 0.8512 (the claim
-- rounds what was observed), never the other way round.
function M.mentions(text, n)
  local d = #(n.text:match("%.(%d+)$") or "")
  local v = n.value
  for _, x in ipairs(M.numbers(text)) do
    if math.abs(round(x.value, d) - v) < 1e-9 then return true end
    if (n.percent or v > 1) and math.abs(round(x.value, d + 2) - v / 100) < 1e-9 then return true end
    if v <= 1 and d >= 2 and math.abs(round(x.value, d - 2) - v * 100) < 1e-9 then return true end
  end
  return false
end

-- Steps whose observation is evidence from the environment (files,
-- scripts), not text a model wrote.
local MODEL_TEXT = {
  ["Reflection"] = true, ["Retrieval from Research Log"] = true,
  ["Append Summary to Research Log"] = true, ["Final Answer"] = true,
}
function M.evidence_step(s)
  return not MODEL_TEXT[s.action]
end

-- What a claim about a result mentions (Lua patterns over lower case).
M.METRIC_PATTERNS = { "%f[%w]accura", "%f[%w]acc%f[%W]", "%f[%w]score", "%f[%w]loss",
  "%f[%w]rmse", "%f[%w]mae%f[%W]", "%f[%w]mse%f[%W]", "%f[%w]smape", "%f[%w]f1%f[%W]",
  "%f[%w]auc%f[%W]", "perplexity", "precision", "%f[%w]recall", "error rate", "%f[%w]speed",
  "faster", "run ?time", "execution time", "time taken", "tokens per second", "tokens/s",
  "improv", "%f[%w]r2%f[%W]", "%f[%w]bleu", "%f[%w]rouge", "%f[%w]mcc%f[%W]" }

function M.mentions_metric(line)
  local l = line:lower()
  for _, p in ipairs(M.METRIC_PATTERNS) do
    if l:find(p) then return p end
  end
  return nil
end

-- The file a task asks to submit (submission.csv in most), or nil.
function M.submission_file(v)
  local p = tostring(v.task.problem or v.m.problem or "")
  return p:match("([%w_%-]*submission[%w_%-]*%.%w+)")
end

-- A script an edit wrote: the save name, else the script edited.
function M.edited_script(s)
  local a = s.action
  local i = type(s.input) == "table" and s.input or {}
  if a == "Edit Script (AI)" or a == "Edit Script Segment (AI)" then
    local saved = tostring(s.observation or ""):match("saved to ([^%s]+%.%w+)")
    return saved or i.save_name or i.script_name
  end
  if a == "Write File" or a == "Append File" or a == "Edit File" then
    local f = i.file_name
    if type(f) == "string" and (f:match("%.py$") or f:match("%.sh$")) then return f end
  end
  if a == "Undo Edit Script" then return i.script_name end
  return nil
end

function M.script_of(s)
  local i = type(s.input) == "table" and s.input or {}
  return i.script_name
end

return M
