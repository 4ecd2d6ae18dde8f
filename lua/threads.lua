--[[ threads.lua - thread counts for child processes that share the
machine: the runs of a sweep, the evaluations of eval --all-steps.

  local threads = require("threads")
  threads.env(jobs [, env])   -- env (a new table when nil) with
      -- OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to this process's
      -- processors / jobs (at least 1; a Slurm task's are
      -- SLURM_CPUS_PER_TASK), each unless mlab's own environment sets it

A script that starts a thread per core, run next to another that does the
same, oversubscribes the machine, and OpenMP's spinning barriers then turn
a 3 s fit into minutes (seen: scikit-learn's HistGradientBoostingClassifier
under sweep --jobs 2 on 2 cores went from 2.9 s to the 120 s script
limit).  Scripts get these through exec_default_env, which copies them
from mlab's environment.
]]
local sys = require("mlab.sys")

local M = {}

function M.env(jobs, env)
  env = env or {}
  local cpus = math.tointeger(tonumber(sys.getenv("SLURM_CPUS_PER_TASK") or "")) or sys.ncpu()
  local n = tostring(math.max(1, cpus // math.max(1, math.tointeger(jobs) or 1)))
  for _, k in ipairs({ "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS" }) do
    if not sys.getenv(k) then env[k] = n end
  end
  return env
end

return M
