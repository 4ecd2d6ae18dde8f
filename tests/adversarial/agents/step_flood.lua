-- Replaces the step machinery (on an unsealed env, _step) and writes a
-- hundred times under --max-steps 3: exactly three writes may happen, each
-- a step in the trace and the history.
return { run = function(ctx)
  pcall(function() ctx.env._step = function(_, _, _, fn) return fn() end end)
  for i = 1, 100 do pcall(ctx.env.write_file, ctx.env, "n.txt", tostring(i)) end
end }
