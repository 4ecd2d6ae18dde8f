--[[ branch.lua - a new run that starts from step N of another
(`mlab branch R N`), on the resume machinery of run.lua.

  local run, ropts = branch.start{ parent = rd, step = N, runs_dir = D,
    root = ROOT, agent = A, llm = SPEC, id = ID, max_steps = n,
    max_time = s, on_step = fn, verbose = b,
    unconfined = b }                                -- or nil, message
  local m = require("run").complete(run, ropts)

The branch's directory is made from the parent's, then handed to
run.resume, which does the rest exactly as for a killed run:
  - history.git is a copy of the parent's with the tags after step N
    removed: its first N+1 commits are the parent's own (the same ids, so
    plain git shows where the two part), and the new steps are committed on
    top of step-N;
  - trace.jsonl holds the parent's steps 1..N, each marked `inherited`;
  - llm.jsonl holds the parent's model calls made before step N;
  - run.json is the parent's with the new agent, model and budgets,
    `parent = { id, step, dir }`, status running;
  - the undo store is the parent's when N is its last step, else empty
    (an Undo Edit Script after the fork cannot undo edits made before it).
run.resume restores the workspace to step N, and the agent is started
again from the beginning with its first N steps answered from the trace
and its model calls from the recording (each checked: an agent that asks
for something else ends the run as agent_error, "diverged"); then it goes
on live with the chosen agent and model.
]]
local sys = require("mlab.sys")
local snap_mod = require("mlab.snap")
local rundir = require("rundir")
local run_mod = require("run")
local llm = require("llm")

local M = {}

-- Removes the tags step-K (K > n, up to the parent's last) from a copied
-- history: the branch's history shows the fork, not the parent's future.
local function drop_later_tags(gitdir, n, last)
  local h = assert(snap_mod.open(gitdir))
  for k = n + 1, last do
    local ok, err, code = h:untag("step-" .. k)
    if not ok and code ~= "not_found" then error(err, 0) end
  end
end

function M.start(o)
  local parent = o.parent
  local pm, merr = parent:manifest()
  if not pm then return nil, merr end
  if pm.imported then
    return nil, ("run %s was imported from %s: it has no mlab task or agent to go on with"):format(
      pm.id, tostring(pm.imported.from))
  end
  if pm.status == "running" and rundir.host_alive(pm) then
    return nil, "run " .. pm.id .. " is still running"
  end
  local steps = parent:steps()
  local n = o.step
  if n > #steps then
    return nil, ("run %s has %d steps: it cannot be branched at step %d"):format(pm.id, #steps, n)
  end
  local h = parent:history()
  if not h or not h:resolve("step-" .. n) then
    return nil, ("run %s has no commit for step %d in its history"):format(pm.id, n)
  end
  local agent = o.agent or pm.agent_path or pm.agent
  local agent_path = o.agent and run_mod.agent_path(o.root, o.agent) or pm.agent_path
  if not agent_path or not sys.stat(agent_path) then
    return nil, "no agent at " .. tostring(agent_path)
  end
  local chunk, cerr = require("sandbox").loadfile(agent_path, {})
  if not chunk then return nil, "agent " .. tostring(cerr) end
  local spec = o.llm or pm.llm or "none"
  if not llm.parse_spec(spec) then
    local _, perr = llm.parse_spec(spec)
    return nil, perr
  end
  local max_steps = o.max_steps or (pm.budgets and math.tointeger(pm.budgets.max_steps)) or 0
  if max_steps > 0 and max_steps <= n then
    return nil, ("the step budget (%d) leaves no step after step %d: give --max-steps"):format(max_steps, n)
  end

  local name = agent:match("([^/]+)%.lua$") or agent
  local rd, err = rundir.create(o.runs_dir, o.id or rundir.new_id(pm.task, name))
  if not rd then return nil, err end
  local ok, berr = pcall(function()
    assert(sys.copy_tree(parent.paths.git, rd.paths.git))
    drop_later_tags(rd.paths.git, n, #steps)
    assert(sys.mkdir_p(rd.paths.workspace))
    if n == #steps and sys.stat(parent.paths.undo) then
      assert(sys.copy_tree(parent.paths.undo, rd.paths.undo))
    end
    local inherited = {}
    for i = 1, n do
      local s = steps[i]
      s.inherited = true
      inherited[i] = s
    end
    assert(rd:keep_steps(inherited))
    local calls = {}
    for _, c in ipairs(parent:calls()) do
      if (tonumber(c.step) or 0) < n then calls[#calls + 1] = c end
    end
    assert(rd:keep_calls(calls))
    local m = {}
    for k, v in pairs(pm) do m[k] = v end
    m.id = rd.id
    m.agent = name
    m.agent_path = agent_path
    m.llm = llm.public_spec(spec)
    m.parent = { id = pm.id, step = n, dir = parent.dir }
    m.budgets = m.budgets or {}
    m.budgets.max_steps = max_steps
    if o.max_time then m.budgets.max_time = o.max_time end
    m.status, m.pid, m.started, m.ended = "running", nil, sys.now(), nil
    m.steps, m.resumed, m.replay_of = n, nil, nil
    for _, k in ipairs({ "message", "score", "evaluation", "evaluation_error", "improvement",
        "success", "final_answer", "budget_kind", "time_s", "llm_usage", "tokens" }) do
      m[k] = nil
    end
    assert(rd:write_manifest(m))
  end)
  if not ok then
    sys.remove_tree(rd.dir)
    return nil, "cannot make the branch: " .. tostring(berr)
  end
  local run, ropts = run_mod.resume({ dir = rd.dir, root = o.root, llm = spec,
    max_steps = max_steps, max_time = o.max_time or (pm.budgets and pm.budgets.max_time) or run_mod.DEFAULTS.max_time,
    on_step = o.on_step, verbose = o.verbose, unconfined = o.unconfined })
  if not run then return nil, ropts end
  run.manifest.resumed = nil -- a branch is not a resume of itself
  return run, ropts
end

return M
