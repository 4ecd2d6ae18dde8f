-- A backtracking pattern: the matcher runs in C, where no hook fires.
return { run = function(ctx)
  ctx.env:write_file("before.txt", "kept\n")
  local s = string.rep("a", 40000)
  local n = 0
  while true do
    if s:find(".-.-.-.-b") then n = n + 1 end
  end
end }
