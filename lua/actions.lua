--[[ actions.lua - the action catalogue: every action an agent can take, by
the reference study's names (MLAgentBench), as data and implementation.

  local acts = require("actions").new(run, steps, llm)   -- host side
  local r = acts:call("Read File", { file_name = "x" })   -- one step
  -- r = { value, observation, error, code, step } (step.lua)
  ctx.actions = acts:door()        -- what agents get (sealed, see below)

The catalogue is data (name, description, args, returns) that prompts and
native tool specs are both built from, plus an implementation per entry:
run(h, a) -> value, observation [, result] | nil, message, code, and
revive(h, rec) to rebuild the value from a recorded step on resume.  Every
call is ONE step (step.lua): traced, committed, counted.  ctx.env
(env.lua) is the same catalogue behind Lua-shaped methods.

The agent's door, ctx.actions (a sealed object; no host state in reach):
  ctx.actions:run(name, input) -> observation, info
      input: a table or the model's Action Input text (read tolerantly);
      observation: always a string; info = { ok, action, error, code, final }
      Bad input (unknown action, unreadable JSON, a missing or mistyped
      argument) is a step whose observation says what was wrong and what is
      valid: it never ends the run.
  :list()  :specs([names])  :describe([names])  :get(name)
  :enable(name)  :disable(name)     (Python REPL and Edit File start off)
  :define{ name, description, args, returns, run = function(ctx, args) }
      adds an action of the agent's own: one step, its run() composed of
      ctx.env / ctx.actions calls that run inside that step (not steps of
      their own); it returns the observation text, or nil, message.
]]
local sys = require("mlab.sys")
local ctl = require("mlab.run")
local exec = require("mlab.exec")
local task_mod = require("task")
local plain = require("plain")
local action_input = require("action_input")
local reply = require("reply")
local prompt = require("prompt")
local diff = require("diff")
local tokens = require("tokens")
local research_log = require("research_log")
local mlab = require("mlagentbench")
local pyjson = require("pyjson")

local M = {}

M.LOG = "research_log.log" -- the research log, in the workspace
M.MAX_INSPECT = 100         -- lines per Inspect Script Lines (end - start, as the reference)
M.BLOCK = 10000             -- characters per Understand File block

-- How the model-backed actions ask (the reference's roles): Understand
-- File, Reflection and Retrieval from Research Log ask the fast model
-- (ctx.llm:fast(), --llm-fast) at 0.01; the AI edits ask the agent's model
-- at 0.5 for up to 4000 tokens; every call stops at "Observation:".
M.FAST = { temperature = 0.01, max_tokens = 2000, stop = { "Observation:" } }
M.EDIT = { temperature = 0.5, max_tokens = 4000, stop = { "Observation:" } }

-- The reference's texts (MLAgentBench's action_infos, verbatim).
local FILE = "a valid file name with relative path to current directory if needed"
local SCRIPT = "a valid python script name with relative path to current directory if needed"
local LINE = "a valid line number"
local EDIT_RETURNS = "The observation will be the edited content of the script. If the script does not "
  .. "exist, the observation will be an error message. You should always double check whether the edit "
  .. "is correct. If it is far from correct, you can use the Undo Edit Script action to undo the edit."

---------------------------------------------------------------------------
-- Helpers of the implementations.

-- Lines first..last (1-based, inclusive; last defaults to the end).
local function split_lines(text)
  return diff.lines(text) -- linear in long lines (see there)
end

-- The code in a model's reply (mlab's reading): the first ```python (or
-- any ```) block; nil when there is none (nothing is written then).
local function code_of(text)
  local body = text:match("```[Pp]ython[^\n]*\n(.-)\n?```") or text:match("```[^\n]*\n(.-)\n?```")
    or text:match("```[Pp]ython[^\n]*\n(.*)$")
  if not body then return nil end
  if body ~= "" and body:sub(-1) ~= "\n" then body = body .. "\n" end
  return body
end

-- One model call of an action; role "fast" asks ctx.llm:fast().
local function ask(h, text, how)
  local client = h.llm
  if how == M.FAST and client.fast then client = client:fast() end
  local r, err, kind = client:chat({
    messages = { { role = "user", content = text } },
    max_tokens = how.max_tokens, temperature = how.temperature, stop = how.stop,
  })
  if not r then return nil, "the model call failed: " .. tostring(err), kind or "model" end
  return r.text or ""
end

-- The diff is against the script the edit started from (the edit itself),
-- even when it is saved under another name.
local function saved(script_name, save_name, old, new)
  local d = diff.unified(old, new, { from = script_name, to = save_name })
  if d == "" then
    return ("The edited file is saved to %s. The edit changed nothing."):format(save_name)
  end
  return ("The edited file is saved to %s. Here is the diff, please check if the edit is "
    .. "correct and desirable:\n\n%s"):format(save_name, d)
end

