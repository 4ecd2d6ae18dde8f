-- cmd/show.lua - `mlab show RUN STEP`: one step, the reasoning that led to
-- it, and its diff; `mlab show RUN --html [FILE]`: the whole run as a page.
local cl = require("cmdline")
local snap_mod = require("mlab.snap")
local json = require("json")
local term = require("term")
local view = require("view")
local patch = require("patch")
local reasoning = require("reasoning")
local task_mod = require("task")
local scores = require("scores")

local M = {}

M.help = [[
usage: mlab show RUN STEP [--all] [--runs-dir D]
       mlab show RUN --html [FILE] [--runs-dir D]

One step: the model's reasoning that led to it (the parsed entries of the
reply that chose the action, from llm.jsonl), the action, its input and
observation, whether it failed, the score after it (when the run's steps
were scored), and the diff it made to the workspace.  Files scripts
generate (submissions, data outputs, models: the task's `generated`
globs, else submission*, *.csv, *.npy, *.pkl, ...) are summarised as
--stat lines; --all shows them whole.
  --html [FILE]    write the whole run as one self-contained HTML page
                   (default RUN/run.html) and print its path: every step
                   with its reasoning, observation and diff, the score
                   curve, failed steps marked, j/k to move, / to search,
                   an anchor per step (run.html#step-12)
]]

-- The task's generated-file globs, or the defaults when it cannot load.
function M.generated(m)
  local task = m.task_dir and task_mod.load(m.task_dir)
  return patch.generated(task or nil)
end

local function indent(text, pad)
  return pad .. tostring(text):gsub("\n", "\n" .. pad)
end

-- `--html` may come without a file: the run page's default place.
local function html_arg(args)
  for i, a in ipairs(args) do
    if a == "--html" and (args[i + 1] == nil or args[i + 1]:sub(1, 1) == "-") then
      table.insert(args, i + 1, "")
      break
    end
  end
  return args
end

function M.main(args)
  local o, pos = cl.parse(html_arg(args), { ["runs-dir"] = "value", all = "flag", html = "value" })
  if not o then cl.usage(pos .. " (see mlab show --help)") end
  if o.html then
    if #pos ~= 1 then cl.usage("usage: mlab show RUN --html [FILE]") end
    local rd = cl.run(o, pos[1])
    local path, err = require("page_run").write(rd, o.html ~= "" and o.html or nil)
    if not path then cl.err(err); return 2 end
    cl.out(path, "\n")
    return 0
  end
  if #pos ~= 2 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local n = cl.step(pos[2])
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  local h = assert(snap_mod.open(rd.paths.git))
  if n == 0 then
    cl.out("step 0: starter files\n\n")
    cl.out(assert(h:changes("step-0")))
    return 0
  end
  local steps = rd:steps()
  local s = steps[n]
  if not s then cl.err(("run has no step %d (it has %d)"):format(n, #steps)); return 2 end
  cl.out(("step %d: %s   (%.2f s, %d tokens, commit %s)\n"):format(n, s.action, s.duration_s or 0,
    math.tointeger(s.tokens) or 0, s.commit or "?"))
  local why = view.failure(s)
  if why then
    local line = s.error and not s.result and s.error or view.last_line(s.observation)
    cl.out(("FAILED   %s: %s\n"):format(why, view.one_line(line, 200)))
  end
  local curve = scores.curve(rd, m, steps)
  local p = curve[n + 1]
  if p and p.scored then
    cl.out(("score    %s after this step%s\n"):format(p.score and view.score(p.score) or "-",
      p.score and (" (" .. view.pct(p.improvement) .. " over the baseline)")
        or (": evaluation failed: " .. view.one_line(p.error, 150))))
  end

  local r = reasoning.join(rd:calls())[n]
  if r and r.decision then
    cl.out(("\nreasoning (model call %s of llm.jsonl%s):\n"):format(
      tostring(math.tointeger(r.decision.call) or "?"),
      #r.calls > 1 and ("; %d calls while this step was pending"):format(#r.calls) or ""))
    for _, f in ipairs(r.fields) do
      if f.field ~= "Action" and f.field ~= "Action Input" then
        cl.out("  ", f.field, ":\n", indent(term.visible(f.text), "    "), "\n")
      end
    end
  elseif r then
    cl.out(("\nmodel calls while this step was pending: %d (none chose the action)\n"):format(#r.calls))
  end

  cl.out("\ninput:\n", term.visible(json.encode(s.input, "  ")), "\n")
  cl.out("\nobservation:\n", term.visible(s.error and ("error: " .. s.error) or tostring(s.observation)), "\n")
  local text = h:diff("step-" .. (n - 1), "step-" .. n)
  if text and text ~= "" then
    cl.out("\ndiff:\n", term.visible(patch.render(text, { generated = M.generated(m), all = o.all })))
  else
    cl.out("\ndiff:\n(no change to the workspace)\n")
  end
  return 0
end

return M
