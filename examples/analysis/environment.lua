--[[ environment.lua - failures of the harness, the model server or the
machine, kept apart from the agent's own.

  local labels = require("environment")(view)

Rules:
  harness_crash   the run ended with a host error or a crash of the
                  reference framework (its error's last line quoted);
  harness_stopped the run stopped without a word (killed, or the log ends
                  mid-step);
  model_server    model calls that failed on the server's side after the
                  retries (server errors, timeouts, rate limits, auth), or
                  an LLMError from the reference framework;
  tool_failure    an action's own machinery failed ("EnvError: Error
                  executing Understand File." in the reference framework, a
                  host error in mlab);
  no_network      a script failed for the sandbox it runs in: no network or
                  model hub access, out of memory or disk.
]]
local lib = require("fm_lib")

return function(v)
  local findings = lib.findings("environment", { quote = 140 })
  local function add(...) findings:add(...) end
  local m = v.m
  local last = #v.steps
  if v.how == "crash" or m.status == "host_error" then
    add("harness_crash", "the harness crashed", last, m.message or (v.ended and v.ended.message) or "host error")
  elseif v.how == "unknown" or v.how == "killed" or m.status == "killed" then
    add("harness_stopped", "the run stopped without saying why", last, m.message or "killed")
  end
  for _, s in ipairs(v.steps) do
    local obs = tostring(s.observation or "")
    if obs:match("^LLMError") then
      add("model_server", "a model call inside an action failed", s.step, obs)
    elseif obs:match("^EnvError: Error executing ") or s.code == "host" then
      add("tool_failure", "an action's own machinery failed", s.step, obs)
    end
    local w = lib.env_failure(s)
    if w then add("no_network", "a script failed for its sandbox (" .. w .. ")", s.step, lib.error_line(s)) end
  end
  for _, c in ipairs(v.run:calls()) do
    local e = type(c.error) == "table" and c.error or nil
    if e and (e.kind == "server" or e.kind == "timeout" or e.kind == "rate_limit" or e.kind == "auth") then
      add("model_server", "a model call failed on the server's side", (tonumber(c.step) or 0) + 1,
        (e.kind or "") .. ": " .. tostring(e.message))
    end
  end
  return findings:labels()
end