-- What the agent reads after a script (mlab's form): its output, then a
-- footer line when it did not end normally.
local function exec_footer(r)
  if r.cancelled then
    return "\n[killed: mlab was stopped]"
  elseif r.timed_out then
    return ("\n[killed: %s after %.0f s]"):format(
      r.deadline and "the run's time budget ran out" or "the script's time limit", r.duration)
  elseif r.signal ~= 0 then
    return ("\n[killed by signal %d]"):format(r.signal)
  elseif r.status ~= 0 then
    return ("\n[exit status %d]"):format(r.status)
  end
  return ""
end

-- Under the mlagentbench preset a script runs inside this wrapper, so its
-- stdout and stderr stay apart as the reference kept them (mlab.exec
-- merges the two): stdout is passed through as it comes, stderr is held
-- and written after it, then a trailer line "\n\30OUT ERR STATUS\n".
local STREAMS = [[
import os, signal, subprocess, sys, threading
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
err = []
t = threading.Thread(target=lambda: err.append(p.stderr.read()))
t.start()
out, n = sys.stdout.buffer, 0
while True:
    b = p.stdout.read1(65536)
    if not b:
        break
    out.write(b)
    out.flush()
    n += len(b)
t.join()
rc = p.wait()
out.write(err[0] + b"\n\x1e%d %d %d\n" % (n, len(err[0]), rc))
out.flush()
if rc < 0:
    signal.signal(-rc, signal.SIG_DFL)
    os.kill(os.getpid(), -rc)
sys.exit(rc)
]]

-- The wrapper's capture split back: stdout, stderr, status, signal (nil
-- when the trailer is missing: the wrapper was killed).
local function streams(output)
  local body, n, m, rc = output:match("^(.*)\n\30(%d+) (%d+) (%-?%d+)\n$")
  if not body then return nil end
  n, m, rc = tonumber(n), tonumber(m), tonumber(rc)
  local err = body:sub(math.max(#body - m + 1, 1))
  local out = body:sub(1, #body - #err)
  if #out > n and #out == n + m - #err then out = out:sub(1, n) end
  return out, err, rc >= 0 and rc or -1, rc < 0 and -rc or 0
end

-- The harness limit that changed what a script printed or how it ended,
-- named in the step's result (the trace shows when a limit fired).
local function limit_of(r)
  if r.truncated then return "output_cap" end
  if r.timed_out then return r.deadline and "run_deadline" or "script_timeout" end
  return nil
end

local function run_script(h, argv)
  local run = h.run
  local hz = h.harness
  local r, err, code = exec.run({
    argv = argv, cwd = run.paths.workspace,
    timeout = hz.script_timeout or run.task.timeout,
    mem_mb = hz.mem_mb or run.task.memory_mb, procs = 512, out_cap = hz.out_cap or run.out_cap,
    sandbox = true, unconfined = run.unconfined,
  })
  if not r then return nil, err, code end
  -- The run's time ran out while the script ran: this step is recorded,
  -- then the run stops.
  if r.deadline then ctl.stop("time") end
  return r
end

-- The run's disk cap (MLAB_DISK_MB) holds for the agent's own writes as
-- for its scripts (exec stops a script at the cap): a write that would take
-- the workspace past it is refused, and the agent may clean up and go on.
-- Writes up to SMALL_WRITE always pass, so a workspace a script left over
-- the cap can still get the script that cleans it (growth stays bounded by
-- the step budget).
local SMALL_WRITE = 64 * 1024
local function room(h, bytes)
  local cap = h.run.disk_mb
  if not cap or cap <= 0 or bytes <= SMALL_WRITE then return true end
  local use = exec.disk_usage(h.run.paths.workspace)
  if use and use.bytes + bytes > cap * 1048576 then
    return nil, ("the workspace would hold %.0f MB, more than the run's disk cap of %d MB: "
      .. "remove files first"):format((use.bytes + bytes) / 1048576, cap), "denied"
  end
  return true
end

-- A model-backed step skipped on resume: its recorded calls are taken off
-- the resume prefix, or the agent's next call would meet them.
local function skip_calls(h, rec)
  local prefix = h.run.llm_prefix
  while prefix and prefix[1] and (prefix[1].step or 0) == rec.step - 1 do
    table.remove(prefix, 1)
  end
  return true
end

-- The reference's failure of an action: nil, message, { code, observation }
-- (step.lua records the observation as given).
local function env_error(msg, code, observation)
  return nil, msg, { code = code, observation = observation }
end

-- Reads a file for a reference-style action: text, or the EnvError.
local function ref_read(h, name, key, args)
  local text, err, code = h.ws:read(name)
  if text then return text end
  if code == "denied" then
    return env_error(err, code, mlab.error("outside", { path = name }))
  end
  return env_error(err, code, mlab.error(key, args))
end

-- A model call of a reference-style action that failed.
local function ref_model_error(err, kind)
  if kind == "budget" then return nil, err, kind end
  if kind == "bad_request" then return env_error(err, kind, mlab.error("too_long")) end
  return env_error(err, kind, "LLMError: " .. tostring(err))
end

---------------------------------------------------------------------------
-- The catalogue, in the reference study's order.  args[i] = { name, type
-- ("string" | "integer" | "strings"), description, optional, text (free
-- text: a list of strings is joined), path (a file name: an error about
-- it names it) }.  changes: what the action may change in the workspace:
-- a function of its arguments giving the paths, "any" (a script ran), or
-- nil (it changes nothing).  ref_error: the key of the reference's EnvError
-- text (mlagentbench.lua M.ERRORS) when the action fails under the preset.

-- Write File and Append File: one entry but for the primitive and its
-- words (the texts are the reference's, "a file to a new location" too).
local function put_entry(name, method, done, description)
  return { name = name, primitive = true, ref_error = method,
    changes = function(a) return { a.file_name } end,
    description = description,
    args = { { name = "file_name", type = "string", path = true, description = FILE },
             { name = "content", type = "string", text = true,
               description = "the content to be " .. done .. " to the file" } },
    returns = ("A success message if the file is %s successfully, or an error message if the file "
      .. "cannot be %s."):format(done, done),
    run = function(h, a)
      local ok, err, code = room(h, #a.content)
      if ok then ok, err, code = h.ws[method](h.ws, a.file_name, a.content) end
      if not ok then return nil, err, code end
      return true, ("File %s %s successfully."):format(a.file_name, done)
    end }
end

local CATALOGUE = {
  { name = "List Files", primitive = true, ref_error = "list",
    description = "Use this to navigate the file system.",
    args = { { name = "dir_path", type = "string", path = true,
               description = 'a valid relative path to a directory, such as "." or "folder1/folder2"' } },
    returns = "The observation will be a list of files and folders in dir_path or current directory is "
      .. "dir_path is empty, or an error message if dir_path is invalid.",
    run = function(h, a)
      local names, err, code = h.ws:list(a.dir_path)
      if not names then return nil, err, code end
      if h.ref then
        -- `ls`: no hidden names, no '/' after folders, sorted bytewise,
        -- a newline after each.
        local shown = {}
        for _, n in ipairs(names) do
          if n:sub(1, 1) ~= "." then shown[#shown + 1] = (n:gsub("/$", "")) end
        end
        table.sort(shown)
        return names, #shown > 0 and (table.concat(shown, "\n") .. "\n") or ""
      end
      return names, table.concat(names, "\n")
    end,
    revive = function(_, rec)
      local names = {}
      for name in rec.observation:gmatch("[^\n]+") do names[#names + 1] = name end
      return names
    end },
  { name = "Read File", primitive = true, ref_error = "read",
    description = "Use this to read an existing file.",
    args = { { name = "file_name", type = "string", path = true, description = FILE } },
    returns = "The observation will be the contents of the file read.",
    run = function(h, a)
      local text, err, code = h.ws:read(a.file_name)
      if not text then return nil, err, code end
      return text, text
    end,
    revive = function(_, rec) return rec.observation end },
  put_entry("Write File", "write", "written",
    "Use this to write a file. If the file already exists, it will be overwritten."),
  put_entry("Append File", "append", "appended",
    "Use this to append a file to a new location with a new name."),
  { name = "Copy File", primitive = true, ref_error = "copy",
    changes = function(a) return { a.destination } end,
    description = "Use this to copy a file to a new location with a new name.",
    args = { { name = "source", type = "string", path = true, description = FILE },
             { name = "destination", type = "string", path = true, description = FILE } },
    returns = "A success message if the file is copied successfully, or an error message if the file "
      .. "cannot be copied.",
    run = function(h, a)
      local src = h.ws:resolve(a.source)
      local st = src and sys.stat(src)
      local ok, err, code = room(h, st and st.size or 0)
      if ok then ok, err, code = h.ws:copy(a.source, a.destination) end
      if not ok then return nil, err, code end
      return true, ("File %s copied to %s%s"):format(a.source, a.destination, h.ref and "" or ".")
    end },
  { name = "Undo Edit Script", primitive = true, ref_error = "undo",
    changes = function(a) return { a.script_name } end,
    description = "Use this to undo the last edit of the python script.",
    args = { { name = "script_name", type = "string", path = true, description = SCRIPT } },
    returns = "The observation will be the content of the script before the last edit. If the script "
      .. "does not exist, the observation will be an error message.",
    run = function(h, a)
      local ok, err, code = h.ws:undo(a.script_name)
      if not ok then return nil, err, code end
      local text = h.ws:read(a.script_name)
      if not text then
        return true, ("The last edit of %s was undone: the file no longer exists."):format(a.script_name)
      end
      return true, ("Content of %s after undo %sthe most recent edit:\n%s"):format(a.script_name,
        h.ref and "" or "of ", text)
    end },
  { name = "Execute Script", primitive = true, ref_error = "execute",
    changes = "any",
    description = "Use this to execute the python script. The script must already exist.",
    args = { { name = "script_name", type = "string", path = true, description = SCRIPT },
             { name = "arguments", type = "strings", optional = true, hidden = true,
               description = "command-line arguments for the script" } },
    returns = "The observation will be output of the script or errors.",
    run = function(h, a)
      local path, perr, pcode = h.ws:resolve(a.script_name)
      if not path then return nil, perr, pcode end
      local st = sys.stat(path)
      if not st or st.type ~= "file" then
        return nil, ("'%s' is not a file in the workspace"):format(a.script_name), "not_found"
      end
      local argv = task_mod.interpreter(a.script_name)
      for _, x in ipairs(a.arguments or {}) do argv[#argv + 1] = x end
      if h.ref then
        table.insert(argv, 1, task_mod.PYTHON)
        table.insert(argv, 2, "-c")
        table.insert(argv, 3, STREAMS)
      end
      local r, err, code = run_script(h, argv)
      if not r then return nil, err, code end
      local output, status, signal = r.output, r.status, r.signal
      local obs
      if h.ref then
        local out, errs, rc, sig = streams(r.output)
        if out then
          output, status, signal = out .. errs, rc, sig
          obs = mlab.execute_observation(out, errs, sig ~= 0 and -sig or rc)
        else
          obs = mlab.execute_observation(r.output, "", 0)
        end
        if r.timed_out or r.cancelled then obs = obs .. exec_footer(r) end
      else
        obs = r.output .. exec_footer(r)
      end
      local res = { status = status, signal = signal, timed_out = r.timed_out,
                    truncated = r.truncated, output = output, duration = r.duration }
      return res, obs, { status = status, signal = signal, timed_out = r.timed_out,
        deadline = r.deadline, cancelled = r.cancelled, truncated = r.truncated, limit = limit_of(r) }
    end,
    revive = function(_, rec)
      local r = rec.result or {}
      local out = rec.observation
      local footer = out:match("\n%[[^\n]*%]$")
      if footer and (r.cancelled or r.timed_out or (r.signal or 0) ~= 0 or (r.status or 0) ~= 0) then
        out = out:sub(1, #out - #footer)
      end
      local prefix = "The script has been executed. Here is the output:\n"
      if out:sub(1, #prefix) == prefix then out = out:sub(#prefix + 1) end
      return { status = math.tointeger(r.status), signal = math.tointeger(r.signal),
               timed_out = r.timed_out, truncated = r.truncated, output = out,
               duration = rec.duration_s }
    end },
  { name = "Python REPL", primitive = true, off = true,
    changes = "any",
    description = "A python REPL. Use this to execute single line python commands.",
    args = { { name = "command", type = "string", text = true, description = "a valid python command" } },
    returns = "The observation will be output of the command or errors.",
    run = function(h, a)
      local r, err, code = run_script(h, { task_mod.PYTHON, "-c", a.command })
      if not r then return nil, err, code end
      return true, r.output .. exec_footer(r)
    end },
  { name = "Edit File", primitive = true, off = true,
    changes = function(a) return { a.file_name } end,
    description = "Use this to replace a range of lines of a file, or one exact piece of its "
      .. "text, with new text.",
    args = { { name = "file_name", type = "string", path = true, description = FILE },
             { name = "start_line_number", type = "integer", optional = true,
               description = "the first line to replace" },
             { name = "end_line_number", type = "integer", optional = true,
               description = "the last line to replace" },
             { name = "content", type = "string", optional = true, text = true,
               description = "the new text of those lines" },
             { name = "old_text", type = "string", optional = true, text = true,
               description = "or: the exact text to replace (it must occur once)" },
             { name = "new_text", type = "string", optional = true, text = true,
               description = "the text that replaces old_text" } },
    returns = "the diff of the edit, or an error message",
    run = function(h, a)
      local ws = h.ws
      local before = ws:read(a.file_name)
      local ok, err, code = room(h, #(a.content or a.new_text or ""))
      if not ok then return nil, err, code end
      if a.old_text ~= nil then
        if a.new_text == nil then return nil, "edit: old_text needs new_text", "invalid" end
        ok, err, code = ws:edit_string(a.file_name, a.old_text, a.new_text)
      elseif a.start_line_number and a.end_line_number and a.content then
        ok, err, code = ws:edit_lines(a.file_name, a.start_line_number, a.end_line_number, a.content)
      else
        return nil, "edit: give start_line_number, end_line_number and content, "
          .. "or old_text and new_text", "invalid"
      end
      if not ok then return nil, err, code end
      local after = ws:read(a.file_name) or ""
      return true, ("File %s edited. Here is the diff:\n%s"):format(a.file_name,
        diff.unified(before or "", after, { from = "a/" .. a.file_name, to = "b/" .. a.file_name }))
    end },
  { name = "Final Answer", primitive = true,
    description = "Use this to provide the final answer to the current task.",
    args = { { name = "final_answer", type = "string", text = true,
               description = "a detailed description on the final answer" } },
    returns = "The observation will be empty.",
    run = function(_, _) return true, "end" end },
  { name = "Understand File", model = true, ref_error = "read",
    description = "Use this to read the whole file and understand certain aspects. You should provide "
      .. "detailed description on what to look for and what should be returned. To get a better "
      .. "understanding of the file, you can use Inspect Script Lines action to inspect specific part "
      .. "of the file.",
    args = { { name = "file_name", type = "string", path = true, description = FILE },
             { name = "things_to_look_for", type = "string", text = true,
               description = "a detailed description on what to look for and what should returned" } },
    returns = "The observation will be a description of relevant content and lines in the file. If the "
      .. "file does not exist, the observation will be an error message.",
    run = function(h, a)
      local text, err, code = h.ws:read(a.file_name)
      if not text then return nil, err, code end
      local blocks = mlab.understand_blocks(text)
      local answers = {}
      for i, b in ipairs(blocks) do
        local ans, aerr, kind = ask(h, mlab.understand_prompt(b, a.things_to_look_for), M.FAST)
        if not ans then return nil, aerr, kind end
        answers[i] = ans
      end
      if #answers == 1 then return true, answers[1] end
      local merged, merr, kind = ask(h, mlab.understand_merge_prompt(a.things_to_look_for, answers), M.FAST)
      if not merged then return nil, merr, kind end
      return true, merged
    end },
  { name = "Append Summary to Research Log",
    changes = function() return { M.LOG } end,
    description = "Append to the summary of previous step to research log",
    args = { { name = "content", type = "string", text = true,
               description = "a string within 500 character limit" } },
    returns = "The observation will be a success message if the content is appended to the research log. "
      .. "Otherwise, the observation will be an error message.",
    run = function(h, a)
      local ok, err, code = h.ws:append(M.LOG, a.content .. "\n")
      if not ok then return nil, err, code end
      return true, "Successfully appended to research log"
    end },
  { name = "Inspect Script Lines", ref_error = "inspect",
    description = "Use this to inspect specific part of a python script precisely, or the full content "
      .. "of a short script. The number of lines to display is limited to 100 lines. This is especially "
      .. "helpful when debugging.",
    args = { { name = "script_name", type = "string", path = true, description = SCRIPT },
             { name = "start_line_number", type = "integer", description = LINE },
             { name = "end_line_number", type = "integer", description = LINE } },
    returns = "The observation will be the content of the script between start_line_number and "
      .. "end_line_number . If the script does not exist, the observation will be an error message.",
    run = function(h, a)
      if h.ref then
        local s, e = mlab.int(a.start_line_number), mlab.int(a.end_line_number)
        if not s or not e or e - s > M.MAX_INSPECT then
          local _, msg = mlab.inspect("", a.start_line_number, a.end_line_number)
          return env_error(msg, "invalid", "EnvError: " .. msg)
        end
        local text, err, code = ref_read(h, a.script_name, "inspect", a)
        if not text then return nil, err, code end
        local obs = mlab.inspect(text, s, e)
        return (obs:match("^.-\n\n(.*)$")), obs
      end
      local text, err, code = h.ws:read(a.script_name)
      if not text then return nil, err, code end
      local lines = split_lines(text)
      local n = #lines
      local first, last = a.start_line_number, math.min(a.end_line_number or n, n)
      if first < 1 or first > math.max(n, 1) or last < first then
        return nil, ("lines %d-%d are not in the file, which has %d lines"):format(
          first, a.end_line_number or n, n), "invalid"
      end
      local part = n == 0 and "" or table.concat(lines, "\n", first, last) .. "\n"
      return part, ("Here are the lines (the file ends at line %d):\n\n%s"):format(n, part)
    end,
    revive = function(_, rec) return (rec.observation:match("^.-\n\n(.*)$")) end },
  { name = "Edit Script (AI)", model = true, ref_error = "read",
    changes = function(a) return { a.save_name, a.script_name } end,
    description = "Use this to do a relatively large but cohesive edit over a python script. Instead of "
      .. "editing the script directly, you should describe the edit instruction so that another AI can "
      .. "help you do this.",
    args = { { name = "script_name", type = "string", path = true,
               description = SCRIPT .. ". An empty sctipt will be created if it does not exist." },
             { name = "edit_instruction", type = "string", text = true,
               description = "a detailed step by step description on how to edit it." },
             { name = "save_name", type = "string", path = true, description = FILE } },
    returns = EDIT_RETURNS,
    run = function(h, a)
      -- A script that does not exist yet is created empty (the reference's rule).
      local old = h.ws:read(a.script_name)
      if not old then
        local ok, werr, code = h.ws:write(a.script_name, "")
        if not ok then return nil, werr, code end
        old = ""
      end
      -- mlab's harness lets a long script's edit be as long as the script;
      -- the reference's cap was 4000 tokens.
      local how = M.EDIT
      if not h.ref then
        how = { temperature = M.EDIT.temperature, stop = M.EDIT.stop,
                max_tokens = math.max(M.EDIT.max_tokens, math.min(16000, 2 * tokens.estimate(old) + 1024)) }
      end
      local text, err, kind = ask(h, mlab.edit_prompt(old, a.edit_instruction), how)
      if not text then return nil, err, kind end
      local new = h.ref and mlab.edit_code(text) or (not h.ref and code_of(text))
      if not new then
        return env_error("the model's reply has no ```python block: nothing was written", "model",
          h.ref and ("EnvError: Error executing Edit Script (AI).") or nil)
      end
      local ok, werr, code = room(h, #new)
      if ok then ok, werr, code = h.ws:write(a.save_name, new) end -- the old text stays for undo
      if not ok then return nil, werr, code end
      if h.ref then return true, mlab.edit_observation(a.save_name, old, new) end
      return true, saved(a.script_name, a.save_name, old, new)
    end },
  { name = "Edit Script Segment (AI)", model = true, ref_error = "read",
    changes = function(a) return { a.save_name, a.script_name } end,
    description = "Use this to do a relatively large but cohesive edit over a python script over a "
      .. "segment. Instead of editing the script directly, you should describe the edit instruction so "
      .. "that another AI can help you do this.",
    args = { { name = "script_name", type = "string", path = true,
               description = SCRIPT .. ". An empty sctipt will be created if it does not exist." },
             { name = "start_line_number", type = "integer", description = LINE },
             { name = "end_line_number", type = "integer", description = LINE },
             { name = "edit_instruction", type = "string", text = true,
               description = "a detailed step by step description on how to edit it." },
             { name = "save_name", type = "string", path = true, description = FILE } },
    returns = EDIT_RETURNS,
    run = function(h, a)
      local old = h.ws:read(a.script_name)
      if not old then
        local ok, werr, code = h.ws:write(a.script_name, "")
        if not ok then return nil, werr, code end
        old = ""
      end
      if h.ref then
        -- The reference's: the segment by Python's slices, the new file
        -- joined with "\n", the diff of the segment against the new file.
        local s, e = mlab.int(a.start_line_number), mlab.int(a.end_line_number)
        local lines = pyjson.split(old, "\n")
        local segment = table.concat(mlab.slice(lines, math.max(s - 1, 0), e), "\n")
        local text, err, kind = ask(h, mlab.edit_segment_prompt(segment, a.edit_instruction), M.EDIT)
        if not text then return nil, err, kind end
        local code = mlab.edit_code(text)
        if not code then
          return env_error("the model's reply has no ```python block: nothing was written", "model",
            "EnvError: Error executing Edit Script Segment (AI).")
        end
        local new = table.concat(mlab.slice(lines, 0, s - 1), "\n") .. "\n" .. code .. "\n"
          .. table.concat(mlab.slice(lines, e), "\n")
        local ok, werr, wcode = room(h, #new)
        if ok then ok, werr, wcode = h.ws:write(a.save_name, new) end
        if not ok then return nil, werr, wcode end
        return true, mlab.edit_observation(a.save_name, segment, new)
      end
      local lines = split_lines(old)
      local first, last = a.start_line_number, math.min(a.end_line_number, #lines)
      if first < 1 or first > last then
        return nil, ("lines %d-%d are not in %s, which has %d lines"):format(
          a.start_line_number, a.end_line_number, a.script_name, #lines), "invalid"
      end
      local segment = table.concat(lines, "\n", first, last) .. "\n"
      local text, merr, kind = ask(h, mlab.edit_segment_prompt((segment:gsub("\n$", "")), a.edit_instruction),
        M.EDIT)
      if not text then return nil, merr, kind end
      local new_seg = code_of(text)
      if not new_seg then
        return nil, "the model's reply has no ```python block: nothing was written", "model"
      end
      local head = first > 1 and (table.concat(lines, "\n", 1, first - 1) .. "\n") or ""
      local tail = last < #lines and (table.concat(lines, "\n", last + 1, #lines) .. "\n") or ""
      local new = head .. new_seg .. tail
      local ok, werr, wcode = room(h, #new)
      if ok then ok, werr, wcode = h.ws:write(a.save_name, new) end
      if not ok then return nil, werr, wcode end
      return true, saved(a.script_name, a.save_name, old, new)
    end },
  { name = "Reflection", model = true, ref_error = "read",
    description = "Use this to look over all the past steps and reflect. You should provide detailed "
      .. "description on what to reflect on and what should be returned.",
    args = { { name = "things_to_reflect_on", type = "string", text = true,
               description = "a detailed description on what to reflect on and what should be returned" } },
    returns = "The observation will be a the reflection.",
    run = function(h, a)
      local log = h.ws:read(M.LOG)
      if not log and h.ref then return ref_read(h, M.LOG, "read", { file_name = M.LOG }) end
      local ans, err, kind = ask(h, mlab.reflection_prompt(h.problem, log or "", a.things_to_reflect_on), M.FAST)
      if not ans then return nil, err, kind end
      return true, "Reflection: " .. ans .. "\n"
    end },
  { name = "Retrieval from Research Log", model = true, ref_error = "read",
    description = "Use this to retrieve relevant information from the research log. You should provide "
      .. "detailed description on what to look for and what should be returned.",
    args = { { name = "current_plan", type = "string", text = true,
               description = "a detailed description of the current research plan and status" } },
    returns = "The observation will be a description of relevant content and lines in the research log.",
    run = function(h, a)
      local log = h.ws:read(M.LOG)
      if not log and h.ref then return ref_read(h, M.LOG, "read", { file_name = M.LOG }) end
      log = log or ""
      -- mlab's harness narrows a long log to the entries that share words
      -- with the plan; the reference sent it whole.
      if not h.ref and #log > 4 * M.BLOCK then log = research_log.relevant(log, a.current_plan, 4 * M.BLOCK) end
      local ans, err, kind = ask(h, mlab.retrieval_prompt(h.problem, a.current_plan, log), M.FAST)
      if not ans then return nil, err, kind end
      return true, ans
    end },
}

M.CATALOGUE = CATALOGUE

---------------------------------------------------------------------------
-- Validation: input -> arguments of the right types, or what is wrong.

-- A value as the argument type wants it, or nil, why not.
-- The reference's typing (the preset): its functions took what json.loads
-- gave; free text went into f-strings (str(): a list as ['a', 'b']), line
-- numbers through int() (the action checks them), and a file name that
-- was not a string made the call fail (TypeError).
local function ref_coerce(a, v)
  if a.type == "integer" then return v end
  if type(v) == "string" then return v end
  if a.text then return pyjson.str(v) end
  return nil, ("%s must be a string, not %s"):format(a.name, pyjson.type_name(v))
end

local function coerce(a, v)
  if a.type == "integer" then
    local n = math.tointeger(v) or (type(v) == "string" and math.tointeger(tonumber(v)))
    if n then return n end
    return nil, ("%s must be a whole number, not %s"):format(a.name,
      type(v) == "string" and ("%q"):format(v) or type(v))
  end
  if a.type == "strings" then
    if type(v) == "string" then return { v } end
    if type(v) == "table" then
      local out = {}
      for i = 1, #v do
        if type(v[i]) ~= "string" and type(v[i]) ~= "number" then
          return nil, ("%s must be a list of strings"):format(a.name)
        end
        out[i] = tostring(v[i])
      end
      return out
    end
    return nil, ("%s must be a list of strings, not a %s"):format(a.name, type(v))
  end
  if type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  if type(v) == "table" and #v > 0 and next(v, #v) == nil then
    local all = true
    for i = 1, #v do all = all and type(v[i]) == "string" end
    -- A list of one name (models write {"dir_path": ["."]}); free text
    -- given as a list of strings (models write "things_to_look_for":
    -- ["the model", "the metric"]) is those strings, a line each.
    if all and (#v == 1 or a.text) then return table.concat(v, "\n") end
  end
  return nil, ("%s must be a string, not a %s"):format(a.name,
    type(v) == "table" and (#v > 0 and "list" or "JSON object") or type(v))
end

local function validate(e, input, ref)
  if type(input) == "string" then
    local keys = {}
    for _, a in ipairs(e.args) do if not a.hidden then keys[#keys + 1] = a.name end end
    local t, err
    if ref then t, err = mlab.parse_action_input(input, keys) else t, err = action_input.parse(input, keys) end
    if not t then return nil, err, "text" end
    input = t
  elseif input == nil then
    input = {}
  elseif type(input) ~= "table" then
    return nil, "Action Input must be a JSON object, not a " .. type(input)
  end
  local args, missing, wrong = {}, {}, {}
  for _, a in ipairs(e.args) do
    local v = input[a.name]
    if v == nil then
      if not a.optional then missing[#missing + 1] = a.name end
    else
      if v == pyjson.null then v = nil end
      local c, err
      if v ~= nil then c, err = (ref and ref_coerce or coerce)(a, v) end
      if v == nil then
        if not a.optional then missing[#missing + 1] = a.name end
      elseif c == nil then wrong[#wrong + 1] = err else args[a.name] = c end
    end
  end
  local extra = false
  if ref then -- the reference's functions took no other keyword
    for k in pairs(input) do
      local known = false
      for _, a in ipairs(e.args) do if a.name == k and not a.hidden then known = true end end
      if not known then extra = true end
    end
  end
  if #missing > 0 or #wrong > 0 or extra then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = "missing " .. table.concat(missing, ", ") end
    for _, w in ipairs(wrong) do parts[#parts + 1] = w end
    local unknown = {}
    for k in pairs(input) do
      local known = false
      for _, a in ipairs(e.args) do if a.name == k then known = true end end
      if not known then unknown[#unknown + 1] = tostring(k) end
    end
    table.sort(unknown)
    if #unknown > 0 then parts[#parts + 1] = "unknown " .. table.concat(unknown, ", ") end
    return nil, table.concat(parts, "; ")
  end
  if e.name == "Inspect Script Lines" and args.end_line_number and not ref then
    local n = args.end_line_number - args.start_line_number
    if n > M.MAX_INSPECT then
      return nil, ("at most %d lines a call; lines %d-%d are %d lines"):format(
        M.MAX_INSPECT + 1, args.start_line_number, args.end_line_number, n + 1)
    end
  end
  return args
end

---------------------------------------------------------------------------
-- The host side.

local H = {}
H.__index = H

-- run: run.lua's run (ws, task, paths, ...); steps: step.lua's; llm: ctx.llm
-- run.harness (the run's --preset; {} for mlab's own harness):
--   style = "mlagentbench"   observations and failures as the reference's
--   script_timeout, mem_mb, out_cap   limits of Execute Script (default:
--                            the task's timeout and memory, run.out_cap)
function M.new(run, steps, llm)
  local harness = run.harness or {}
  local h = setmetatable({ run = run, steps = steps, llm = llm, ws = run.ws, harness = harness,
    ref = harness.style == "mlagentbench",
    problem = run.task.problem_text or "", entries = {}, order = {}, enabled = {} }, H)
  for _, e in ipairs(CATALOGUE) do
    h.entries[e.name] = e
    h.order[#h.order + 1] = e.name
    h.enabled[e.name] = not e.off
  end
  return h
end


local function public(e)
  local args = {}
  for _, a in ipairs(e.args) do
    if not a.hidden then
      args[#args + 1] = { name = a.name, type = a.type, description = a.description,
                          optional = a.optional }
    end
  end
  return { name = e.name, description = e.description, args = args, returns = e.returns }
end

function H:list()
  local out = {}
  for _, n in ipairs(self.order) do
    if self.enabled[n] then out[#out + 1] = n end
  end
  return out
end

local LLM_KINDS = { model = true, auth = true, rate_limit = true, server = true, timeout = true,
                    bad_reply = true, bad_request = true, none = true }

-- Under the preset a failed action reads as the reference's did: the
-- entry's EnvError text (mlagentbench.lua), "LLMError: ..." for a model
-- call; the trace keeps mlab's message and code as the step's error.
local function ref_failure(e, args, msg, code)
  if code == "budget" or type(code) == "table" then return nil, msg, code end
  if e.model and LLM_KINDS[code] then return ref_model_error(msg, code) end
  if code == "denied" then
    local path
    for _, a in ipairs(e.args) do
      local v = args[a.name]
      if a.path and type(v) == "string" and (path == nil or tostring(msg):find(v, 1, true)) then path = v end
    end
    return env_error(msg, code, mlab.error("outside", { path = path or "" }))
  end
  if e.ref_error then return env_error(msg, code, mlab.error(e.ref_error, args)) end
  return env_error(msg, code, ("EnvError: Error executing %s."):format(e.name))
end

-- Runs action `name` with validated args as one step; inside another step
-- (an agent-defined action composing others) it runs as part of that step.
function H:call(name, args)
  local e = assert(self.entries[name], name)
  local function fn()
    if e.agent_run then return self:run_defined(e, args) end
    local v, obs, extra = e.run(self, args)
    if v == nil and self.ref then return ref_failure(e, args, obs, extra) end
    return v, obs, extra
  end
  if self.inside then
    if name == "Final Answer" then
      return { error = "Final Answer cannot be given inside another action", code = "denied" }
    end
    local v, obs, extra = fn()
    if v == nil then
      local shown
      if type(extra) == "table" then extra, shown = extra.code, extra.observation end
      return { error = tostring(obs), code = extra, observation = shown or ("error: " .. tostring(obs)) }
    end
    return { value = v, observation = obs }
  end
  -- On resume: an agent's own action and a model-backed one consume the
  -- model calls they made (skip_calls) before their value is revived.
  local revive
  if e.agent_run then
    revive = function(rec) skip_calls(self, rec); return rec.observation end
  elseif e.model then
    revive = function(rec) return skip_calls(self, rec) end
  elseif e.revive then
    revive = function(rec) return e.revive(self, rec) end
  end
  -- What the step may change: the entry's paths ({} when it changes
  -- nothing), or nil (a script ran, an agent's action: walk it all).
  local paths = {}
  if e.agent_run or e.changes == "any" then
    paths = nil
  elseif e.changes then
    paths = e.changes(args)
  end
  local r = self.steps:take(name, args, fn, { revive = revive, agent_code = e.agent_run ~= nil,
    paths = paths })
  if name == "Final Answer" and r.value then
    self.run.final_answer = args.final_answer
    self.steps:finish_answer()
  end
  return r
end

-- Bad input as a step of its own: the agent is told, the trace shows it.
-- shown: what the agent reads instead of "error: " .. msg (the preset).
function H:refuse(name, input, msg, shown)
  return self.steps:take(name, input, function()
    return nil, msg, shown and { code = "invalid", observation = shown } or "invalid"
  end, { paths = {} })
end

-- An agent-defined action: its run(ctx, args) is agent code; the calls it
-- makes to ctx.env / ctx.actions run inside this step.
function H:run_defined(e, args)
  self.inside = true
  local ok, obs, err = pcall(e.agent_run, self.ctx, plain.readonly(args))
  self.inside = false
  if not ok then error(obs, 0) end
  if obs == nil then
    return nil, type(err) == "string" and err or "the action failed", "failed"
  end
  if type(obs) ~= "string" then
    return nil, e.name .. ": run must return the observation text, not a " .. type(obs), "invalid"
  end
  return obs, obs
end

local function raw(input)
  if type(input) == "table" or type(input) == "string" then return input end
  return tostring(input)
end

-- ctx.actions:run(name, input): the tolerant door for model output.
function H:run_text(name, input)
  local known, why
  if self.ref then
    -- The reference's environment knew names exactly.
    known = type(name) == "string" and self.enabled[name] and name or nil
    why = tostring(name)
  else
    known, why = reply.match_action(type(name) == "string" and name or "", self:list())
  end
  if not known then
    local msg = ("Invalid action: %s"):format(why)
    local r = self:refuse("Invalid Action", { action = tostring(name), input = raw(input) }, msg,
      self.ref and mlab.invalid_action(tostring(name), mlab.ACTIONS) or nil)
    return r.observation or ("error: " .. msg), { ok = false, error = msg, code = "invalid" }
  end
  local e = self.entries[known]
  local args, err, how = validate(e, input, self.ref)
  if not args then
    local msg = ("The Action Input for %s is not valid: %s.\nIt takes:\n%s"):format(
      known, err, prompt.usage(public(e)))
    local shown
    if self.ref then shown = (how == "text" and "" or "EnvError: ") .. mlab.bad_input(public(e)) end
    local r = self:refuse(known, { input = raw(input) }, msg, shown)
    return r.observation or ("error: " .. msg), { ok = false, action = known, error = msg, code = "invalid" }
  end
  local r = self:call(known, args)
  -- No observation: the step was refused before it ran (the run is over).
  local obs = r.observation or ("error: " .. tostring(r.error))
  if r.error then
    return obs, { ok = false, action = known, error = r.error, code = r.code }
  end
  return obs, { ok = true, action = known, final = known == "Final Answer" or nil }
end

local function check_name(self, name)
  if type(name) ~= "string" or not self.entries[name] then
    error("actions: no action named '" .. tostring(name) .. "'", 3)
  end
end

-- ctx.actions:define{...}: an action of the agent's own.
function H:define(spec)
  local fn = rawget(spec, "run")
  local fields = {}
  for _, k in ipairs({ "name", "description", "args", "returns" }) do fields[k] = rawget(spec, k) end
  local s, err = plain.copy(fields, "define")
  if not s then error(err, 3) end
  if type(s.name) ~= "string" or not s.name:match("^[%w][%w _%-%(%)]*$") or #s.name > 64 then
    error("define: name must be a short name of letters, digits, spaces, '-', '_' or '()'", 3)
  end
  if self.entries[s.name] then error("define: '" .. s.name .. "' is already an action", 3) end
  if type(fn) ~= "function" then error("define: run must be a function(ctx, args)", 3) end
  if type(s.description) ~= "string" then error("define: description must be a string", 3) end
  local args = {}
  for i, a in ipairs(s.args or {}) do
    if type(a) ~= "table" or type(a.name) ~= "string" then
      error("define: args[" .. i .. "] needs a name", 3)
    end
    local ty = a.type or "string"
    if ty ~= "string" and ty ~= "integer" and ty ~= "strings" then
      error("define: args[" .. i .. "].type must be string, integer or strings", 3)
    end
    args[i] = { name = a.name, type = ty, description = tostring(a.description or ""),
                optional = a.optional == true, text = ty == "string" }
  end
  local e = { name = s.name, description = s.description, args = args,
              returns = type(s.returns) == "string" and s.returns or "the observation",
              agent_run = fn, defined = true }
  self.entries[e.name] = e
  self.order[#self.order + 1] = e.name
  self.enabled[e.name] = true
  return e.name
end

---------------------------------------------------------------------------
-- The agent's door.

function M.door(h)
  local methods = {
    run = function(_, name, input)
      local copy, err = plain.copy(input, "Action Input")
      if err then error(err, 2) end
      return h:run_text(name, copy)
    end,
    list = function() return h:list() end,
    get = function(_, name)
      local e = type(name) == "string" and h.entries[name]
      return e and public(e) or nil
    end,
    specs = function(_, names)
      local out = {}
      local list = names ~= nil and assert(plain.copy(names, "names")) or h:list()
      for _, n in ipairs(list) do
        check_name(h, n)
        out[#out + 1] = public(h.entries[n])
      end
      return out
    end,
    enable = function(_, name) check_name(h, name); h.enabled[name] = true end,
    disable = function(_, name) check_name(h, name); h.enabled[name] = false end,
    define = function(_, spec)
      if type(spec) ~= "table" then error("define: expected a table { name, description, args, run }", 2) end
      return h:define(spec)
    end,
  }
  methods.describe = function(self, names)
    return prompt.describe_actions(methods.specs(self, names))
  end
  return ctl.seal(methods, "ctx.actions")
end

return M
