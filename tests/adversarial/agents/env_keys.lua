-- Reads the host's environment for API keys from Lua: there is no door.
return { run = function(ctx)
  local found = {}
  for _, f in ipairs({ function() return os.getenv("OPENAI_API_KEY") end,
                       function() return io.open("/proc/self/environ"):read("a") end,
                       function() return require("mlab.sys").getenv("OPENAI_API_KEY") end,
                       function() return package.loaded["mlab.sys"] end,
                       function() return require("mlab.run") end,
                       function() return debug.getregistry() end }) do
    local ok, v = pcall(f)
    if ok and v then found[#found + 1] = tostring(v) end
  end
  ctx.env:write_file("keys.txt", table.concat(found, "\n") .. "\n")
  ctx.env:final_answer("done")
end }
