-- compare_prompts.lua - mlab's research agent and action prompts against
-- the prompts the reference system really sent (tests/fixtures/real_traces,
-- made into Lua data by cases.py).  Run by tests/e2e/fidelity_prompts_test.sh:
--   mlab test-lua compare_prompts.lua   (cases.lua and case_N.lua beside it)
--
-- Agent prompts: agents/research.lua runs each of the 58 runs again with a
-- stand-in ctx: its model answers with the run's real replies (turn by
-- turn, retries included; summaries with the real ones where they were
-- kept), its actions answer with the observations trace.json recorded (and
-- must be the actions the trace shows, with the same arguments).  Each
-- prompt the agent builds is compared with the real one of the same turn
-- and attempt; step summaries and observation summaries likewise.
-- Action prompts (Understand File, Edit Script (AI), Reflection, Retrieval
-- from Research Log) are rebuilt with stdlib/mlagentbench.lua from the
-- trace step's arguments and what the step read (the low-level Read File
-- records); an Edit Script's diff is rebuilt from the file and the reply.
--
-- The agent runs with the options of the fork that wrote these logs (see
-- docs/fidelity.md): the research log on, no "\n\nAssistant:" before the
-- history's steps.  One documented difference is allowed: the fork
-- wrapped every CodeLlama prompt as "<s>[INST] ... [/INST]" (the model's
-- chat template, which mlab leaves to the server); and the fork wrote its
-- logs in the Windows code page, so text that was not ASCII is logged as
-- its cp1252 bytes read as UTF-8.  Figures per kind: identical /
-- documented / otherwise / not rebuilt (an agent prompt the agent did not
-- reach; an action prompt whose inputs the logs did not keep, e.g. an
-- Understand File merge whose block replies were not all sampled); it
-- fails on any "otherwise".
local pyjson = require("pyjson")
local mlab = require("mlagentbench")
local research = require("research")

local cases = require("cases")

local WRAP_OPEN, WRAP_CLOSE = "<s>[INST] ", " [/INST]"

