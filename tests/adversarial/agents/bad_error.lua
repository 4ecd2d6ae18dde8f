-- An error object whose every metamethod raises.
local boom = function() error("boom from a metamethod") end
return { run = function(ctx)
  ctx.env:write_file("before.txt", "kept\n")
  error(setmetatable({}, { __index = boom, __tostring = boom, __concat = boom, __eq = boom }))
end }
