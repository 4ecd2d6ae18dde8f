--[[ env.lua - ctx.env: the catalogue's primitives as Lua-shaped methods.

  ctx.env = require("env").door(acts)     -- acts: actions.lua's host side

  names = ctx.env:list_files(dir)          -> "List Files"
  text  = ctx.env:read_file(path)          -> "Read File"
  part  = ctx.env:inspect_lines(path, first [, last])   -> "Inspect Script Lines"
  ok    = ctx.env:write_file(path, text) / append_file(path, text)
  ok    = ctx.env:copy_file(src, dst)
  ok    = ctx.env:edit(path, {first=, last=, text=} | {old=, new=})  -> "Edit File"
  ok    = ctx.env:undo_edit(path)          -> "Undo Edit Script"
  r     = ctx.env:execute(script [, args]) -> "Execute Script": {status, output,
                                              timed_out, signal, truncated, duration}
  ok    = ctx.env:final_answer(text)

Each call is one step of the catalogue action named on the right, with the
same arguments, caps and observation as ctx.actions:run.  Failures the agent
can act on come back as nil, message, code; misuse (a wrong argument type)
raises.  The object is sealed (ctl.seal): methods only, no host state.
]]
local ctl = require("mlab.run")
local plain = require("plain")

local M = {}

-- The methods as documented (docs/agents.md's ctx.env table is this list:
-- `mlab actions --md` prints it and docs_api_test checks they agree).
M.METHODS = {
  { "list_files", "(dir)", "List Files", "names, or nil, message, code" },
  { "read_file", "(path)", "Read File", "text" },
  { "inspect_lines", "(path, first [, last])", "Inspect Script Lines", "the lines (at most 100)" },
  { "write_file", "(path, text)", "Write File", "true" },
  { "append_file", "(path, text)", "Append File", "true" },
  { "copy_file", "(src, dst)", "Copy File", "true" },
  { "edit", "(path, {first=, last=, text=} or {old=, new=})", "Edit File", "true" },
  { "undo_edit", "(path)", "Undo Edit Script", "true (the version before the last write or edit)" },
  { "execute", "(script [, args])", "Execute Script",
    "{status, output, timed_out, signal, truncated, duration}" },
  { "final_answer", "(text)", "Final Answer", "true; the run ends after it" },
}

local function check(v, ty, what, level)
  if type(v) ~= ty then
    error(("%s must be a %s, got %s"):format(what, ty, type(v)), level or 3)
  end
end

-- value, or nil, message, code (the result of acts:call).
local function result(r)
  if r.error then return nil, r.error, r.code end
  return r.value
end

function M.door(acts)
  local function call(name, args) return result(acts:call(name, args)) end
  local methods = {}

  function methods.list_files(_, dir)
    dir = dir or "."
    check(dir, "string", "list_files: dir")
    return call("List Files", { dir_path = dir })
  end

  function methods.read_file(_, path)
    check(path, "string", "read_file: path")
    return call("Read File", { file_name = path })
  end

  function methods.inspect_lines(_, path, first, last)
    check(path, "string", "inspect_lines: path")
    first = math.tointeger(first) or error("inspect_lines: first must be an integer", 2)
    if last ~= nil then
      last = math.tointeger(last) or error("inspect_lines: last must be an integer", 2)
    end
    return call("Inspect Script Lines",
      { script_name = path, start_line_number = first, end_line_number = last })
  end

  function methods.write_file(_, path, content)
    check(path, "string", "write_file: path")
    check(content, "string", "write_file: content")
    return call("Write File", { file_name = path, content = content })
  end

  function methods.append_file(_, path, content)
    check(path, "string", "append_file: path")
    check(content, "string", "append_file: content")
    return call("Append File", { file_name = path, content = content })
  end

  function methods.copy_file(_, src, dst)
    check(src, "string", "copy_file: source")
    check(dst, "string", "copy_file: destination")
    return call("Copy File", { source = src, destination = dst })
  end

  -- spec: { first = n, last = m, text = "..." } or { old = "...", new = "..." }
  function methods.edit(_, path, spec)
    check(path, "string", "edit: path")
    local s, err = plain.copy(spec, "edit")
    if type(s) ~= "table" then
      error(err or "edit: expected a table { first, last, text } or { old, new }", 2)
    end
    local args = { file_name = path }
    if s.old ~= nil then
      check(s.old, "string", "edit: old")
      check(s.new, "string", "edit: new")
      args.old_text, args.new_text = s.old, s.new
    else
      args.start_line_number = math.tointeger(s.first)
        or error("edit: give { first = N, last = M, text = \"...\" } or { old = \"...\", new = \"...\" }", 2)
      args.end_line_number = math.tointeger(s.last) or error("edit: last must be an integer", 2)
      check(s.text, "string", "edit: text")
      args.content = s.text
    end
    return call("Edit File", args)
  end

  function methods.undo_edit(_, path)
    check(path, "string", "undo_edit: path")
    return call("Undo Edit Script", { script_name = path })
  end

  function methods.execute(_, script, args)
    check(script, "string", "execute: script")
    local input = { script_name = script }
    if args ~= nil then
      local a, err = plain.copy(args, "execute: args")
      if type(a) ~= "table" then error(err or "execute: args must be a list of strings", 2) end
      for i = 1, #a do
        if type(a[i]) ~= "string" and type(a[i]) ~= "number" then
          error("execute: args must be a list of strings", 2)
        end
        a[i] = tostring(a[i])
      end
      if #a > 0 then input.arguments = a end
    end
    return call("Execute Script", input)
  end

  function methods.final_answer(_, text)
    if type(text) ~= "string" then
      text = type(text) == "number" and tostring(text) or ("(a " .. type(text) .. ")")
    end
    return call("Final Answer", { final_answer = text })
  end

  for _, m in ipairs(M.METHODS) do assert(methods[m[1]], m[1]) end
  for k in pairs(methods) do
    local found = false
    for _, m in ipairs(M.METHODS) do found = found or m[1] == k end
    assert(found, "env.METHODS lacks " .. k)
  end
  return ctl.seal(methods, "ctx.env")
end

return M