local figures, order = {}, {}
local function fig(kind)
  if not figures[kind] then
    figures[kind] = { identical = 0, documented = 0, otherwise = 0, unreached = 0 }
    order[#order + 1] = kind
  end
  return figures[kind]
end
local shown = 0

local function first_diff(a, b)
  local i = 1
  while i <= #a and i <= #b and a:byte(i) == b:byte(i) do i = i + 1 end
  local from = math.max(1, i - 80)
  return ("at byte %d:\n    want ...%q\n    got  ...%q"):format(i, b:sub(from, i + 80), a:sub(from, i + 80))
end

-- The fork wrote its logs on Windows in code page 1252; the logs were read
-- back as UTF-8.  A prompt holding "childrenâ€™s" (as the model got it)
-- is logged as "children’s": the text's cp1252 bytes, read as UTF-8.
local CP1252 = { [0x20AC] = 0x80, [0x201A] = 0x82, [0x0192] = 0x83, [0x201E] = 0x84, [0x2026] = 0x85,
  [0x2020] = 0x86, [0x2021] = 0x87, [0x02C6] = 0x88, [0x2030] = 0x89, [0x0160] = 0x8A, [0x2039] = 0x8B,
  [0x0152] = 0x8C, [0x017D] = 0x8E, [0x2018] = 0x91, [0x2019] = 0x92, [0x201C] = 0x93, [0x201D] = 0x94,
  [0x2022] = 0x95, [0x2013] = 0x96, [0x2014] = 0x97, [0x02DC] = 0x98, [0x2122] = 0x99, [0x0161] = 0x9A,
  [0x203A] = 0x9B, [0x0153] = 0x9C, [0x017E] = 0x9E, [0x0178] = 0x9F }
local encoded = 0
local function cp1252_as_utf8(s)
  if not s:find("[\128-\255]") or not utf8.len(s) then return nil end
  local out = {}
  for _, cp in utf8.codes(s) do
    if cp < 0x80 then out[#out + 1] = string.char(cp)
    elseif cp <= 0xFF and not (cp >= 0x80 and cp <= 0x9F) then out[#out + 1] = string.char(cp)
    elseif CP1252[cp] then out[#out + 1] = string.char(CP1252[cp])
    else return nil end
  end
  local b = table.concat(out)
  return utf8.len(b) and b or nil
end

-- Classifies our prompt against the real one (rec.prompt).
local function judge(kind, rec, ours, case, where)
  local f = fig(kind)
  if ours == nil then
    f.unreached = f.unreached + 1
    return
  end
  local want = rec.prompt
  if ours == want then
    f.identical = f.identical + 1
    return
  end
  if case.model == "codellama" and want:sub(1, #WRAP_OPEN) == WRAP_OPEN
    and want:sub(-#WRAP_CLOSE) == WRAP_CLOSE and want:sub(#WRAP_OPEN + 1, -#WRAP_CLOSE - 1) == ours then
    f.documented = f.documented + 1
    return
  end
  if case.model == "codellama" and want:sub(1, #WRAP_OPEN) == WRAP_OPEN then
    want = want:sub(#WRAP_OPEN + 1, -#WRAP_CLOSE - 1)
  end
  if cp1252_as_utf8(ours) == want then
    f.documented = f.documented + 1
    encoded = encoded + 1
    return
  end
  f.otherwise = f.otherwise + 1
  shown = shown + 1
  if shown <= 8 then
    local inner = want
    if case.model == "codellama" and want:sub(1, #WRAP_OPEN) == WRAP_OPEN then
      inner = want:sub(#WRAP_OPEN + 1, -#WRAP_CLOSE - 1)
    end
    print(("DIFFERS %s %s %s: %s"):format(kind, case.run_key, where, first_diff(ours, inner)))
  end
end

local function equal(a, b)
  if type(a) ~= type(b) then
    if type(a) == "number" and type(b) == "number" then return a == b end
    return false
  end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function plain(v)
  if v == pyjson.null then return nil end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = plain(x) end
  return out
end

local STOP = setmetatable({}, { __tostring = function() return "end of the recorded run" end })

---------------------------------------------------------------------------
-- The agent, again, on one recorded run

local function agent_run(case)
  local expected = {}   -- kind -> key -> record
  local function index(kind, key, rec)
    expected[kind] = expected[kind] or {}
    expected[kind][key] = rec
  end
  -- A record's "attempt" counts the retry notes anywhere in the prompt,
  -- quoted ones in the history too: a turn's tries are its attempts in
  -- order.
  local tries = {}
  for _, r in ipairs(case.expected) do
    if r.kind == "agent" or r.kind == "agent_retry" then
      tries[r.turn] = tries[r.turn] or {}
      table.insert(tries[r.turn], r)
    end
  end
  for t, list in pairs(tries) do
    table.sort(list, function(a, b) return a.attempt < b.attempt end)
    for i, r in ipairs(list) do index("agent", t .. "/" .. (i - 1), r) end
  end
  for _, r in ipairs(case.expected) do
    if r.kind == "agent" or r.kind == "agent_retry" then
      local _ = r
    elseif r.kind == "step_summary" then
      index(r.kind, r.step .. "/" .. r.call, r)
    elseif r.kind == "observation_summary" then
      index(r.kind, r.source:match("step_%d+_summarize_observation_log%.log.*$"), r)
    end
  end
  local replies = {}
  local step_of_turn = {}
  local by_turn = {}
  for _, r in ipairs(case.replies) do
    by_turn[r.turn] = by_turn[r.turn] or {}
    table.insert(by_turn[r.turn], r)
    step_of_turn[r.turn] = r.step
  end
  for t, list in pairs(by_turn) do
    table.sort(list, function(a, b) return a.attempt < b.attempt end)
    for i, r in ipairs(list) do replies[t .. "/" .. (i - 1)] = r.text end
  end

  local actions = {}
  for _, a in ipairs(case.actions) do actions[a.name] = a end
  local pos, turn, top = 0, -1, false
  local summary_calls = {}
  local seen = { agent = {}, step_summary = {}, observation_summary = {} }
  local diverged

  local llm = {}
  function llm.chat(_, req)
    local text = req.messages[1].content
    if text:sub(1, 37) == "You are a helpful research assistant." then
      -- Retries end with the note, once per earlier try (a reply in the
      -- history may quote the note too).
      local note, notes, rest = mlab.retry_note(mlab.FIELDS), 0, text
      while rest:sub(-#note) == note do notes = notes + 1; rest = rest:sub(1, -#note - 1) end
      if notes == 0 then turn = turn + 1 end
      local key = turn .. "/" .. notes
      local reply = replies[key]
      if reply == nil or reply == "" then error(STOP, 0) end
      local rec = expected.agent and expected.agent[key]
      if rec then
        seen.agent[key] = true
        judge(rec.kind, rec, text, case, "turn " .. key)
      end
      return { text = reply }
    elseif text:sub(1, 39) == "Given your action and the observation: " then
      local step = step_of_turn[turn]
      local k = summary_calls[step] or 0
      summary_calls[step] = k + 1
      local key = step .. "/" .. k
      local rec = expected.step_summary and expected.step_summary[key]
      if rec then
        seen.step_summary[key] = true
        judge("step_summary", rec, text, case, key)
        return { text = rec.reply }
      end
      -- Not kept: a reply the agent takes if no later call of this step
      -- was kept (the real one then had "[Reasoning]:"), else one it retries.
      local later = false
      for j = k + 1, 5 do
        if expected.step_summary and expected.step_summary[step .. "/" .. j] then later = true end
      end
      return { text = later and "(no reasoning)" or "[Reasoning]: (not kept)" }
    elseif text:find("\n\nThe full observation is too long.", 1, true) then
      local step = step_of_turn[turn]
      local merge = text:find("Given summaries for each segments", 1, true)
      local block = 0
      if not merge then
        local from = tonumber(text:match("observation from character (%d+) to"))
        block = (from - 1) // 10000
      end
      local key = ("step_%d_summarize_observation_log.log%s"):format(step, merge and "" or ("_" .. block))
      local rec = expected.observation_summary and expected.observation_summary[key]
      if not rec then
        diverged = "an observation summary that was not kept: " .. key
        error(STOP, 0)
      end
      seen.observation_summary[key] = true
      judge("observation_summary", rec, text, case, key)
      return { text = rec.reply }
    end
    error("unexpected prompt: " .. text:sub(1, 200), 0)
  end
  function llm.fast(self) return self end

  local acts = {}
  function acts.get(_, name)
    local a = actions[name]
    if not a then return nil end
    return { name = a.name, description = a.description, returns = a.returns, args = a.args }
  end
  function acts.enable() end
  function acts.run(_, name, input)
    if top and pos >= case.max_steps then error(STOP, 0) end
    top = false
    pos = pos + 1
    local st = case.steps[pos]
    if not st then error(STOP, 0) end
    if st.name ~= name then
      diverged = ("step %d: the agent took %s, the trace shows %s"):format(pos - 1, name, st.name)
      error(STOP, 0)
    end
    if name ~= "Append Summary to Research Log" then
      local want = plain(assert(pyjson.loads(st.args_json)))
      if not equal(want, input) then
        diverged = ("step %d (%s): other arguments than the trace's: %s, not %s"):format(pos - 1, name,
          pyjson.repr(input), st.args_json)
        error(STOP, 0)
      end
    end
    return st.observation, { ok = true, action = name, final = name == "Final Answer" or nil }
  end
  local ctx = {
    task = { problem = case.problem },
    llm = setmetatable({}, { __index = llm }),
    actions = setmetatable({}, { __index = acts }),
    budget = function()
      top = true
      return { steps_left = math.max(case.max_steps - pos, 0) }
    end,
  }
  local agent = research.make({ retrieval = true, assistant_prefix = "",
    agent_max_steps = case.agent_max_steps, max_retries = case.max_retries })
  local ok, err = pcall(agent.run, ctx)
  if not ok and err ~= STOP and not tostring(err):find("No valid response after max_retries", 1, true)
    and not tostring(err):find("agent max steps", 1, true) then
    diverged = tostring(err)
  end
  if diverged then print(("DIVERGED %s: %s"):format(case.run_key, diverged)) end
  -- Kept prompts the agent never reached.
  for kind, recs in pairs(expected) do
    for key, rec in pairs(recs) do
      if not seen[kind][key] then
        judge(kind == "agent" and rec.kind or kind, rec, nil, case, key)
        if not diverged then print(("UNREACHED %s %s %s"):format(kind, case.run_key, key)) end
      end
    end
  end
  return diverged == nil
end

---------------------------------------------------------------------------
-- The action prompts, rebuilt from the trace

-- What the step at index n (0-based) read: Read File records between the
-- previous step and this one.
local function reads_of(case, n, file)
  local from = n > 0 and case.steps[n].t or -math.huge
  local to = case.steps[n + 1].t
  local out
  for _, r in ipairs(case.reads) do
    if r.t > from and r.t <= to and (file == nil or r.file_name == file) then out = r.observation end
  end
  return out
end

local edit_obs = { identical = 0, otherwise = 0 }

local function tool_prompts(case)
  local by_step = {}
  for _, r in ipairs(case.expected) do
    if r.kind == "understand_file" or r.kind == "edit_script" or r.kind == "reflection"
      or r.kind == "retrieval" then
      by_step[r.step] = by_step[r.step] or {}
      table.insert(by_step[r.step], r)
    end
  end
  for n, recs in pairs(by_step) do
    local st = case.steps[n + 1]
    local args = plain(assert(pyjson.loads(st.args_json)))
    for _, rec in ipairs(recs) do
      local ours
      local unwrapped = rec.prompt
      if rec.kind == "understand_file" then
        local content = reads_of(case, n, args.file_name)
        if content then
          local blocks = mlab.understand_blocks(content)
          local k = rec.source:match("_tool_log%.log_(%d+)$")
          if k then
            ours = mlab.understand_prompt(blocks[tonumber(k) + 1], args.things_to_look_for)
          else
            -- The merge: every block's reply must have been kept.
            local parts = {}
            for i = 1, #blocks do
              for _, r in ipairs(recs) do
                if r.source:match("_tool_log%.log_" .. (i - 1) .. "$") then parts[i] = r.reply end
              end
            end
            if #parts == #blocks then ours = mlab.understand_merge_prompt(args.things_to_look_for, parts) end
          end
        end
      elseif rec.kind == "edit_script" then
        local content = reads_of(case, n, args.script_name) or ""
        ours = mlab.edit_prompt(content, args.edit_instruction)
        local code = mlab.edit_code(rec.reply)
        if code then
          local obs = mlab.edit_observation(args.save_name, content, code)
          if obs == st.observation then edit_obs.identical = edit_obs.identical + 1
          else
            edit_obs.otherwise = edit_obs.otherwise + 1
            print(("DIFFERS edit_script observation %s step %d: %s"):format(case.run_key, n,
              first_diff(obs, st.observation)))
          end
        end
      elseif rec.kind == "reflection" then
        local log = reads_of(case, n, "research_log.log")
        if log then ours = mlab.reflection_prompt(case.problem, log, args.things_to_reflect_on) end
      elseif rec.kind == "retrieval" then
        local log = reads_of(case, n, "research_log.log")
        if log then ours = mlab.retrieval_prompt(case.problem, args.current_plan, log) end
      end
      judge(rec.kind, rec, ours, case, "step " .. n)
      local _ = unwrapped
    end
  end
end

---------------------------------------------------------------------------

local runs, agreed = 0, 0
for _, name in ipairs(cases) do
  local case = require(name)
  runs = runs + 1
  if agent_run(case) then agreed = agreed + 1 end
  tool_prompts(case)
end

print(("runs replayed: %d, the agent took the trace's actions in %d"):format(runs, agreed))
print(("%-22s %9s %10s %9s %11s"):format("kind", "identical", "documented", "otherwise", "not rebuilt"))
local bad = 0
table.sort(order)
for _, kind in ipairs(order) do
  local f = figures[kind]
  print(("%-22s %9d %10d %9d %11d"):format(kind, f.identical, f.documented, f.otherwise, f.unreached))
  bad = bad + f.otherwise
end
print(("%-22s %9d %10s %9d"):format("Edit Script diffs", edit_obs.identical, "", edit_obs.otherwise))
print("documented: CodeLlama's \"<s>[INST] ... [/INST]\" wrapper (the fork's provider code); "
  .. encoded .. " logged in the Windows code page (cp1252 bytes read as UTF-8)")
assert(bad == 0 and edit_obs.otherwise == 0, "prompts differ from the reference's")
