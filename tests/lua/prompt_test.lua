-- stdlib/prompt.lua: templates and the catalogue as prompt text.
local prompt = require("prompt")

assert(prompt.render("Task: {task} ({n})", { task = "digits", n = 3 }) == "Task: digits (3)")
local ok, err = pcall(prompt.render, "{missing}", {})
assert(not ok and err:find("no value for {missing}"))
assert(prompt.snake("Edit Script (AI)") == "edit_script_ai")
assert(prompt.snake("List Files") == "list_files")

local entries = {
  { name = "List Files", description = "Lists a folder.", returns = "the names",
    args = { { name = "dir_path", type = "string", description = "a folder" } } },
  { name = "Inspect Script Lines", description = "Shows lines.\nAt most 100.", returns = "the lines",
    args = { { name = "script_name", type = "string", description = "a script" },
             { name = "start_line_number", type = "integer", description = "first line" },
             { name = "end_line_number", type = "integer", description = "last line", optional = true } } },
}
local u = prompt.usage(entries[1])
assert(u == '```\nAction: List Files\nAction Input: {\n    "dir_path": [a folder, a string]\n}\n'
  .. 'Observation: [the names]\n```', u)
local d = prompt.describe_actions(entries)
assert(d:find("^%- List Files:\n    Lists a folder%.\n    Usage:\n    ```"), d)
assert(d:find('"start_line_number": %[first line, an integer%],'), d)
assert(d:find('"end_line_number": %[last line, an integer, optional%]\n'), d)
local f = prompt.format_instructions({ { name = "Thought", description = "what next" }, { "Action", "a name" } })
assert(f == "Always respond in this format exactly:\nThought: what next\nAction: a name")
local c = prompt.command_list(entries)
assert(c:find('^1%. list_files: Lists a folder%., args: {"dir_path": "<string>"}'), c)
assert(c:find('2%. inspect_script_lines: Shows lines%., args: {"script_name": "<string>", '
  .. '"start_line_number": "<integer>", "end_line_number": "<integer, optional>"}'), c)
print("prompt: ok")
