--[[ hallucination.lua - results the agent claims that nothing it saw shows.

  local detect = require("hallucination")
  local labels = detect(view)        -- view: fm_lib.view(run)

Rules (each label names its rule, the step and the quoted claim):
  unseen_number   the final answer states a metric number that no
                  observation from the environment contains (numbers from
                  the problem text and from the agent's own inputs are
                  not claims);
  unobserved_success   the final answer claims an improvement or success
                  while no script ran successfully, with numbers in its
                  output, after the last edit (nothing could show it);
  contradicted    the final answer states a score, or an improvement,
                  that the run's evaluation contradicts by more than the
                  task's noise;
  plan_number     a Research Plan and Status (the reply behind a step)
                  states a metric number no earlier observation contains.
]]
local lib = require("fm_lib")

local SUCCESS = { "improv", "faster", "better", "outperform", "achiev", "successfully",
  "increase", "boost", "speed-up", "speedup", "speed up", "reduced the", "higher" }
local NEGATION = { "not", "n't", "unable", "cannot", "failed", "no", "without",
  "unfortunately" }
local FUTURE = { "goal", "target", "aim", "expect", "should", "will ", "hope", "plan to", "try",
  "estimate", "want", "need", "more than", "at least", "e.g.", "for example", "?", "if" }
local HYPER = { "learning rate", "lr", "epoch", "batch", "dropout", "momentum", "decay",
  "layer", "hidden", "estimator", "depth", "seed", "split", "fold", "iteration",
  "kernel", "stride", "size", "neuron", "unit", "head", "max_", "n_" }
local COUNTED = { "epoch", "layer", "step", "fold", "estimator", "tree", "iteration", "neuron",
  "unit", "feature", "sample", "row", "column", "class", "file", "line", "head", "minute",
  "hour", "gb", "mb", "kb", "core", "cpu", "gpu", "version", "token" }

-- The first of words that s holds, each from a word start ("lr" is not
-- in "already"); whole: also to a word end ("no" is not in "now").
local function has_any(s, words, whole)
  local l = s:lower()
  for _, w in ipairs(words) do
    local pat = w:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")
    if w:match("^[%w ]+$") then
      pat = "%f[%w]" .. pat
      if whole then pat = pat .. "%f[%W]" end
    end
    if l:find(pat) then return w end
  end
  return nil
end

