-- prompt.lua - prompts built from the action catalogue.
--
-- A catalogue entry (ctx.actions:specs(), or a table of your own):
--   { name = "Execute Script", description = "...", returns = "...",
--     args = { { name = "script_name", type = "string", description = "...",
--                optional = false }, ... } }
--
--   prompt.render(template, vars) -> text     "{name}" -> vars.name; a
--       placeholder with no value is an error (a bug in the agent)
--   prompt.describe_actions(entries) -> text   the research agent's tool list:
--       name, description and a usage block with the Action Input schema
--   prompt.usage(entry) -> text                that usage block alone
--   prompt.format_instructions(fields) -> text "Always respond in this
--       format exactly:" then one line per {name, description}
--   prompt.command_list(entries) -> text       AutoGPT style: one numbered
--       line per command, snake_case name and its args as JSON
--   prompt.snake(name) -> "edit_script_ai"
local M = {}

function M.render(template, vars)
  return (template:gsub("{([%w_]+)}", function(k)
    local v = vars[k]
    if v == nil then error("prompt.render: no value for {" .. k .. "}", 3) end
    return tostring(v)
  end))
end

function M.snake(name)
  return (name:lower():gsub("[^%w]+", "_"):gsub("^_+", ""):gsub("_+$", ""))
end

local function arg_line(a)
  local kind = a.type == "integer" and "an integer" or a.type == "list" and "a list"
    or a.type == "boolean" and "true or false" or "a string"
  return ('    "%s": [%s, %s%s]'):format(a.name, a.description or "", kind,
    a.optional and ", optional" or "")
end

function M.usage(entry)
  local lines = { "```", "Action: " .. entry.name, "Action Input: {" }
  for i, a in ipairs(entry.args or {}) do
    lines[#lines + 1] = arg_line(a) .. (i < #entry.args and "," or "")
  end
  lines[#lines + 1] = "}"
  lines[#lines + 1] = "Observation: [" .. (entry.returns or "the result") .. "]"
  lines[#lines + 1] = "```"
  return table.concat(lines, "\n")
end

function M.describe_actions(entries)
  local out = {}
  for _, e in ipairs(entries) do
    local usage = M.usage(e):gsub("\n", "\n    ")
    out[#out + 1] = ("- %s:\n    %s\n    Usage:\n    %s"):format(e.name, e.description or "", usage)
  end
  return table.concat(out, "\n\n")
end

function M.format_instructions(fields)
  local lines = { "Always respond in this format exactly:" }
  for _, f in ipairs(fields) do
    lines[#lines + 1] = ("%s: %s"):format(f.name or f[1], f.description or f[2] or "")
  end
  return table.concat(lines, "\n")
end

function M.command_list(entries)
  local out = {}
  for i, e in ipairs(entries) do
    local args = {}
    for j, a in ipairs(e.args or {}) do
      args[j] = ('"%s": "<%s%s>"'):format(a.name, a.type or "string", a.optional and ", optional" or "")
    end
    out[i] = ('%d. %s: %s, args: {%s}'):format(i, M.snake(e.name),
      (e.description or ""):match("^[^\n]*"), table.concat(args, ", "))
  end
  return table.concat(out, "\n")
end

return M
