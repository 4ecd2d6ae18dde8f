-- A coroutine made while the file loads, resumed later: still budgeted.
local spin = coroutine.wrap(function() while true do end end)
return { run = function(ctx)
  ctx.env:write_file("before.txt", "kept\n")
  spin()
end }
