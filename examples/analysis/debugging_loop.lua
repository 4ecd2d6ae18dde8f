--[[ debugging_loop.lua - the agent going round in circles.

  local labels = require("debugging_loop")(view)

Rules, over the steps the agent chose (research-log bookkeeping and the
steps after an environment shut down are left out):
  same_error      in a streak of failed executions (other actions may lie
                  between them, no execution succeeds) an error line comes
                  back (numbers and quoted names blurred): the fixes between
                  them fixed nothing;
  repeat_4        the same action with the same input and the same
                  observation four times in a row (OpenHands' stuck rule);
  error_3         the same action with the same input failing three times in
                  a row (OpenHands);
  alternating     two action/observation pairs alternating over six steps
                  (OpenHands' A-B-A-B-A-B rule).
Each loop is one label, its steps the evidence.
]]
local lib = require("fm_lib")

local SAME_ERROR, REPEAT, ERRORS, ALTERNATE = 2, 4, 3, 6

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
      s.key = lib.input_key(s)
      s.obs = fold(s.error and ("error: " .. s.error) or s.observation)
    end
  end

  -- an error that comes back within a streak of failed executions
  local streak = {}
  local function close_streak()
    local count, first = {}, {}
    local best
    for _, s in ipairs(streak) do
      local sig = lib.signature(lib.error_line(s))
      count[sig] = (count[sig] or 0) + 1
      first[sig] = first[sig] or s
      if count[sig] >= SAME_ERROR and (not best or count[sig] > count[best]) then best = sig end
    end
    if best then
      local ev = {}
      for _, s in ipairs(streak) do
        if #ev < 6 then ev[#ev + 1] = { step = s.step, quote = lib.quote(lib.error_line(s), 120) } end
      end
      labels[#labels + 1] = lib.label("debugging_loop", "same_error",
        ("%d failed executions in a row; this error %d times: %s"):format(#streak, count[best],
          lib.quote(lib.error_line(first[best]), 100)), ev)
    end
    streak = {}
  end
  for _, s in ipairs(steps) do
    if lib.is_exec(s) then
      if lib.exec_failed(s) then streak[#streak + 1] = s else close_streak() end
    end
  end
  close_streak()

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
