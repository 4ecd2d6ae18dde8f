--[[ cli.lua - the mlab command line.  main.c calls M.main(args, version).

Each command is a module lua/cmd/NAME.lua returning { help = "usage...",
main = function(args) -> exit status }; the shared pieces (options, the
runs folder, naming a run, output) are cmdline.lua's, runs as text are
view.lua's.  A usage error (cmdline.usage) prints one line and exits 2.
]]
local cl = require("cmdline")

local M = {}

local HELP = [[
usage: mlab COMMAND [ARGS]

Runs language agents on ML research tasks, every step traced and committed
to git, under budgets the host enforces.

commands:
  run TASK [options]        run an agent on a task (see mlab run --help)
  runs                      list the runs in the runs directory
  log RUN                   the steps of a run, with its status and score
  show RUN STEP             one step: action, input, observation, its diff
  diff RUN A B [-- PATH]    the workspace change from step A to step B
  checkout RUN STEP DIR     write the workspace as it was after STEP into DIR
  resume RUN                continue a killed or out-of-budget run
  eval RUN [--step N]       score the workspace (at step N, or --all-steps) with the hidden data
  report [RUNS...]          success, improvement, tokens, time per task and agent (--html)
  replay RUN                re-run RUN from its recorded model calls and compare
  branch RUN N              a new run from step N of RUN (another agent or model)
  script FILE [ARGS]        run an analysis script over runs (examples/analysis/)
  import mlagentbench PATH  turn the reference system's logs into run directories
  export atif RUN           write RUN as an ATIF trajectory (Harbor, Docent, ...)
  tasks [--measure NAME]    list the tasks (or re-measure one's baseline)
  sweep --out DIR ...       many runs (tasks x agents x models x seeds), resumable
  actions [--md|--json]     the action catalogue agents act with
  test-lua FILE             run a Lua test file in the agent sandbox
  help [COMMAND]            this text, or a command's

RUN is a run id, a unique prefix of one, a path to a run directory, or
"last".  Runs live in ./runs unless --runs-dir DIR or MLAB_RUNS_DIR says
otherwise.  Task data and baselines are cached in $MLAB_CACHE (default
~/.cache/mlab).  MLAB_HOME points at the mlab tree (lua/, agents/, tasks/).

models (--llm SPEC; see docs/models.md):
  MLAB_LLM                  the default SPEC when --llm is not given
  OPENAI_API_KEY            key for openai:MODEL (optional with @URL)
  OPENAI_BASE_URL           endpoint for openai:MODEL without @URL
  ANTHROPIC_API_KEY         key for anthropic:MODEL
  ANTHROPIC_BASE_URL        endpoint for anthropic:MODEL without @URL
  MLAB_LLM_MAX_TRIES (4), MLAB_LLM_TIMEOUT (120 s), MLAB_LLM_CONNECT_TIMEOUT
  (10 s), MLAB_LLM_BACKOFF (1 s), MLAB_LLM_BACKOFF_MAX (30 s),
  MLAB_LLM_MAX_RETRY_AFTER (120 s), MLAB_LLM_MAX_TOKENS (1024 per call)
]]

local HELP_HELP = "usage: mlab help [COMMAND]\n\nThe overview, or one command's usage.\n"

-- The module of a command, or nil when there is no such command.
local function command(name)
  if not name:match("^[%w][%w%-]*$") then return nil end
  local ok, mod = pcall(require, "cmd." .. name)
  if ok then return mod end
  if tostring(mod):find("module 'cmd%." .. name:gsub("%-", "%%-") .. "' not found") then return nil end
  error(mod, 0)
end

function M.main(args, version)
  cl.VERSION = version or cl.VERSION
  local name = args[1]
  if not name or name == "--help" or name == "-h" then cl.out(HELP); return name and 0 or 2 end
  if name == "--version" then cl.out("mlab ", cl.VERSION, "\n"); return 0 end
  if name == "help" then
    if args[2] == "--help" or args[2] == "-h" then cl.out(HELP_HELP); return 0 end
    local c = args[2] and command(args[2])
    cl.out(c and c.help or (args[2] and HELP or HELP_HELP))
    return 0
  end
  local c = command(name)
  if not c then cl.err("unknown command '" .. name .. "' (see mlab --help)"); return 2 end
  local rest = table.move(args, 2, #args, 1, {})
  if rest[1] == "--help" or rest[1] == "-h" then
    cl.out(c.help)
    return 0
  end
  local ok, res = pcall(c.main, rest)
  if ok then return res end
  if type(res) == "table" and res.usage then
    cl.err(res.usage)
    return 2
  end
  error(res, 0)
end

return M
