-- mlagentbench.lua - the reference study's texts and rules, exactly.
--
-- MLAgentBench (snap-stanford/MLAgentBench, Huang et al. 2024) is the
-- system mlab reproduces.  This module holds what its research agent and
-- its environment wrote and read, byte for byte as its Python did: the
-- prompts (with their odd indentation and typos, which the models saw),
-- how a reply is cut into entries, how an Action Input is parsed, and the
-- observations of the actions.  agents/research.lua, the action catalogue
-- (lua/actions.lua) and the prompt-comparison test (tests/fidelity/) use
-- it; docs/fidelity.md says where mlab differs and why.
--
-- Agent side:
--   M.ACTIONS                  the 16 action names, in the environment's order
--   M.PROMPT_HIDDEN            actions never shown in the research prompt
--   M.RETRIEVAL_ONLY           shown only with the research log (retrieval)
--   M.FIELDS, M.FORMAT         the reply entries and what each is for
--   M.AI_PROMPT                "\n\nAssistant:" (upstream wrote it before
--                              each step of the history; the fork did not)
--   M.tools_prompt(entries) -> text      the tool list of the prompt
--   M.tool_prompt(entry) -> text         one tool's description and usage
--   M.initial_prompt(tools, problem, fields) -> text
--   M.parse_entries(text, fields) -> entries | nil   its regex, greedy
--   M.print_action(entries, fields) -> text
--   M.parse_action_input(text, keys) -> table | nil, message (str(e))
--   M.input_parsing_error(name, entry, message) -> observation text
--   M.retry_note(fields) -> text         appended to a prompt on a retry
--   M.history_header(retrieved) -> text  the retrieval block of the prompt
--   M.observation_blocks(text) -> list   10,000-character blocks
--   M.observation_prompt(action, block, first, last) -> text
--   M.observation_merge_prompt(action, parts) -> text
--   M.summary_prompt(action, observation) -> text  (research log entries)
--   M.after(text, marker) -> text.split(marker)[1] or nil
-- Environment side:
--   M.usage(entry) -> "{\n            k: [v]...\n}"   M.bad_input(entry)
--   M.understand_blocks(text) -> list of {text, first, last, first_char, last_char}
--   M.understand_prompt(block, things) / M.understand_merge_prompt(things, parts)
--   M.edit_prompt(code, instruction) / M.edit_segment_prompt(code, instruction)
--   M.edit_code(reply) -> code | nil     what follows "```python", stripped
--   M.edit_observation(save_name, old, new) -> text (difflib's diff)
--   M.reflection_prompt(problem, log, things) / M.retrieval_prompt(problem, plan, log)
--   M.execute_observation(stdout, stderr, status) -> text
--   M.inspect(text, first, last) -> text | nil, message
--   M.int(v) -> integer | nil   Python's int() on a JSON value
--   M.slice(list, i, j) -> list[i:j] (Python's rules)
--   M.invalid_action(name, names), M.SHUTDOWN, M.ERRORS (EnvError texts)
-- The reference's texts are kept verbatim: long lines, trailing blanks.
-- luacheck: no max line length, ignore 613
local pyjson = require("pyjson")
local difflib = require("difflib")

local M = {}

M.ACTIONS = { "List Files", "Read File", "Write File", "Append File", "Copy File",
  "Undo Edit Script", "Execute Script", "Python REPL", "Final Answer", "Understand File",
  "Append Summary to Research Log", "Inspect Script Lines", "Edit Script (AI)",
  "Edit Script Segment (AI)", "Reflection", "Retrieval from Research Log" }

M.PROMPT_HIDDEN = { "Read File", "Write File", "Append File", "Retrieval from Research Log",
  "Append Summary to Research Log", "Python REPL", "Edit Script Segment (AI)" }

M.RETRIEVAL_ONLY = { "Retrieval from Research Log", "Append Summary to Research Log", "Reflection" }

M.FIELDS = { "Reflection", "Research Plan and Status", "Fact Check", "Thought", "Action", "Action Input" }

M.FORMAT = {
  ["Reflection"] = "What does the observation mean? If there is an error, what caused the error and how to debug?",
  ["Research Plan and Status"] = "The full high level research plan, with current status and confirmed results of each step briefly annotated. It must only include progress that has been made by previous steps. If there is any update, enclose the new update text in double asterisks **like this**. If there is no update, just copy the previous step Research Plan and Status. The high level plan from the previous step should be fully retained, unless it is intentionally revised.",
  ["Fact Check"] = "List all objective statements in the updates to Research Plan and Status one by one and point out whether it is guessed versus directly confirmed by the previous observation directly above. Performance numbers can only be confirmed by running the code and observing the output.",
  ["Thought"] = "What you are currently doing, what actions to perform and why",
  ["Action"] = "the action to take, should be one of the names of the tools",
  ["Action Input"] = "the input to the action as a valid JSON string",
}

M.AI_PROMPT = "\n\nAssistant:"

M.SHUTDOWN = "The environment has shut down because the maximum number of steps or time has "
  .. "been reached. Please submit your final answer."

---------------------------------------------------------------------------
-- The research agent's prompt

-- One tool: construct_tool_prompt (the f-string, then .strip() + "\n\n").
local function tool_prompt(e)
  local usage = {}
  for i, a in ipairs(e.args or {}) do usage[i] = ('"%s": [%s]'):format(a.name, a.description or "") end
  return ("%s\n        Usage:\n        ```\n        Action: %s\n        Action Input: {\n            %s\n"
    .. "        }\n        Observation: [%s]\n        ```"):format(e.description or "", e.name,
    table.concat(usage, ",\n            "), e.returns or "") .. "\n\n"
end

M.tool_prompt = tool_prompt

function M.tools_prompt(entries)
  local out = {}
  for i, e in ipairs(entries) do out[i] = "- " .. e.name .. ":\n        " .. tool_prompt(e) end
  return table.concat(out)
end

local INSTRUCTIONS = [[
Follow these instructions and do not forget them:
- First, come up with a high level plan based on your understanding of the problem and available tools and record it in the Research Plan and Status. You can revise the plan later.
- Research Plan and Status should well organized and succinctly keep track of 1) high level plan (can be revised), 2) what steps have been done and what steps are in progress, 3) short results and conclusions of each step after it has been performed. 
- Research Plan and Status must only include progress that has been made by previous steps. It should not include results not directly confirmed by the previous observation. 
- Performance numbers and estimates can only be confirmed and included in the status by running the code and observing the output.
- You should come up with a good experiment design that addresses the problem, and whenever applicable, define and measure the baseline performance of the relevant system or model before attempting any improvements.
- Follow the plan and try to achieve the goal as straightforwardly as possible.
- Highlight the supporting experiment results and reasoning before drawing any conclusions. 
- Do not try installing any new packages or libraries.
- If you believe you have solved the problem, you can use the Final Answer action to submit your answer. You can only submit once, so double check that you have achieved the goal before submitting.]]

