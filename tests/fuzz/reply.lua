-- Fuzz driver: a model reply through stdlib/reply.lua (the research
-- agent's six entries, a ReAct step, an AutoGPT command) and
-- stdlib/action_input.lua (the Action Input repair), as agents call them.
-- They promise nil, message on bad text, never a raise: a raise (other
-- than running out of the capped heap) is a finding.  See fuzz_lua.c.
local reply = require("reply")
local action_input = require("action_input")

-- The reference study's catalogue (names and arguments, as lua/actions.lua
-- declares them; the parser needs no more).
local function spec(name, ...)
  local args = {}
  for i, a in ipairs({ ... }) do
    local n, t = a:match("^([%w_]+):?(%a*)$")
    args[i] = { name = n, type = t ~= "" and t or "string" }
  end
  return { name = name, args = args }
end
local ACTIONS = {
  spec("List Files", "dir_path"),
  spec("Read File", "file_name"),
  spec("Write File", "file_name", "content"),
  spec("Append File", "file_name", "content"),
  spec("Copy File", "source", "destination"),
  spec("Undo Edit Script", "script_name"),
  spec("Execute Script", "script_name"),
  spec("Final Answer", "final_answer"),
  spec("Understand File", "file_name", "things_to_look_for"),
  spec("Append Summary to Research Log", "content"),
  spec("Inspect Script Lines", "script_name", "start_line_number:integer",
    "end_line_number:integer"),
  spec("Edit Script (AI)", "script_name", "edit_instruction", "save_name"),
  spec("Edit Script Segment (AI)", "script_name", "start_line_number:integer",
    "end_line_number:integer", "edit_instruction", "save_name"),
  spec("Reflection", "things_to_reflect_on"),
  spec("Retrieval from Research Log", "current_plan"),
}
local NAMES = {}
for _, a in ipairs(ACTIONS) do NAMES[a.name] = true end

local function check(what, ok, step, msg)
  if not ok then
    if step == "not enough memory" then return end
    fuzz.fail(what .. " raised: " .. tostring(step))
  end
  if step == nil then
    if type(msg) ~= "string" then fuzz.fail(what .. ": nil without a message") end
    return
  end
  if type(step) ~= "table" or not NAMES[step.action] then
    fuzz.fail(what .. ": a step whose action is not in the catalogue: "
      .. tostring(type(step) == "table" and step.action))
  end
  if step.input == nil and type(step.input_error) ~= "string" then
    fuzz.fail(what .. ": a step with neither input nor input_error")
  end
end

return function(data)
  local opts = { actions = ACTIONS }
  check("reply.research", pcall(reply.research, data, opts))
  check("reply.react", pcall(reply.react, data, opts))
  check("reply.command", pcall(reply.command, data, opts))
  for _, keys in ipairs({ false, { "script_name", "edit_instruction", "save_name" } }) do
    local ok, t, notes = pcall(action_input.parse, data, keys or nil)
    if not ok and t ~= "not enough memory" then
      fuzz.fail("action_input.parse raised: " .. tostring(t))
    end
    if ok and t ~= nil and (type(t) ~= "table" or type(notes) ~= "table") then
      fuzz.fail("action_input.parse: a value that is not a table and notes")
    end
  end
end
