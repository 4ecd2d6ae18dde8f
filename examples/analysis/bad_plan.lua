--[[ bad_plan.lua - a plan that could not reach a result.

  local labels = require("bad_plan")(view)

Rules (the last two only for runs the agent played out: a final answer,
or its budget spent; a crash or a kill says nothing of how it would have
ended; and not when every execution failed for the machine's sake, see
fm_lib.env_failure):
  no_experiment     ten or more steps in a row that the agent chose, with
                    no script executed among them;
  edit_never_run    a script the agent wrote or edited that it never ran
                    afterwards (the run went on for 3 or more steps, or ended
                    with a final answer);
  answer_without_run  the final answer was given with no successful run of
                    the code after its last edit (or none at all);
  submission_missing  the task asks for a file (submission.csv) that the
                    final workspace lacks; for imported runs without a
                    workspace, no script ever ran successfully, a listing
                    after the last run lacks it, or it was last written by
                    copying a script over it.
]]
local lib = require("fm_lib")

local STRETCH = 10
local AFTER = 3

return function(v)
  local labels = {}
  local steps = {}
  for _, s in ipairs(v.model_steps) do
    if not s.shutdown then steps[#steps + 1] = s end
  end
  -- long stretches without an experiment
  local from = nil
  local function close(to)
    if from and to - from + 1 >= STRETCH then
      labels[#labels + 1] = lib.label("bad_plan", "no_experiment",
        ("%d steps in a row without running a script (steps %d-%d)"):format(to - from + 1,
          steps[from].step, steps[to].step),
        { { step = steps[from].step, quote = steps[from].action },
          { step = steps[to].step, quote = steps[to].action } })
    end
    from = nil
  end
  for i, s in ipairs(steps) do
    if lib.is_exec(s) then close(i - 1) else from = from or i end
  end
  close(#steps)

  -- edits never run
  local final_step = v.final and v.final.step
  for i, s in ipairs(steps) do
    local script = lib.edited_script(s)
    if script and s.action ~= "Undo Edit Script" and not s.error then
      local ran = false
      for k = i + 1, #steps do
        if lib.is_exec(steps[k]) and lib.script_of(steps[k]) == script then ran = true; break end
      end
      local after = #steps - i
      if not ran and (after >= AFTER or final_step) then
        labels[#labels + 1] = lib.label("bad_plan", "edit_never_run",
          ("%s was edited at step %d and never run afterwards"):format(script, s.step),
          { { step = s.step, quote = s.action .. " " .. script } })
        break -- one is enough to say it
      end
    end
  end

  -- Every execution failed for the machine's sake: the agent could not
  -- have run its code, so the rest is the environment's (environment.lua).
  local any_ok, env_only = false, false
  for _, s in ipairs(steps) do
    if lib.exec_ok(s) then any_ok = true end
    if lib.env_failure(s) then env_only = true end
  end
  if not v.played or (env_only and not any_ok) then return labels end

  -- the final answer without running the final code
  if v.final then
    local last_edit, last_ok = nil, nil
    for _, s in ipairs(steps) do
      if s.step < v.final.step then
        if lib.edited_script(s) and not s.error then last_edit = s end
        if lib.exec_ok(s) then last_ok = s end
      end
    end
    if not last_ok then
      labels[#labels + 1] = lib.label("bad_plan", "answer_without_run",
        "the final answer was given without any successful run of a script",
        { { step = v.final.step, quote = lib.quote(v.final.text, 120) } })
    elseif last_edit and last_edit.step > last_ok.step then
      labels[#labels + 1] = lib.label("bad_plan", "answer_without_run",
        ("the final answer was given after an edit (step %d) that was never run successfully"):format(last_edit.step),
        { { step = last_edit.step, quote = last_edit.action .. " " .. tostring(lib.edited_script(last_edit)) },
          { step = v.final.step, quote = lib.quote(v.final.text, 120) } })
    end
  end

  -- the submission file
  local sub = lib.submission_file(v)
  if sub then
    local fidelity = v.m.imported and v.m.imported.fidelity
    local has_workspace = not (fidelity and fidelity.workspace == "none") and #v.steps > 0
    local missing, why, ev
    if has_workspace then
      local files = v.run:files(#v.steps) or {}
      missing = true
      for _, p in ipairs(files) do
        if p == sub or p:match("/" .. sub:gsub("%p", "%%%0") .. "$") then missing = false end
      end
      why = ("%s, which the task asks for, is not in the final workspace"):format(sub)
      ev = { { step = #v.steps, quote = "final workspace: " .. table.concat(files, " "):sub(1, 120) } }
    else
      local last_ok, last_write, listing = nil, nil, nil
      for _, s in ipairs(steps) do
        if lib.exec_ok(s) then last_ok = s; listing = nil end
        local d = type(s.input) == "table" and s.input.dir_path
        if s.action == "List Files" and not s.error and (d == "." or d == "./" or d == "")
            and not tostring(s.observation):match("^EnvError") then
          listing = s
        end
        local i = type(s.input) == "table" and s.input or {}
        local dest = (s.action == "Copy File" and i.destination) or
          ((s.action == "Write File" or s.action == "Append File") and i.file_name)
        if type(dest) == "string" and dest:match(sub:gsub("%p", "%%%0") .. "$") and not s.error then
          last_write = s
        end
      end
      if not last_ok then
        missing, why = true, ("no script ever ran successfully, so %s was never written"):format(sub)
        ev = { { step = steps[#steps] and steps[#steps].step or 0, quote = "no successful execution in the run" } }
      elseif listing and not tostring(listing.observation):find(sub, 1, true)
          and not (last_write and last_write.step > listing.step) then
        missing = true
        why = ("%s is not in the listing of step %d, after the last run of a script"):format(sub, listing.step)
        ev = { { step = listing.step, quote = lib.quote(listing.observation, 120) } }
      elseif last_write and last_write.step > last_ok.step and last_write.action == "Copy File"
          and tostring(last_write.input.source):match("%.py$") then
        missing = true
        why = ("%s was overwritten with a copy of %s at step %d"):format(sub, last_write.input.source, last_write.step)
        ev = { { step = last_write.step, quote = ("Copy File %s -> %s"):format(last_write.input.source, sub) } }
      end
    end
    if missing then labels[#labels + 1] = lib.label("bad_plan", "submission_missing", why, ev) end
  end
  return labels
end
