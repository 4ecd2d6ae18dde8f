-- cmd/eval.lua - `mlab eval RUN`: score a run's workspace, one step's
-- committed tree, or every step's (cached in scores.jsonl by tree id).
local cl = require("cmdline")
local snap_mod = require("mlab.snap")
local json = require("json")
local task_mod = require("task")
local scores = require("scores")
local patch = require("patch")
local view = require("view")

local M = {}

M.help = [[
usage: mlab eval RUN [--step N | --all-steps] [options] [--runs-dir D]

Runs the task's evaluator (on the hidden data) and prints the score against
the baseline.
  (no option)     the tree committed after the last step (what run.json
                  scored), checked out afresh: never the live workspace
  --step N        the tree committed after step N, checked out afresh; an
                  edit step that did not rewrite the submission scores the
                  submission an earlier step wrote, and eval says which
  --all-steps     every step's tree: each distinct tree scored once, in
                  parallel, cached in RUN/scores.jsonl (reports and pages
                  then show a score curve and success at any step)
  --jobs J        evaluations at once with --all-steps (default: the
                  processors here); each gets processors / J as
                  OMP_NUM_THREADS and OPENBLAS_NUM_THREADS unless set
  --rescore       with --all-steps: score every tree again
  --no-cache      with --step: neither read nor write scores.jsonl
  --record        with --step: print the cache record, one JSON line
  --json          with --all-steps: the curve as JSON
Exit status 1 when the evaluation (of the final or the one step) failed.
]]

local function load_task(m)
  local task, terr = task_mod.load(m.task_dir)
  if not task then return nil, terr end
  local data, perr = task_mod.prepare(task, function(s) io.stderr:write(s, "\n") end)
  if not data then return nil, perr end
  return task, data
end

-- The last step <= n whose change touched a generated file (the
-- submission), 0 for the starter files.
local function written_at(h, n, generated)
  for k = n, 1, -1 do
    local changes = h:changes("step-" .. k) or ""
    for line in changes:gmatch("[^\n]+") do
      local path = line:match("^%a (.*)$") or ""
      path = path:match(" %-> (.*)$") or path
      if patch.matches(path, generated) then return k end
    end
  end
  return 0
end

local function one_step(rd, m, o, final)
  local n = cl.step(o.step)
  local task, data = load_task(m)
  if not task then cl.err(data); return 2 end
  local h = assert(snap_mod.open(rd.paths.git))
  local tree = h:tree("step-" .. n)
  if not tree then cl.err(("run %s has no step %d"):format(m.id, n)); return 2 end
  local evaluator = scores.evaluator_id(task)
  local rec
  if not o["no-cache"] then
    local by_tree = scores.index(rd)
    local r = by_tree[tree]
    if r and r.evaluator == evaluator then
      rec = r
      rec.cached = true
    end
  end
  if not rec then
    local err
    rec, err = scores.score_rev(task, data, h, "step-" .. n)
    if not rec then cl.err(err); return 2 end
    rec.step = n
    if not o["no-cache"] then assert(rd:append_score(rec)) end
  end
  if o.record then
    cl.out(json.encode(rec), "\n")
    return rec.error and 1 or 0
  end
  local steps = rd:steps()
  local from = n > 0 and written_at(h, n, patch.generated(task)) or 0
  if from < n and n > 0 and not final then
    io.stderr:write(("note: step %d (%s) did not rewrite the generated files; the score is "
      .. "that of what step %d left (%s)\n"):format(n, steps[n] and steps[n].action or "?", from,
      from == 0 and "the starter files" or (steps[from] and steps[from].action or "?")))
  end
  if rec.error then cl.err("evaluation failed: " .. rec.error); return 1 end
  local imp = task_mod.improvement(task, rec.score, m.baseline)
  cl.out(json.encode({ run = m.id, step = n, tree = tree, score = rec.score,
    baseline = m.baseline, improvement = imp, success = imp ~= nil and imp > task.threshold,
    evaluation = rec.evaluation, cached = rec.cached or false, files_from_step = from }, "  "), "\n")
  return 0
end

local function all_steps(rd, m, o)
  local curve, info = scores.evaluate_all(rd, m, { jobs = o.jobs and cl.number(o, "jobs"),
    rescore = o.rescore, log = function(s) io.stderr:write(s, "\n") end })
  if not curve then cl.err(info); return 2 end
  if info.interrupted then
    cl.err(("stopped: %d trees left unscored (run it again to go on)"):format(info.left))
  end
  local best = scores.best(rd, m)
  if o.json then
    local steps = {}
    for i, p in ipairs(curve) do
      steps[i] = { step = p.step, action = p.action, tree = p.tree, changed = p.changed,
                   score = p.score, improvement = p.improvement, error = p.error }
    end
    cl.out(json.encode({ run = m.id, baseline = m.baseline, threshold = m.threshold,
      steps = json.array(steps), best = best, success_any = best and best.success_any,
      success = m.success, scored = info.scored, cached = info.cached, distinct = info.distinct,
      jobs = info.jobs, seconds = info.seconds, interrupted = info.interrupted }, "  "), "\n")
    return info.interrupted and 130 or 0
  end
  cl.out(("run %s: %d steps, %d distinct trees: %d scored now (%.1f s, %d at once), %d from the cache\n\n")
    :format(m.id, #curve - 1, info.distinct, info.scored, info.seconds, info.jobs, info.cached))
  local rows = {}
  for _, p in ipairs(curve) do
    rows[#rows + 1] = { tostring(p.step), view.one_line(p.action, 22),
      p.tree and p.tree:sub(1, 7) or "-", p.changed and "" or "same",
      view.score(p.score), view.pct(p.improvement),
      p.error and view.one_line("evaluation failed: " .. p.error, 70) or "" }
  end
  cl.out(view.table({ { "step", "r" }, { "action" }, { "tree" }, { "" }, { "score", "r" },
    { "improvement", "r" }, { "" } }, rows))
  if best and best.step then
    cl.out(("\nbest %s after step %d (%s); success at any step: %s; final: %s (threshold %+.0f%%)\n")
      :format(view.score(best.score), best.step, view.pct(best.improvement),
        best.success_any and "yes" or "no", m.success and "yes" or "no", (m.threshold or 0.1) * 100))
  else
    cl.out("\nno step has a valid score\n")
  end
  return info.interrupted and 130 or 0
end

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", step = "value", ["all-steps"] = "flag",
    jobs = "value", rescore = "flag", ["no-cache"] = "flag", record = "flag", json = "flag" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  if o.step and o["all-steps"] then cl.usage("--step and --all-steps: one or the other") end
  local rd = cl.run(o, pos[1])
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  if o["all-steps"] then return all_steps(rd, m, o) end
  -- No step named: the last one's committed tree (what run.json scored),
  -- never the live workspace.
  local final = not o.step
  o.step = o.step or tostring(#rd:steps())
  return one_step(rd, m, o, final)
end

return M
