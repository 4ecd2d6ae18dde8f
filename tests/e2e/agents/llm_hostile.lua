-- llm_hostile.lua - an agent whose request tables carry metamethods that
-- never return (__index, __len, __pairs on the request, its messages and a
-- message).  ctx.llm:chat must read them raw: the call goes through as if
-- the metatables were not there, and the agent then answers.
local function trap()
  while true do end
end
return {
  name = "llm_hostile",
  run = function(ctx)
    local traps = { __index = trap, __len = trap, __pairs = trap, __tostring = trap }
    local msg = setmetatable({ role = "user", content = "hello" }, traps)
    local messages = setmetatable({ msg }, traps)
    local req = setmetatable({ messages = messages, max_tokens = 8 }, traps)
    local r, err, kind = ctx.llm:chat(req)
    ctx.env:write_file("answer.txt", (r and ("ok: " .. r.text) or (kind .. ": " .. err)) .. "\n")
    ctx.env:final_answer("asked once")
  end,
}
