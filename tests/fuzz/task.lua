-- Fuzz driver: a task file through lua/task.lua's loader (M.load reads
-- DIR/task.lua), written into a private folder next to the files a task
-- names (problem, evaluate, prepare).  M.load promises the task or nil,
-- message, never a raise.  See fuzz_lua.c.
local task = require("task")
local sys = require("mlab.sys")

local dir = fuzz.tmp .. "/task"
assert(sys.mkdir_p(dir .. "/env"))
for _, f in ipairs({ "research_problem.md", "evaluate.py", "prepare.py", "env/train.py" }) do
  local h = assert(io.open(dir .. "/" .. f, "wb"))
  h:write("x\n")
  h:close()
end

local REQUIRED = { category = "string", problem = "string", metric = "table",
                   evaluate = "string", starter = "string", threshold = "number" }

return function(data)
  local h = assert(io.open(dir .. "/task.lua", "wb"))
  h:write(data)
  h:close()
  local ok, t, err = pcall(task.load, dir)
  if not ok then
    if t == "not enough memory" then return end
    fuzz.fail("task.load raised: " .. tostring(t))
  end
  if t == nil then
    if type(err) ~= "string" then fuzz.fail("task.load: nil without a message") end
    return
  end
  if type(t.name) ~= "string" or not t.name:match("^[%w_%-]+$") then
    fuzz.fail("task.load: a task whose name is not a word")
  end
  for k, ty in pairs(REQUIRED) do
    if type(t[k]) ~= ty then fuzz.fail("task.load: a task whose " .. k .. " is not a " .. ty) end
  end
  if t.metric.goal ~= "max" and t.metric.goal ~= "min" then
    fuzz.fail("task.load: a metric goal that is neither max nor min")
  end
  task.improvement(t, 1.5, 0.5)
end
