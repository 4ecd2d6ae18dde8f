-- Raising the host's budget error table by hand is an ordinary error.
return { run = function(ctx)
  ctx.env:write_file("before.txt", "kept\n")
  error({ code = "budget", kind = "time", msg = "budget: time is spent" })
end }
