-- A finalizer would run whenever the collector decides (while the host
-- records a step, or after the run): agents cannot set one.
return { run = function(ctx)
  local ok, err = pcall(setmetatable, {}, { __gc = function() while true do end end })
  ctx.env:write_file("gc.txt", (ok and "set" or "refused: " .. tostring(err)) .. "\n")
  for _ = 1, 50 do local _ = {} end
  collectgarbage = nil
  ctx.env:final_answer("done")
end }
