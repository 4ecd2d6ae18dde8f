--[[ debugging_loop.lua - the agent going round in circles.

  local labels = require("debugging_loop")(view)

Rules, over the steps the agent chose (research-log bookkeeping and the
steps after an environment shut down are left out):
  same_error      three or more executions in a row (other actions may lie
                  between them) fail with the same error line (numbers and
                  quoted names blurred): the fixes between them fixed nothing;
  repeat_4        the same action with the same input and the same
                  observation four times in a row (OpenHands' stuck rule);
  error_3         the same action with the same input failing three times in
                  a row (OpenHands);
  alternating     two action/observation pairs alternating over six steps
                  (OpenHands' A-B-A-B-A-B rule).
Each loop is one label, its steps the evidence.
]]
local lib = require("fm_lib")

local SAME_ERROR, REPEAT, ERRORS, ALTERNATE = 3, 4, 3, 6

local function fold(s) return (tostring(s or ""):gsub("%s+", " ")) end

local function failed(s)
  if s.error then return true end
  if lib.is_exec(s) then return lib.exec_failed(s) end
  local o = tostring(s.observation or "")
  return o:match("^EnvError") ~= nil or o:match("^error: ") ~= nil
    or o:match("^ActionInputParsingError") ~= nil
end

return function(v)
  local labels = {}
  local steps = {}
  for _, s in ipairs(v.model_steps) do
    if not s.shutdown then
      steps[#steps + 1] = s
      s.key = s.action .. " " .. mlab.json.encode(s.input)
      s.obs = fold(s.error and ("error: " .. s.error) or s.observation)
    end
  end

  -- the same error across consecutive executions
  local run, sig = {}, nil
  local function close_run()
    if #run >= SAME_ERROR then
      local ev = {}
      for _, s in ipairs(run) do ev[#ev + 1] = { step = s.step, quote = lib.quote(lib.error_line(s), 120) } end
      labels[#labels + 1] = lib.label("debugging_loop", "same_error",
        ("%d executions in a row fail with the same error: %s"):format(#run,
          lib.quote(lib.error_line(run[1]), 100)), ev)
    end
  end
  for _, s in ipairs(steps) do
    if lib.is_exec(s) then
      local this = lib.exec_failed(s) and lib.signature(lib.error_line(s)) or nil
      if this and this == sig then
        run[#run + 1] = s
      else
        close_run()
        run, sig = this and { s } or {}, this
      end
    end
  end
  close_run()

  -- OpenHands' rules over windows of consecutive steps
  local function window_label(rule, why, from, to)
    local ev = {}
    for k = from, to do
      ev[#ev + 1] = { step = steps[k].step, quote = steps[k].action .. ": " .. lib.quote(steps[k].obs, 90) }
    end
    labels[#labels + 1] = lib.label("debugging_loop", rule, why, ev)
  end
  local i = 1
  while i <= #steps do
    local j = i
    while j + 1 <= #steps and steps[j + 1].key == steps[i].key and steps[j + 1].obs == steps[i].obs do
      j = j + 1
    end
    if j - i + 1 >= REPEAT then
      window_label("repeat_4", ("the same action and observation %d times in a row: %s"):format(
        j - i + 1, lib.quote(steps[i].key, 80)), i, j)
      i = j + 1
    else
      local k = i
      while k + 1 <= #steps and steps[k + 1].key == steps[i].key and failed(steps[k + 1]) do k = k + 1 end
      if failed(steps[i]) and k - i + 1 >= ERRORS then
        window_label("error_3", ("the same action fails %d times in a row: %s"):format(k - i + 1,
          lib.quote(steps[i].key, 80)), i, k)
        i = k + 1
      else
        -- A B A B A B
        local a, b = steps[i], steps[i + 1]
        local n = 0
        if b and (a.key ~= b.key or a.obs ~= b.obs) then
          n = 2
          while i + n <= #steps do
            local x, ref = steps[i + n], (n % 2 == 0) and a or b
            if x.key == ref.key and x.obs == ref.obs then n = n + 1 else break end
          end
        end
        if n >= ALTERNATE then
          window_label("alternating", ("two actions alternate with the same observations over %d steps"):format(n),
            i, i + n - 1)
          i = i + n
        else
          i = i + 1
        end
      end
    end
  end
  return labels
end