-- Sentences: a stop ends one only before a space or the end ("62.63%"
-- and "train.py" stay whole).
local function sentences(text)
  local t = tostring(text):gsub("\n", " ")
  local out, start = {}, 1
  for i = 1, #t do
    local c = t:sub(i, i)
    if (c == "." or c == "!" or c == "?") and not t:sub(i + 1, i + 1):match("%S") then
      out[#out + 1] = t:sub(start, i)
      start = i + 1
    end
  end
  if t:sub(start):find("%S") then out[#out + 1] = t:sub(start) end
  return out
end

-- Numbers a sentence states as results: not counts ("10 epochs"), not
-- from the problem or the agent's own inputs.
local function claimed_numbers(sentence, known)
  local out = {}
  for _, n in ipairs(lib.numbers(sentence)) do
    local after = sentence:sub(n.at + #n.text, n.at + #n.text + 14):lower()
    local counted = false
    for _, w in ipairs(COUNTED) do
      if after:match("^%s*" .. w) then counted = true end
    end
    local plain_int = not n.text:find("%.") and not n.percent
    if not counted and not (plain_int and n.value < 100) and not known(n) then
      out[#out + 1] = n
    end
  end
  return out
end

return function(v)
  local labels = {}
  local problem = tostring(v.task.problem or "")
  local inputs = {}     -- the agent's own words, step by step
  local evidence = {}   -- observations from the environment, step by step
  for _, s in ipairs(v.steps) do
    inputs[s.step] = type(s.input) == "table" and mlab.json.encode(s.input) or tostring(s.input or "")
    evidence[s.step] = lib.evidence_step(s) and tostring(s.observation or "") or ""
  end
  local function seen_before(n, upto)
    for k = 1, upto - 1 do
      if evidence[k] and lib.mentions(evidence[k], n) then return true end
    end
    return false
  end
  local function known_before(upto)
    return function(n)
      if lib.mentions(problem, n) then return true end
      for k = 1, upto - 1 do
        if inputs[k] and lib.mentions(inputs[k], n) then return true end
      end
      return false
    end
  end

  -- The final answer.
  if v.final then
    local fs = v.final.step
    local last_edit, last_ok_numbers = 0, nil
    for _, s in ipairs(v.steps) do
      if s.step < fs then
        if lib.edited_script(s) then last_edit = s.step end
        if lib.exec_ok(s) and #lib.numbers(s.observation) > 0 then last_ok_numbers = s.step end
      end
    end
    local m, task = v.m, v.task
    local noise = tonumber(task.noise) or 0
    for _, sen in ipairs(sentences(v.final.text)) do
      local metric = lib.mentions_metric(sen)
      local negated = has_any(sen, NEGATION, true)
      if metric and not negated then
        for _, n in ipairs(claimed_numbers(sen, known_before(fs))) do
          if not seen_before(n, fs) then
            labels[#labels + 1] = lib.label("hallucination", "unseen_number",
              ("the final answer states %s%s, which no observation contains"):format(n.text,
                n.percent and "%" or ""), { { step = fs, quote = lib.quote(sen) } })
            break
          end
        end
      end
      if has_any(sen, SUCCESS) and not negated then
        if not last_ok_numbers or last_ok_numbers < last_edit then
          labels[#labels + 1] = lib.label("hallucination", "unobserved_success",
            last_ok_numbers and ("the final answer claims success; no script ran with results "
              .. "after the last edit (step %d)"):format(last_edit)
              or "the final answer claims success; no script ever ran with results",
            { { step = fs, quote = lib.quote(sen) } })
        end
        -- contradicted by the evaluation
        local imp = tonumber(m.improvement)
        local base = tonumber(m.baseline)
        if imp and base and base ~= 0 then
          local slack = noise / math.abs(base)
          if imp <= slack then
            labels[#labels + 1] = lib.label("hallucination", "contradicted",
              ("the final answer claims success; the evaluation shows %+.1f%% against the "
                .. "baseline"):format(imp * 100), { { step = fs, quote = lib.quote(sen) } })
          end
        end
      end
      -- a score the evaluation contradicts
      local score = tonumber(m.score)
      local mname = m.metric and m.metric.name
      if score and mname and not negated and sen:lower():find(tostring(mname):lower(), 1, true) then
        for _, n in ipairs(lib.numbers(sen)) do
          if not lib.mentions(problem, n) then
            local tol = math.max(noise, 1e-9 + 0.01 * math.abs(score))
            if math.abs(n.value - score) > tol and math.abs(n.value / 100 - score) > tol then
              labels[#labels + 1] = lib.label("hallucination", "contradicted",
                ("the final answer states %s %s; the evaluation gives %.4g (noise %.4g)"):format(
                  mname, n.text, score, noise), { { step = fs, quote = lib.quote(sen) } })
            end
            break
          end
        end
      end
    end
  end

  -- Research Plan and Status, reply by reply.
  local reported = {}
  for _, s in ipairs(v.model_steps) do
    local f = v.run:fields(s.step)
    local plan = f and f["Research Plan and Status"]
    if plan then
      for line in plan:gmatch("[^\n]+") do
        if lib.mentions_metric(line) and not has_any(line, FUTURE, true) and not has_any(line, HYPER)
            and not has_any(line, NEGATION, true) then
          for _, n in ipairs(claimed_numbers(line, known_before(s.step))) do
            if (n.percent or n.text:find("%.")) and not reported[n.text]
                and not seen_before(n, s.step) then
              reported[n.text] = true
              labels[#labels + 1] = lib.label("hallucination", "plan_number",
                ("the Research Plan and Status before step %d states %s%s, which no earlier "
                  .. "observation contains"):format(s.step, n.text, n.percent and "%" or ""),
                { { step = s.step, quote = lib.quote(line) } })
            end
          end
        end
      end
    end
  end
  -- one label per rule: the first claim says it, the others add evidence
  local out, by_rule = {}, {}
  for _, l in ipairs(labels) do
    local first = by_rule[l.rule]
    if first then
      for _, e in ipairs(l.evidence) do
        if #first.evidence < 5 then first.evidence[#first.evidence + 1] = e end
      end
    else
      by_rule[l.rule] = l
      out[#out + 1] = l
    end
  end
  return out
end
