-- llm_asker.lua - the e2e tests' model agent: one chat call per line of
-- prompts.txt; answers go to answer.txt as "ok: TEXT" or "KIND: MESSAGE".
-- A call refused for tokens ends the agent (it cannot go on).
return {
  name = "llm_asker",
  run = function(ctx)
    local prompts = assert(ctx.env:read_file("prompts.txt"))
    for p in prompts:gmatch("[^\n]+") do
      local r, err, kind = ctx.llm:chat{
        system = "Answer in one line.",
        messages = { { role = "user", content = p } },
        max_tokens = 32, temperature = 0, stop = { "\n\n" },
      }
      if kind == "budget" then return end
      local line = r and ("ok: " .. r.text) or (kind .. ": " .. err)
      ctx.env:append_file("answer.txt", line:gsub("\n", " ") .. "\n")
    end
    ctx.env:final_answer("answered every prompt")
  end,
}