M.INSTRUCTIONS = INSTRUCTIONS

function M.format_prompt(fields)
  local lines = {}
  for i, f in ipairs(fields) do lines[i] = f .. ": " .. (M.FORMAT[f] or "") end
  return table.concat(lines, "\n")
end

function M.initial_prompt(tools, problem, fields)
  return "You are a helpful research assistant. You have access to the following tools:\n"
    .. tools .. "\n\nResearch Problem: " .. problem
    .. "\n\nYou do not know anything about this problem so far. \n\n" .. INSTRUCTIONS
    .. "\n\nAlways respond in this format exactly:\n" .. M.format_prompt(fields or M.FIELDS)
    .. "\nObservation: \n```\nthe result of the action\n```\n\n"
end

function M.retry_note(fields)
  return "\n\n Your response was in incorrect format. Please provide a valid response with all entries: "
    .. table.concat(fields, ", ") .. "\n\n"
end

function M.history_header(retrieved)
  return "\n        Here is a summary of relevant actions and observations you have done:\n        ```\n        "
    .. retrieved .. "\n        ```\n        Here are the exact several steps you have done most recently (up to 3 steps):\n        "
end

-- All start positions of `lit` in s.
local function occurrences(s, lit)
  local out, i = {}, 1
  while true do
    local a = s:find(lit, i, true)
    if not a then return out end
    out[#out + 1] = a
    i = a + 1
  end
end

-- Python's re.search for L1 (G1) L2 (G2) ... Ln (Gn) where each Gi is a
-- greedy [\s\S]*: the leftmost L1 from which a match exists, each group
-- running to the last Li+1 that still lets the rest match.  labels[k] =
-- list of {start, stop} spans (sorted by start).  Returns the group texts.
local function greedy_chain(s, labels)
  local n = #labels
  local chosen = {}
  local limit = #s + 1 -- the next label must end by here
  for k = n, 2, -1 do
    local pick
    for i = #labels[k], 1, -1 do
      local span = labels[k][i]
      if span[2] + 1 <= limit then pick = span; break end
    end
    if not pick then return nil end
    chosen[k] = pick
    limit = pick[1]
  end
  for _, span in ipairs(labels[1]) do
    if span[2] + 1 <= limit then chosen[1] = span; break end
  end
  if not chosen[1] then return nil end
  local groups = {}
  for k = 1, n do
    local from = chosen[k][2] + 1
    local to = k < n and chosen[k + 1][1] - 1 or #s
    groups[k] = s:sub(from, to)
  end
  return groups
end

function M.parse_entries(s, fields)
  if type(s) ~= "string" then return nil end
  local labels = {}
  for k, f in ipairs(fields) do
    local name = pyjson.strip(f) .. ":"
    local spans = {}
    for _, a in ipairs(occurrences(s, name)) do spans[#spans + 1] = { a, a + #name - 1 } end
    labels[k] = spans
  end
  local groups = greedy_chain(s, labels)
  if not groups then return nil end
  local out = {}
  for k, f in ipairs(fields) do out[pyjson.strip(f)] = groups[k] end
  return out
end

function M.print_action(entries, fields)
  local out = {}
  for i, f in ipairs(fields) do out[i] = f .. ": " .. (entries[f] or "") end
  return table.concat(out)
end

-- Agent.sanitize_json_string.
function M.sanitize(s)
  s = pyjson.strip(pyjson.strip(s, "`json"), "`")
  s = pyjson.strip(s)
  s = s:gsub("\\", "\\\\"):gsub("/", "\\/"):gsub("\b", "\\b"):gsub("\f", "\\f")
    :gsub("\r", "\\r"):gsub("\t", "\\t")
  return (s:gsub('"([^"]*)"', function(inner) return '"' .. inner:gsub("\n", "\\n") .. '"' end))
end

local WS_CLASS = "[\t\n\v\f\r\28-\31 ]"

-- Agent.parse_action_input_by_matching: nil when the pattern fails.
local function by_matching(s, keys)
  local open = s:find("{", 1, true)
  s = open and s:sub(open + 1) or s
  local close = s:match(".*()}")
  if close then s = s:sub(1, close - 1) else s = pyjson.sub(s, 0, -1) end
  local labels = {}
  for k, key in ipairs(keys) do
    local lit = '"' .. key .. '":'
    local spans = {}
    for _, a in ipairs(occurrences(s, lit)) do
      if k == 1 then
        spans[#spans + 1] = { a, a + #lit - 1 }
      else
        local b = a - 1
        while b >= 1 and s:sub(b, b):match(WS_CLASS) do b = b - 1 end
        if b >= 1 and s:sub(b, b) == "," then spans[#spans + 1] = { b, a + #lit - 1 } end
      end
    end
    labels[k] = spans
  end
  if #keys == 0 then return nil end
  local groups = greedy_chain(s, labels)
  if not groups then return nil end
  local items = {}
  for k, key in ipairs(keys) do items[k] = { key, pyjson.strip(pyjson.strip(groups[k]), '"') } end
  return pyjson.object(items)
end

local function same_keys(d, keys)
  local want = {}
  for _, k in ipairs(keys) do want[k] = true end
  local n = 0
  for k in pairs(d) do
    if not want[k] then return false end
    n = n + 1
  end
  local distinct = 0
  for _ in pairs(want) do distinct = distinct + 1 end
  return n == distinct
end

-- Agent.parse_action_input: the dict, or nil and str(e) of the exception
-- it raised (a json.loads error, "Argument mismatch", or an
-- AttributeError when the JSON was not an object).
function M.parse_action_input(s, keys)
  local d, err = pyjson.loads(s)
  if d == nil then
    s = M.sanitize(s)
    d, err = pyjson.loads(s)
  end
  if d ~= nil then
    if not pyjson.is_object(d) then
      err = ("'%s' object has no attribute 'keys'"):format(pyjson.type_name(d))
    elseif not same_keys(d, keys) then
      err = "Argument mismatch"
    else
      return d
    end
  end
  local m = by_matching(s, keys)
  if m then return m end
  return nil, err
end

-- The usage block of an error message: "{\n            k: [v],\n...\n}".
function M.usage(entry)
  local parts = {}
  for i, a in ipairs(entry.args or {}) do parts[i] = ("%s: [%s]"):format(a.name, a.description or "") end
  return "{\n            " .. table.concat(parts, ",\n            ") .. "\n}"
end

function M.input_parsing_error(name, entry, message)
  return "ActionInputParsingError: " .. message .. "\n" .. ("The action input for %s needs to be a valid "
    .. "json with proper entries. You may have missed the comma between entries or used triple quotes "
    .. "(json does not recognizes triple quotes). Please use the correct format and try again:\n%s")
    :format(name, M.usage(entry))
end

-- The environment's message for arguments its function could not take.
function M.bad_input(entry)
  return ("The action input for %s needs to be a valid json with proper entries. You may have missed "
    .. "the comma between entries. Please use the correct format and try again:\n%s"):format(entry.name,
    M.usage(entry))
end

function M.invalid_action(name, names)
  return ("Invalid action: %s. Action did not execute. Please use one of the following actions:\n%s")
    :format(name, table.concat(names, ", "))
end

-- text.split(marker)[1] (Python): what lies between the first and the
-- second marker; nil when there is no marker.
function M.after(text, marker)
  local a, b = text:find(marker, 1, true)
  if not a then return nil end
  local c = text:find(marker, b + 1, true)
  return text:sub(b + 1, c and c - 1 or #text)
end

---------------------------------------------------------------------------
-- Summaries the research agent asks for

-- observation[i:i+bs] for i in range(0, len(observation), bs)
function M.observation_blocks(text, bs)
  bs = bs or 10000
  local out = {}
  local n = pyjson.len(text)
  for i = 0, n - 1, bs do out[#out + 1] = pyjson.sub(text, i, i + bs) end
  return out
end

function M.observation_prompt(action, block, first, last)
  return ("\n%s\n\nThe full observation is too long. Given this (partial) observation from character %d "
    .. "to character %d: \n``` \n%s\n```\nSummarize the observation concisely in this format:\n"
    .. "[Observation]: Summarize all relevant details in the observation objectively\n\n"
    .. "Do not include any result that is guessed rather than directly confirmed by the observation. "
    .. "Do not include additional information or suggestions.\n"):format(action, first, last, block)
end

-- The parts joined as the reference did ("Segment {idx}" is written as
-- such: its f-string lacked the f).
local function segments(parts)
  local out = {}
  for i, p in ipairs(parts) do out[i] = "Segment {idx}: \n\n" .. p end
  return table.concat(out, "\n\n")
end

function M.observation_merge_prompt(action, parts)
  return ("\n%s\n\nThe full observation is too long. \nGiven summaries for each segments of the whole "
    .. "observation, summarize to get a cohesive description of the entire observation.\n%s\n\n"
    .. "Summarize the observation concisely in this format:\n[Observation]: Summarize all relevant "
    .. "details in the observation objectively\n\nDo not include any result that is guessed rather than "
    .. "directly confirmed by the observation. Do not include additional information or suggestions.\n")
    :format(action, segments(parts))
end

function M.summary_prompt(action, observation)
  return ("Given your action and the observation: \n        %s \n        [Observation]:\n        ```\n"
    .. "        %s\n        ```\n        Summarize your action and the observation in this format:\n"
    .. "        [Reasoning]: Summarize the reasoning behind the action\n"
    .. "        [Action]: Summarize all relevant details of the action objectively\n"
    .. "        [Observation]: Summarize all relevant details in the observation objectively\n"
    .. "        Do not include any result that is guessed rather than directly confirmed by the "
    .. "observation. Do not include additional information or suggestions.\n        "):format(action,
    observation)
end

---------------------------------------------------------------------------
-- The environment's model-backed actions

function M.slice(list, i, j)
  local n = #list
  i = i or 0
  if j == nil then j = n end
  if i < 0 then i = math.max(n + i, 0) end
  if j < 0 then j = math.max(n + j, 0) end
  i, j = math.min(i, n), math.min(j, n)
  local out = {}
  for k = i + 1, j do out[#out + 1] = list[k] end
  return out
end

-- Python's int() of what json.loads gave: a whole number, a float cut
-- toward zero, a string of digits (blanks and '_' between digits
-- allowed), a bool; nil when int() would raise.
function M.int(v)
  if type(v) == "boolean" then return v and 1 or 0 end
  if math.type(v) == "integer" then return v end
  if math.type(v) == "float" then
    if v ~= v or v == math.huge or v == -math.huge then return nil end
    return math.tointeger(v < 0 and math.ceil(v) or math.floor(v))
  end
  if type(v) == "string" then
    local t = pyjson.strip(v)
    local sign, digits = t:match("^([+-]?)(%d[%d_]*)$")
    if not digits or digits:find("__", 1, true) or digits:sub(-1) == "_" then return nil end
    local n = math.tointeger(tonumber(digits:gsub("_", ""), 10))
    if not n then return nil end
    return sign == "-" and -n or n
  end
  return nil
end

function M.understand_blocks(content)
  local lines = pyjson.split(content, "\n")
  local blocks = {}
  local counter = 1
  while counter <= #lines do
    local block, joined = {}, 0
    local first = counter
    while counter <= #lines and joined + pyjson.len(lines[counter]) < 10000 do
      local l = pyjson.len(lines[counter])
      joined = (#block == 0) and l or (joined + 1 + l)
      block[#block + 1] = lines[counter]
      counter = counter + 1
    end
    if #block > 0 then
      blocks[#blocks + 1] = { text = table.concat(block, "\n"), first = first, last = counter - 1 }
    else
      local line = lines[counter]
      for i = 0, pyjson.len(line) - 1, 10000 do
        blocks[#blocks + 1] = { text = pyjson.sub(line, i, i + 10000), first = first, last = first }
      end
      counter = counter + 1
    end
  end
  for idx, b in ipairs(blocks) do
    -- sum(len(b) for b in blocks[:idx]) measured tuples of three
    b.first_char = 3 * (idx - 1)
    b.last_char = b.first + pyjson.len(b.text)
  end
  return blocks
end

function M.understand_prompt(b, things)
  return ("Given this (partial) file from line %d character %d to line %d character %d: \n    ``` \n"
    .. "    %s\n    ```\n    Here is a detailed description on what to look for and what should returned: %s\n"
    .. "    The description should short and also reference crtical lines in the script relevant to what "
    .. "is being looked for. Only describe what is objectively confirmed by the file content. Do not "
    .. "include guessed numbers. If you cannot find the answer to certain parts of the request, you "
    .. "should say \"In this segment, I cannot find ...\".\n    "):format(b.first, b.first_char, b.last,
    b.last_char, b.text, pyjson.str(things))
end

function M.understand_merge_prompt(things, parts)
  return ("Given the relevant observations for each segments of a file, summarize to get a cohesive "
    .. "description of the entire file on what to look for and what should returned: %s\n    %s\n    ")
    :format(pyjson.str(things), segments(parts))
end

function M.edit_prompt(code, instruction)
  return ("Given this python script:\n    ```python \n    %s\n    ```\n    Edit the script by following "
    .. "the instruction:\n    %s\n    Provide the full code after the edit, making no other changes. Start "
    .. "the python code with \"```python\". \n\n    "):format(code, pyjson.str(instruction))
end

function M.edit_segment_prompt(code, instruction)
  return ("Given this segment of a python script:\n    ```python \n    %s\n    ```\n    Edit this segemnt "
    .. "by following the instruction:\n    %s\n    Provide the full code after the edit, making no other "
    .. "changes. Start the python code with \"```python\". \n\n    "):format(code, pyjson.str(instruction))
end

function M.edit_code(reply)
  local parts = pyjson.split(reply, "```python")
  if #parts < 2 then return nil end
  return pyjson.strip(pyjson.split(parts[2], "```")[1])
end

function M.edit_observation(save_name, old, new)
  return ("The edited file is saved to %s. Here is the diff, please check if the edit is correct and "
    .. "desirable:\n\n"):format(save_name)
    .. difflib.unified_diff(difflib.splitlines(old), difflib.splitlines(new))
end

function M.reflection_prompt(problem, log, things)
  return ("We are trying to solve this research problem: %s\n    Your current research log:\n    ```\n    %s\n"
    .. "    ```\n    Reflect on this: %s \n    Give an answer in natural language paragraphs as truthfully "
    .. "as possible. \n    "):format(problem, log, pyjson.str(things))
end

function M.retrieval_prompt(problem, plan, log)
  return ("We are trying to solve this research problem: %s\nYour current Research Plan and Status\n%s\n"
    .. "    \nYour current research log:\n```\n%s\n```\nConcisely summarize and list all relevant "
    .. "information from the research log that will be helpful for future step in this format:\n")
    :format(problem, pyjson.str(plan), log)
end

function M.execute_observation(stdout, stderr, status)
  local out
  if status ~= 0 then out = stderr else out = stdout end
  if out == "" and status == 0 then out = stderr end
  return "The script has been executed. Here is the output:\n" .. out
end

-- inspect_script_lines after the file was read.
function M.inspect(text, first, last)
  local s, e = M.int(first), M.int(last)
  if not s or not e then return nil, "start_line_number and end_line_number must be integers" end
  if e - s > 100 then return nil, "the number of lines to display is limited to 100 lines" end
  local lines = pyjson.split(text, "\n")
  local part = M.slice(lines, math.max(s - 1, 0), e)
  return ("Here are the lines (the file ends at line %d):\n\n"):format(#lines) .. table.concat(part, "\n")
end

-- The EnvError texts of the environment's actions ({name} = an argument).
M.ERRORS = {
  outside = "cannot access file {path} because it is not in the work directory.",
  list = "Cannot list file in the {dir_path} directory",
  read = "cannot read file {file_name}",
  write = "cannot write file {file_name}",
  append = "cannot append file {file_name}",
  copy = "File {source} copy to {destination} failed. Check whether the source and destinations are valid.",
  undo = "There is no change to undo.",
  execute = "The file {script_name} does not exist.",
  inspect = "cannot find script {script_name}",
  too_long = "too long input for the tool",
}

function M.error(key, args)
  return "EnvError: " .. (M.ERRORS[key] or key):gsub("{([%w_]+)}", function(k)
    return pyjson.str((args or {})[k] or "")
  end)
end

return M
