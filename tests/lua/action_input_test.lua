-- stdlib/action_input.lua: Action Input JSON as models really write it.
local ai = require("action_input")

local function has(list, pat)
  for _, v in ipairs(list) do if v:find(pat) then return true end end
  return false
end

-- Clean JSON passes untouched, with no repair notes.
local v, notes = ai.parse('{"script_name": "train.py"}')
assert(v.script_name == "train.py" and #notes == 0)

-- Numbers stay numbers; nested values survive.
v = ai.parse('{"script_name": "a.py", "start_line_number": 1, "end_line_number": 20}')
assert(v.start_line_number == 1 and math.type(v.end_line_number) == "integer")

-- Code fences (with or without a language, closed or cut off by the stop).
v, notes = ai.parse('\n```json\n{\n"script_name": "train.py"\n}\n```\n')
assert(v.script_name == "train.py" and has(notes, "fence"))
v = ai.parse('```\n{"dir_path": "."}')
assert(v.dir_path == ".")

-- The stop text and prose after the object are ignored.
v, notes = ai.parse('{"dir_path": "."}\nObservation:')
assert(v.dir_path == "." and #notes == 0)
v, notes = ai.parse('{"dir_path": "."}\n\nI will now look at the files.')
assert(v.dir_path == "." and has(notes, "after the object"))
v = ai.parse('Here is the input: {"dir_path": "data"} thanks')
assert(v.dir_path == "data")

-- Single quotes, Python literals, trailing commas, unquoted keys.
v, notes = ai.parse("{'script_name': 'train.py', 'verbose': True, 'x': None,}")
assert(v.script_name == "train.py" and v.verbose == true and v.x == nil)
assert(has(notes, "quotes ' read as") and has(notes, "True read as true") and has(notes, "trailing comma"))
v = ai.parse("{script_name: \"train.py\"}")
assert(v.script_name == "train.py")
v = ai.parse("{'edit_instruction': \"don't touch the \\\"model\\\" line\"}")
assert(v.edit_instruction == 'don\'t touch the "model" line', v.edit_instruction)

-- Raw newlines and tabs inside a string, triple quotes, odd escapes.
v = ai.parse('{"content": "line one\nline two\tend"}')
assert(v.content == "line one\nline two\tend")
v = ai.parse('{"content": """import os\nprint("hi")\n"""}')
assert(v.content == 'import os\nprint("hi")\n', v.content)
v = ai.parse('{"command": "print(\'a\\d\')"}')
assert(v.command == "print('a\\d')", v.command)

-- Quotes the model forgot to escape inside a value.
v, notes = ai.parse('{"edit_instruction": "Replace "max_depth=4" with "max_depth=8".", "save_name": "train.py"}')
assert(v.edit_instruction == 'Replace "max_depth=4" with "max_depth=8".', v.edit_instruction)
assert(v.save_name == "train.py" and has(notes, 'unescaped'))

-- A value that is broken beyond repair is still read by its key.
v, notes = ai.parse('{"script_name": "t.py", "edit_instruction": "add "x = {" here"}')
assert(v.edit_instruction == 'add "x = {" here', v.edit_instruction)
v, notes = ai.parse('{"script_name": "t.py", "edit_instruction": "use a, "b", c"}',
  { "script_name", "edit_instruction" })
assert(v and v.script_name == "t.py" and has(notes, "by key"), v and v.edit_instruction)
assert(v.edit_instruction == 'use a, "b", c', v.edit_instruction)
assert(ai.parse('{"script_name": "t.py", "edit_instruction": "use a, "b", c"}') == nil)

-- One-argument actions accept a bare value.
v, notes = ai.parse("train.py", { "script_name" })
assert(v.script_name == "train.py" and has(notes, "bare value"))
v = ai.parse('"train.py"', { "script_name" })
assert(v.script_name == "train.py")

-- Failures say what is wrong and how to write it.
local r, err = ai.parse("   ", { "script_name" })
assert(r == nil and err:find("empty") and err:find('{"script_name": "..."}'), err)
r, err = ai.parse("run the training script please\nnow", { "script_name", "x" })
assert(r == nil and err:find("not a JSON object") and err:find('"x"'), err)
r, err = ai.parse('{"script_name": "train.py"', { "script_name" })
assert(r == nil and err:find("cut off"), err)
r, err = ai.parse('{"a": "b" "c": 1}')
assert(r == nil and err:find("not valid JSON"), err)
r, err = ai.parse('{"a": "unterminated}')
assert(r == nil and err:find("never closed") or err:find("cut off"), err)
r, err = ai.parse(nil)
assert(r == nil and err:find("missing"))

assert(ai.example({ "a", "b" }) == '{"a": "...", "b": "..."}')
print("action_input: ok")
