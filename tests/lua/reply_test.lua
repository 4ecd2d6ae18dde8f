-- stdlib/reply.lua: the research agent's six entries, ReAct and AutoGPT
-- replies, each kind of mess models send, and the errors for the rest.
local reply = require("reply")

local ACTIONS = {
  { name = "List Files", args = { { name = "dir_path" } } },
  { name = "Execute Script", args = { { name = "script_name" } } },
  { name = "Edit Script (AI)", args = { { name = "script_name" },
      { name = "edit_instruction" }, { name = "save_name" } } },
  { name = "Edit Script Segment (AI)", args = { { name = "script_name" } } },
  { name = "Final Answer", args = { { name = "final_answer" } } },
}
local O = { actions = ACTIONS }

local CLEAN = [[
Reflection: The files are listed.
Research Plan and Status: 1. Read train.py (done)
2. Improve the model
Fact Check: train.py exists (confirmed by the listing)
Thought: I should run the script.
Action: Execute Script
Action Input: {"script_name": "train.py"}]]

local s = assert(reply.research(CLEAN, O))
assert(s.action == "Execute Script" and s.input.script_name == "train.py")
assert(s.reflection == "The files are listed.")
assert(s.plan == "1. Read train.py (done)\n2. Improve the model", s.plan)
assert(s.fact_check:find("confirmed") and s.thought == "I should run the script.")
assert(#s.notes == 0 and s.raw_input == '{"script_name": "train.py"}')

-- Tolerated: chat prose first, Markdown headers, fenced JSON, the stop
-- text and an imagined next step after it.
local MESSY = [[
  Sure! Here is my response:

**Reflection:** nothing yet
## Research Plan and Status
- read the code
**Fact Check**: none
Thought:  let me look
**Action:** `List Files`
Action Input:
```json
{"dir_path": "."}
```
Observation:
```
train.py
```
Reflection: I see train.py
Action: Execute Script]]
s = assert(reply.research(MESSY, O))
assert(s.action == "List Files" and s.input.dir_path == ".")
assert(s.reflection == "nothing yet" and s.plan == "- read the code")

-- Renamed headers ("Plan and Status:", "Check:"), snake_case and extra words
-- in the action name, a one-line "Action: X Action Input: {...}".
s = assert(reply.research([[
Reflection: r
Plan and Status: p
Check: c
Thoughts: t
Action: execute_script on train.py
Action Input: {'script_name': 'train.py'}]], O))
assert(s.action == "Execute Script" and s.plan == "p" and s.fact_check == "c")
assert(s.input.script_name == "train.py")
s = assert(reply.research("Reflection: r\nResearch Plan and Status: p\nFact Check: c\n"
  .. "Thought: t\nAction: List Files. Action Input: {\"dir_path\": \"data\"}", O))
assert(s.action == "List Files" and s.input.dir_path == "data", s.raw_input)
s = assert(reply.research(CLEAN:gsub("Execute Script", "Action: Edit Script Segment"), O))
assert(s.action == "Edit Script Segment (AI)")

-- A reply whose JSON is broken still parses: the input error travels with
-- the step so the action dispatcher can answer it as an observation.
s = assert(reply.research(CLEAN:gsub('{"script_name": "train.py"}', '{"script_name": '), O))
assert(s.action == "Execute Script" and s.input == nil and s.input_error:find("cut off"))

-- Rejected, each with a precise reason.
local r, err, info = reply.research("", O)
assert(r == nil and info.kind == "empty" and err == "the reply is empty")
r, err, info = reply.research("  I apologize for the confusion. Let me try again.", O)
assert(r == nil and info.kind == "missing" and #info.missing == 6, err)
-- Stopped right after "Fact Check:".
r, err, info = reply.research("Reflection: a\nResearch Plan and Status: b\nFact Check:", O)
assert(r == nil and info.kind == "missing")
assert(err:find("missing the entries Thought, Action and Action Input", 1, true), err)
assert(err:find("(it has Reflection, Research Plan and Status and Fact Check)", 1, true), err)
r, err, info = reply.research(CLEAN:gsub("Fact Check: [^\n]*\n", ""), O)
assert(r == nil and err:find("missing the entry Fact Check", 1, true) and info.missing[1] == "Fact Check", err)
r, err, info = reply.research(CLEAN:gsub("Execute Script", "Run Training"), O)
assert(r == nil and info.kind == "unknown_action", err)
assert(err:find("'Run Training' is not a valid action") and err:find("List Files, Execute Script"), err)
r, err, info = reply.research(CLEAN:gsub("Execute Script", "Edit Script"), O)
assert(r == nil and err:find("ambiguous") and err:find("Edit Script %(AI%) and Edit Script Segment"), err)
r, err = reply.research(CLEAN:gsub("Execute Script", ""), O)
assert(r == nil and err:find("Action entry is empty"), err)
-- Fewer entries may be required.
s = assert(reply.research("Thought: t\nAction: List Files\nAction Input: {}", {
  actions = ACTIONS, required = { "Action", "Action Input" } }))
assert(s.action == "List Files" and next(s.input) == nil)

-- sections() keeps the order and drops text before the first header.
local secs = reply.sections("hello\nThought: a\nb\nAction: X\n")
assert(#secs == 2 and secs[1].field == "Thought" and secs[1].text == "a\nb")
assert(secs[2].field == "Action" and secs[2].text == "X")

-- match_action on its own.
assert(reply.match_action("**Final Answer**", ACTIONS) == "Final Answer")
assert(reply.match_action("edit_script_ai", ACTIONS) == "Edit Script (AI)")
assert(reply.match_action("ListFiles", { "List Files" }) == "List Files")
local name, note = reply.match_action("Execute Script train.py", { "Execute Script" })
assert(name == "Execute Script" and note:find("ignored"))

-- ReAct: Thought / Action / Action Input, or LangChain's Final Answer.
s = assert(reply.react("Thought: look around\nAction: List Files\nAction Input: {\"dir_path\": \".\"}\nObservation:", O))
assert(s.action == "List Files" and s.input.dir_path == "." and s.thought == "look around")
s = assert(reply.react("Thought: I now know the final answer\nFinal Answer: SVC gets 0.98", O))
assert(s.action == "Final Answer" and s.input.final_answer == "SVC gets 0.98")
r, err, info = reply.react("Thought: hmm, not sure", O)
assert(r == nil and info.kind == "no_action" and err:find("no Action line"), err)
r, err, info = reply.react("Thought: t\nAction: List Files", O)
assert(r == nil and info.kind == "missing" and info.missing[1] == "Action Input", err)
r, err, info = reply.react("Action: Fly\nAction Input: {}", O)
assert(r == nil and info.kind == "unknown_action", err)

-- AutoGPT: one JSON object with thoughts and a command.
s = assert(reply.command([[
```json
{"thoughts": {"text": "run it", "reasoning": "need a score", "plan": "- run\n- edit",
  "criticism": "none", "speak": "Running."},
 "command": {"name": "execute_script", "args": {"script_name": "train.py"}}}
```]], O))
assert(s.action == "Execute Script" and s.input.script_name == "train.py")
assert(s.thoughts.reasoning == "need a score")
s = assert(reply.command('{"command": {"name": "Final Answer"}}', O))
assert(s.action == "Final Answer" and next(s.input) == nil)
s = assert(reply.command('{"command": {"name": "List Files", "args": "."}}', O))
assert(s.input == nil and s.input_error:find("object"))
r, err, info = reply.command("I will run the script now.", O)
assert(r == nil and info.kind == "bad_json" and err:find("the reply is not a JSON object"), err)
r, err, info = reply.command('{"thoughts": {"text": "x"}}', O)
assert(r == nil and info.kind == "no_action" and err:find('"command"'), err)
r, err, info = reply.command('{"command": {"name": "google", "args": {}}}', O)
assert(r == nil and info.kind == "unknown_action" and err:find("'google'"), err)
r, err, info = reply.command("", O)
assert(r == nil and info.kind == "empty")
print("reply: ok")

-- Issue 15, item 9: plan lines that begin with a short name of an entry
-- ("2. Check: ...", "3. Input: ...", "- Input: ...") stay in the plan;
-- listed headers count by an entry's full name only.
local PLANNED = [[
Reflection: The data is loaded.
Research Plan and Status:
1. Read the data (done)
2. Check: the class balance
3. Input: the 64 pixel columns
- Input: scaled to 0-1
Fact Check: the data is loaded (confirmed)
Thought: run the baseline
Action: Execute Script
Action Input: {"script_name": "train.py"}]]
local p = assert(reply.research(PLANNED, O))
assert(p.action == "Execute Script" and p.input.script_name == "train.py", p.action)
assert(p.plan:find("2. Check: the class balance\n3. Input: the 64 pixel columns\n- Input: scaled to 0-1", 1, true), p.plan)
assert(p.fact_check == "the data is loaded (confirmed)", p.fact_check)
-- A numbered header by its full name still counts.
p = assert(reply.research(PLANNED:gsub("Fact Check:", "3. Fact Check:"), O))
assert(p.fact_check == "the data is loaded (confirmed)" and p.plan:find("- Input: scaled", 1, true))
