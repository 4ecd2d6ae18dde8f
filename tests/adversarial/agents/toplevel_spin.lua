-- Spins in the file's top-level code, before run(): the budget must reach it.
local x = 0
while true do x = x + 1 end
return { run = function() end }
