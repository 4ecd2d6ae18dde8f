-- luacheck config: the linter the test suite runs over all of mlab's Lua
-- (tests/e2e/lua_lint_test.sh; Debian's lua-check).  Lua 5.4; lines that
-- fit a screen; the names each kind of file is given by the host.
std = "lua54"
max_line_length = 120
max_string_line_length = false -- prompts and fixtures are text
codes = true

-- Host Lua: package.mlab_root is set by luahost.c.
files["lua/cmdline.lua"] = { read_globals = { package = { fields = { "mlab_root" } } } }
-- Analysis scripts (mlab script) get the read-only API as the global mlab.
files["examples/analysis/"] = { read_globals = { "mlab" } }
files["tests/fixtures/analysis/"] = { read_globals = { "mlab" } }
-- Task files call the DSL's one name.
files["tasks/*/task.lua"] = { read_globals = { "task" } }
files["tests/fixtures/tasks/*/task.lua"] = { read_globals = { "task" } }
files["tests/e2e/llm_task/task.lua"] = { read_globals = { "task" } }
-- Fuzz drivers run with the harness's fuzz table.
files["tests/fuzz/"] = { read_globals = { "fuzz" } }
-- The sandbox test reads an undefined global and patches string on
-- purpose: that must raise.
files["tests/lua/sandbox_test.lua"] = { ignore = { "113", "122" } }
-- Deliberately broken or hostile agents: what they do is the test.
-- (and the real replies of the reference system, kept verbatim).
exclude_files = { "tests/fixtures/agents/syntax_error.lua", "tests/adversarial/agents/",
                  "tests/fixtures/replies/real_replies.lua" }
-- Tests and the agents' prompt tables hold long literal texts.
-- A test often checks one of several results, or keeps a value alive.
files["tests/"] = { max_line_length = false, ignore = { "311", "421", "212", "241" } }
files["agents/"] = { max_line_length = false }
