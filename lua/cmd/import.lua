-- cmd/import.lua - `mlab import mlagentbench PATH...`: the reference
-- system's run logs as mlab run directories (import_mlagentbench.lua).
local cl = require("cmdline")
local imp = require("import_mlagentbench")
local term = require("term")

local M = {}

M.help = [[
usage: mlab import mlagentbench PATH... [--input-limit MODEL=N,...] [--runs-dir D] [-q]

Turns MLAgentBench run logs into mlab run directories (one per run, id
mlagentbench-TASK-MODEL-RUN).  PATH is a trace (env_log/trace.json or
TASK__MODEL__RUN.trace.json), a run folder (env_log/trace.json and, when
present, env_log/traces/step_N_files/, env_log/error.txt, agent_log/), a
bundle folder (traces/*.trace.json with runs.jsonl and replies.jsonl), or
a folder to search for them.

Each run gets trace.jsonl (the same steps, actions, arguments and
observations in order; the framework's research-log steps marked
bookkeeping), llm.jsonl (the raw replies, when the log has them),
run.json (task, model, how it ended, steps, duration, and a fidelity
record) and history.git (a commit per step from the workspace copies, or
one commit when the log has none).  A run already imported is skipped; a
copy of another run (the same steps) is marked duplicate_of.  A trace cut
short is imported up to its last whole step and marked partial.  Exit
status 0 when every path imported (or was already there), 1 otherwise.

--input-limit MODEL=N says that MODEL's server kept only the first N tokens
of a prompt (the logs hold the whole prompt; e.g. codellama=3000 for the
shared runs, whose Hugging Face endpoint cut inputs at 3000 tokens): each
call of that model records it, and the context detector flags longer ones.
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", quiet = "flag", q = "flag",
    ["input-limit"] = "value" })
  if not o then cl.usage(pos) end
  local limits
  if o["input-limit"] then
    limits = {}
    for item in o["input-limit"]:gmatch("[^,]+") do
      local model, n = item:match("^%s*(.-)%s*=%s*(%d+)%s*$")
      if not model or model == "" then cl.usage("--input-limit takes MODEL=TOKENS[,MODEL=TOKENS]") end
      limits[model] = math.tointeger(tonumber(n))
    end
  end
  if pos[1] ~= "mlagentbench" then
    cl.usage("mlab import takes a format (mlagentbench) and paths (see mlab import --help)")
  end
  if #pos < 2 then cl.usage("mlab import mlagentbench: which logs? (see mlab import --help)") end
  local quiet = o.quiet or o.q
  local runs_dir = cl.runs_dir(o)
  local sources, errs = imp.find(table.move(pos, 2, #pos, 1, {}))
  local failed = #errs
  for _, e in ipairs(errs) do cl.err(term.visible(e)) end
  local sys = require("mlab.sys")
  if not sys.stat(runs_dir) then assert(sys.mkdir_p(runs_dir)) end
  local seen = imp.seen(runs_dir)
  local done, skipped = 0, 0
  for _, src in ipairs(sources) do
    local run, rerr = imp.read(src)
    if not run then
      failed = failed + 1
      cl.err(term.visible(rerr))
    else
      local id = imp.run_id(run)
      if require("rundir").is_run(runs_dir .. "/" .. id) then
        skipped = skipped + 1
        if not quiet then cl.out(("%-64s already imported\n"):format(id)) end
      else
        local rd, werr = imp.write(runs_dir, run, { key_seen = seen, input_limits = limits })
        if not rd then
          failed = failed + 1
          cl.err(term.visible(werr))
        else
          done = done + 1
          if not quiet then
            local m = rd:manifest()
            local im = m.imported
            cl.out(("%-64s %3d steps  %-17s workspace %-8s calls %-4s%s%s\n"):format(id, m.steps,
              im.ended, im.fidelity.workspace, im.fidelity.calls,
              im.partial and "  PARTIAL" or "", im.duplicate_of and ("  copy of " .. im.duplicate_of) or ""))
          end
        end
      end
    end
  end
  if not quiet or failed > 0 then
    cl.out(("imported %d, already there %d, failed %d (into %s)\n"):format(done, skipped, failed, runs_dir))
  end
  return failed == 0 and 0 or 1
end

return M
