-- stdlib/mlagentbench.lua: the reference's reply reading, Action Input
-- parsing and observation texts (expected values from the reference's own
-- Python functions run on the same inputs).
local mlab = require("mlagentbench")
local pj = require("pyjson")
local F = mlab.FIELDS

-- Plan lines such as "2. Check: ..." stay in the plan (exact header names).
local e = assert(mlab.parse_entries("Reflection: r\nResearch Plan and Status: 1. a\n2. Check: the data\n"
  .. "3. Input: none\nFact Check: ok\nThought: t\nAction: List Files\nAction Input: {\"dir_path\": \".\"}", F))
assert(e["Research Plan and Status"] == " 1. a\n2. Check: the data\n3. Input: none\n")
assert(e["Fact Check"] == " ok\n" and e["Action"] == " List Files\n" and e["Action Input"] == ' {"dir_path": "."}')
assert(mlab.print_action(e, F):sub(1, 16) == "Reflection:  r\nR")

-- Markdown stays in the entries (the action "** List Files\n**" is unknown).
e = assert(mlab.parse_entries("**Reflection:** r\n**Research Plan and Status:** p\n**Fact Check:** f\n"
  .. "**Thought:** t\n**Action:** List Files\n**Action Input:** {}", F))
assert(e["Action"] == "** List Files\n**" and e["Action Input"] == "** {}")

-- Greedy: each entry runs to the last header that lets the rest match.
e = assert(mlab.parse_entries("Reflection: a\nResearch Plan and Status: b\nFact Check: c\nThought: Action: is next\n"
  .. "Action: Execute Script\nAction Input: {\"script_name\": \"x.py\"}\nObservation:\nReflection: again\n"
  .. "Action: Final Answer\nAction Input: {}", F))
assert(e["Action"] == " Final Answer\n" and e["Action Input"] == " {}")
assert(e["Thought"]:sub(1, 17) == " Action: is next\n")
assert(mlab.parse_entries("Plan and Status: x\nAction: List Files", F) == nil)

-- Action Input: json.loads, its repairs, its regex, its errors.
local function input(s, keys)
  local d, err = mlab.parse_action_input(s, keys)
  return d and ("OK " .. pj.repr(d)) or ("ERR " .. err)
end
assert(input('{"script_name": "train.py"}', { "script_name" }) == "OK {'script_name': 'train.py'}")
assert(input("{'script_name': 'train.py'}", { "script_name" })
  == "ERR Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")
assert(input('{"script_name": "a/b.py",}', { "script_name" }) == [[OK {'script_name': 'a\\/b.py",'}]])
assert(input('{\n "script_name": "train.py",\n "edit_instruction": "say "hi"\n now",\n "save_name": "t.py"\n}',
  { "script_name", "edit_instruction", "save_name" })
  == [[OK {'script_name': 'train.py', 'edit_instruction': 'say "hi"\\n now', 'save_name': 't.py'}]])
assert(input('["x"]', { "dir_path" }) == "ERR 'list' object has no attribute 'keys'")
assert(input('{"a": 1}', { "dir_path" }) == "ERR Argument mismatch")
assert(input('```json\n{"dir_path": "."}\n```', { "dir_path" }) == "OK {'dir_path': '.'}")
assert(input('{"file_name": "a.txt"}\nObservation:', { "file_name" }) == "OK {'file_name': 'a.txt'}")
assert(input("", { "dir_path" }) == "ERR Expecting value: line 1 column 1 (char 0)")

local LS = { name = "List Files", args = { { name = "dir_path", description = "a dir" } } }
assert(mlab.input_parsing_error("List Files", LS, "Argument mismatch") == "ActionInputParsingError: Argument "
  .. "mismatch\nThe action input for List Files needs to be a valid json with proper entries. You may have "
  .. "missed the comma between entries or used triple quotes (json does not recognizes triple quotes). "
  .. "Please use the correct format and try again:\n{\n            dir_path: [a dir]\n}")
assert(mlab.bad_input(LS) == "The action input for List Files needs to be a valid json with proper entries. You "
  .. "may have missed the comma between entries. Please use the correct format and try again:\n{\n            "
  .. "dir_path: [a dir]\n}")

-- The tool list of the prompt.
assert(mlab.tools_prompt({ LS }) == "- List Files:\n        \n        Usage:\n        ```\n        Action: List Files\n"
  .. "        Action Input: {\n            \"dir_path\": [a dir]\n        }\n        Observation: []\n        ```\n\n")

-- Observations.
assert(mlab.execute_observation("out\n", "err\n", 0) == "The script has been executed. Here is the output:\nout\n")
assert(mlab.execute_observation("out\n", "err\n", 1) == "The script has been executed. Here is the output:\nerr\n")
assert(mlab.execute_observation("", "warn\n", 0) == "The script has been executed. Here is the output:\nwarn\n")
assert(mlab.inspect("a\nb\nc\n", 2, 9) == "Here are the lines (the file ends at line 4):\n\nb\nc\n")
assert(mlab.inspect("a\nb\n", "1", " 1 ") == "Here are the lines (the file ends at line 3):\n\na")
assert(select(2, mlab.inspect("a", 1, 102)) == "the number of lines to display is limited to 100 lines")
assert(select(2, mlab.inspect("a", "x", 2)) == "start_line_number and end_line_number must be integers")
assert(mlab.int(3.9) == 3 and mlab.int(-3.9) == -3 and mlab.int("1_000") == 1000 and mlab.int("1.0") == nil)
assert(mlab.error("list", { dir_path = "data" }) == "EnvError: Cannot list file in the data directory")
assert(mlab.edit_code("x\n```python\nprint(1)\n```\nmore") == "print(1)" and mlab.edit_code("no code") == nil)
assert(mlab.edit_observation("t.py", "a\n", "b") == "The edited file is saved to t.py. Here is the diff, please "
  .. "check if the edit is correct and desirable:\n\n--- \n+++ \n@@ -1 +1 @@\n-a\n+b")
assert(mlab.after("x [Observation]: y [Observation]: z", "[Observation]:") == " y " and mlab.after("x", "y") == nil)

-- Understand File's blocks: lines up to 10,000 characters; a longer line
-- is cut; the character numbers are the reference's (3 per earlier block).
local long = ("x"):rep(25000)
local blocks = mlab.understand_blocks("a\n" .. long .. "\nb")
assert(#blocks == 5 and blocks[1].text == "a" and blocks[2].text == ("x"):rep(10000) and blocks[4].text == ("x"):rep(5000))
assert(blocks[2].first == 2 and blocks[2].last == 2 and blocks[2].first_char == 3 and blocks[2].last_char == 10002)
assert(blocks[5].text == "b" and blocks[5].first == 3)
