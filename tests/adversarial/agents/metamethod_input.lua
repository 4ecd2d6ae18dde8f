-- Tables with spinning metamethods handed to the host: the host reads them
-- raw, so nothing of the agent's runs outside its budget.  Each call is
-- caught; then the agent spins in plain sight and the deadline stops it.
local spin = function() while true do end end
local evil = setmetatable({}, { __index = spin, __pairs = spin, __len = spin,
  __tostring = spin, __newindex = spin })
return { run = function(ctx)
  pcall(ctx.env.edit, ctx.env, "x.txt", evil)
  pcall(ctx.env.execute, ctx.env, "run.py", evil)
  pcall(ctx.actions.run, ctx.actions, "List Files", evil)
  pcall(ctx.llm.chat, ctx.llm, evil)
  pcall(ctx.llm.chat, ctx.llm, { messages = evil })
  ctx.env:write_file("survived.txt", "yes\n")
  ctx.env:final_answer("done")
end }
