-- cmd/actions.lua - `mlab actions`: the action catalogue agents act with.
local cl = require("cmdline")
local actions = require("actions")
local env = require("env")
local json = require("json")

local M = {}

M.help = [[
usage: mlab actions [--md | --json]

The action catalogue (lua/actions.lua): every action's name, arguments and
what it returns, as agents see it through ctx.actions:specs() and native
tool calls; then the ctx.env methods and the action each one is.  --md
prints the two tables of docs/agents.md (a test checks they agree), --json
the specs.
]]

local function args_of(e)
  local parts = {}
  for _, a in ipairs(e.args) do
    if not a.hidden then
      local s = a.name .. " (" .. a.type .. ")"
      if a.optional then s = "[" .. s .. "]" end
      parts[#parts + 1] = s
    end
  end
  return table.concat(parts, ", ")
end

local function notes(e)
  local n = {}
  if e.off then n[#n + 1] = "off by default (`enable` it)" end
  if e.model then n[#n + 1] = "calls the run's model inside the step" end
  return table.concat(n, "; ")
end

function M.main(args)
  local o, pos = cl.parse(args, { md = "flag", json = "flag" })
  if not o or #pos > 0 then cl.usage(M.help) end
  if o.json then
    local specs = {}
    for _, e in ipairs(actions.CATALOGUE) do
      specs[#specs + 1] = { name = e.name, description = e.description, args = e.args,
        returns = e.returns, off = e.off or nil, model = e.model or nil }
    end
    cl.out(json.encode(specs, "  "), "\n")
    return 0
  end
  if o.md then
    cl.out("| action | arguments | returns | notes |\n|---|---|---|---|\n")
    for _, e in ipairs(actions.CATALOGUE) do
      cl.out(("| %s | %s | %s | %s |\n"):format(e.name, args_of(e), e.returns, notes(e)))
    end
    cl.out("\n| ctx.env method | the action | returns |\n|---|---|---|\n")
    for _, m in ipairs(env.METHODS) do
      cl.out(("| `%s%s` | %s | %s |\n"):format(m[1], m[2], m[3], m[4]))
    end
    return 0
  end
  for _, e in ipairs(actions.CATALOGUE) do
    cl.out(("%-32s %s%s\n"):format(e.name, args_of(e), e.off and "   (off by default)" or ""))
  end
  return 0
end

return M
