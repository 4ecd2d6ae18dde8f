-- reply.lua - reading what a model replied: the research agent's six
-- entries, a ReAct step, an AutoGPT-style JSON command.
--
-- Tolerant of what models really send (checked against 1,035 replies of
-- real MLAgentBench runs, see tests/fixtures/replies/): Markdown around
-- the headers (**Action:**, ## Thought), renamed headers ("Plan and
-- Status:", "Check:"), chat prose before the first entry, the stop text
-- "Observation:" and anything the model wrote after it, a second made-up
-- step after the first, action names with extra words or in snake_case,
-- and Action Input JSON in any state action_input.lua can read.  What is
-- missing is reported by name so a retry can say exactly what to fix.
--
--   reply.sections(text, specs)          -> list of {field, text}
--   reply.match_action(text, actions)    -> name, note | nil, message
--   reply.research(text [, opts])        -> step | nil, message, info
--   reply.react(text [, opts])           -> step | nil, message, info
--   reply.command(text [, opts])         -> step | nil, message, info
--   reply.FIELDS                         the six research entries
--
-- opts.actions: names (strings) or catalogue entries ({name=, args=}); the
-- action must be one of them.  opts.required: the entries that must be
-- present (default: all six for research).  A step is
--   { action = name, input = table | nil, input_error = msg | nil,
--     raw_input = text, fields = { [entry] = text }, notes = { ... },
--     reflection, plan, fact_check, thought (research only) }
-- info.kind on failure: "empty", "missing", "unknown_action", "no_action".
local action_input = require("action_input")

local M = {}

M.FIELDS = { "Reflection", "Research Plan and Status", "Fact Check", "Thought",
             "Action", "Action Input" }

-- Header names a model may use for each entry (lower case, single spaces).
local RESEARCH_SPECS = {
  { field = "Reflection", names = { "reflection", "reflections" } },
  { field = "Research Plan and Status", names = {
      "research plan and status", "research plan & status", "research plan and statuses",
      "research plan status", "plan and status", "plan & status", "research plan",
      "research plan and progress" } },
  { field = "Fact Check", names = { "fact check", "fact checks", "fact checking",
      "fact-check", "facts check", "check", "fact" } },
  { field = "Thought", names = { "thought", "thoughts", "thinking" } },
  { field = "Action", names = { "action", "action name" } },
  { field = "Action Input", names = { "action input", "action_input", "action inputs",
      "action input json", "input" } },
}

local REACT_SPECS = {
  { field = "Thought", names = { "thought", "thoughts" } },
  { field = "Action", names = { "action", "action name" } },
  { field = "Action Input", names = { "action input", "action_input", "action inputs", "input" } },
  { field = "Final Answer", names = { "final answer" } },
}

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function words(s)
  return trim(s:lower():gsub("[^%w]+", " "))
end

-- "A, B and C"
local function join(list)
  if #list <= 1 then return list[1] or "" end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

-- If the line starts with a header, its field and the text after the colon.
-- A line of a list ("2. Check: ...", "- Input: ...") is a header only by
-- an entry's full name: plans are lists, and a step of one may well start
-- with a word that is also a short name of an entry.
local function header(line, specs)
  local listed = line:match("^%s*%d+[%.%)]%s") or line:match("^%s*[%-%+]%s") or line:match("^%s*%*%s")
  -- Markdown and list marks before a header: **, ##, "- ", "> ", "1. ".
  local body = line:gsub("^[%s>#%*_%-]*", ""):gsub("^%d+[%.%)]%s+", "")
  local name, rest = body:match("^([%a][%a_&%- ]-)[%s%*_]*%b()[%s%*_]*:(.*)$")
  if not name then name, rest = body:match("^([%a][%a_&%- ]-)[%s%*_]*:(.*)$") end
  -- A Markdown heading or bold line with no colon: "## Thought", "**Action**".
  if not name and (line:find("^%s*#") or line:find("^%s*%*%*")) then
    name, rest = body:match("^([%a][%a_&%- ]-)[%s%*_]*$"), ""
  end
  if not name or #name > 40 then return nil end
  local key = trim(name:lower():gsub("[%s_]+", " "))
  for _, spec in ipairs(specs) do
    for i, n in ipairs(spec.names) do
      if key == n and (not listed or i == 1) then
        return spec.field, (rest:gsub("^[%s%*_]*", ""))
      end
    end
  end
  return nil
end

-- Splits text into entries at header lines.  Text before the first header
-- is dropped (chat prose); a header seen twice ends the step (the model
-- went on to imagine the next one), and so does an "Observation:" line
-- once the Action has been written.
function M.sections(text, specs)
  specs = specs or RESEARCH_SPECS
  local out, seen, cur = {}, {}, nil
  local ended = false
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    if not ended then
      local field, rest = header(line, specs)
      local obs = line:match("^[%s%*#_]*[Oo]bservation[%s%*_]*:")
      if obs and (seen["Action"] or seen["Action Input"]) then
        ended = true
      elseif field and seen[field] then
        ended = true
      elseif field then
        seen[field] = true
        cur = { field = field, lines = { rest } }
        out[#out + 1] = cur
      elseif cur then
        cur.lines[#cur.lines + 1] = line
      end
    end
  end
  for _, s in ipairs(out) do
    s.text = trim(table.concat(s.lines, "\n"))
    s.lines = nil
  end
  return out
end

local function action_names(actions)
  local names = {}
  for i, a in ipairs(actions or {}) do names[i] = type(a) == "table" and a.name or a end
  return names
end

local function arg_keys(actions, name)
  for _, a in ipairs(actions or {}) do
    if type(a) == "table" and a.name == name and a.args then
      local keys = {}
      for i, arg in ipairs(a.args) do keys[i] = arg.name end
      return keys
    end
  end
  return nil
end

-- The action a model named.  text may carry Markdown, quotes, a trailing
-- period, extra words ("Execute Script on train.py") or snake_case.
function M.match_action(text, actions)
  local names = action_names(actions)
  local first = trim((text or ""):match("^%s*([^\n]*)") or "")
  first = first:gsub("[%*`\"']", "")
  -- "Action: Action: Execute Script" (the header written twice).
  first = trim(first):gsub("^[Aa]ction%s*:%s*", "")
  if first == "" then
    return nil, "the Action entry is empty; name one of: " .. table.concat(names, ", ")
  end
  local w = words(first)
  local by_len = {}
  for _, n in ipairs(names) do by_len[#by_len + 1] = n end
  table.sort(by_len, function(a, b) return #a > #b end)
  for _, n in ipairs(by_len) do
    if words(n) == w then return n end
  end
  -- No space between words (snake_case without separators, "ListFiles").
  local squashed = w:gsub(" ", "")
  for _, n in ipairs(by_len) do
    if words(n):gsub(" ", "") == squashed then return n end
  end
  for _, n in ipairs(by_len) do
    if w:sub(1, #words(n) + 1) == words(n) .. " " then
      return n, "words after the action name ignored"
    end
  end
  -- A unique, several-word prefix of a name ("Edit Script Segment").
  local hits = {}
  for _, n in ipairs(names) do
    if w:find(" ", 1, true) and (words(n) .. " "):sub(1, #w + 1) == w .. " " then
      hits[#hits + 1] = n
    end
  end
  if #hits == 1 then return hits[1], "action name completed" end
  if #hits > 1 then
    return nil, ("the Action '%s' is ambiguous: it could be %s"):format(first, join(hits))
  end
  return nil, ("'%s' is not a valid action; the valid actions are: %s"):format(
    first, table.concat(names, ", "))
end

-- The action and its input from the Action and Action Input entries.
local function action_step(step, fields, opts)
  local name, note = M.match_action(fields["Action"], opts.actions)
  if not name then return nil, note, "unknown_action" end
  if note then step.notes[#step.notes + 1] = note end
  step.action = name
  step.raw_input = fields["Action Input"] or ""
  local input, err = action_input.parse(step.raw_input, arg_keys(opts.actions, name))
  if input then
    step.input = input
    for _, n in ipairs(err) do step.notes[#step.notes + 1] = n end
  else
    step.input_error = err
  end
  return step
end

local function collect(text, specs)
  local fields, found = {}, {}
  for _, s in ipairs(M.sections(text, specs)) do
    fields[s.field] = s.text
    found[#found + 1] = s.field
  end
  -- "Action: List Files Action Input: {...}" on one line.
  local action = fields["Action"]
  local a, b = (action or ""):lower():find("action input%s*:")
  if a and not fields["Action Input"] then
    fields["Action Input"] = trim(action:sub(b + 1))
    fields["Action"] = action:sub(1, a - 1)
    found[#found + 1] = "Action Input"
  end
  return fields, found
end

local function missing_message(missing, found, all)
  local msg = ("the reply is missing %s %s"):format(
    #missing == 1 and "the entry" or "the entries", join(missing))
  if #found > 0 then
    msg = msg .. " (it has " .. join(found) .. ")"
  end
  return msg .. "; reply with all of: " .. table.concat(all, ", ")
end

function M.research(text, opts)
  opts = opts or {}
  if type(text) ~= "string" or trim(text) == "" then
    return nil, "the reply is empty", { kind = "empty" }
  end
  local fields, found = collect(text, RESEARCH_SPECS)
  local required = opts.required or M.FIELDS
  local missing = {}
  for _, f in ipairs(required) do
    if fields[f] == nil then missing[#missing + 1] = f end
  end
  if #missing > 0 then
    return nil, missing_message(missing, found, required),
      { kind = "missing", missing = missing, found = found }
  end
  local step = {
    fields = fields, notes = {}, reflection = fields["Reflection"],
    plan = fields["Research Plan and Status"], fact_check = fields["Fact Check"],
    thought = fields["Thought"],
  }
  if not fields["Action"] then
    return nil, "the reply has no Action", { kind = "no_action", found = found }
  end
  local ok, err, kind = action_step(step, fields, opts)
  if not ok then return nil, err, { kind = kind, found = found } end
  return step
end

-- A ReAct step: Thought, Action, Action Input; or LangChain's
-- "Final Answer: ..." which becomes the Final Answer action.
function M.react(text, opts)
  opts = opts or {}
  if type(text) ~= "string" or trim(text) == "" then
    return nil, "the reply is empty", { kind = "empty" }
  end
  local fields, found = collect(text, REACT_SPECS)
  local step = { fields = fields, notes = {}, thought = fields["Thought"] }
  if not fields["Action"] and fields["Final Answer"] then
    step.action, step.input = "Final Answer", { final_answer = fields["Final Answer"] }
    step.raw_input = fields["Final Answer"]
    return step
  end
  if not fields["Action"] then
    return nil, "the reply has no Action line (write Thought:, Action: and Action Input:, "
      .. "or Final Answer:)", { kind = "no_action", found = found }
  end
  if not fields["Action Input"] then
    return nil, "the reply has an Action but no Action Input",
      { kind = "missing", missing = { "Action Input" }, found = found }
  end
  local ok, err, kind = action_step(step, fields, opts)
  if not ok then return nil, err, { kind = kind, found = found } end
  return step
end

-- An AutoGPT-style reply: one JSON object
--   {"thoughts": {"text", "reasoning", "plan", "criticism", "speak"},
--    "command": {"name": "...", "args": {...}}}
function M.command(text, opts)
  opts = opts or {}
  if type(text) ~= "string" or trim(text) == "" then
    return nil, "the reply is empty", { kind = "empty" }
  end
  local obj, err = action_input.parse(text)
  if not obj then
    return nil, (err:gsub("Action Input", "the reply")), { kind = "bad_json" }
  end
  local cmd = obj.command
  if type(cmd) ~= "table" or type(cmd.name) ~= "string" then
    return nil, 'the reply has no "command": {"name": ..., "args": {...}}',
      { kind = "no_action" }
  end
  local name, note = M.match_action(cmd.name, opts.actions)
  if not name then return nil, note, { kind = "unknown_action" } end
  local step = { action = name, thoughts = type(obj.thoughts) == "table" and obj.thoughts or {},
                 notes = { note }, fields = obj }
  if cmd.args == nil then
    step.input = {}
  elseif type(cmd.args) == "table" then
    step.input = cmd.args
  else
    step.input_error = '"args" must be a JSON object'
  end
  return step
end

return M
