-- careful.lua - a short custom agent, walked through in docs/agents.md.
--
-- It asks the model for one ReAct step at a time, but keeps a rule of its
-- own: after every edit it runs the script, and if the validation score
-- got worse it undoes the edit.  With no model (--llm none) it runs the
-- starter once and answers, so it always finishes.
--
--   mlab run digits --agent examples/agents/careful.lua --llm openai:MODEL@URL
local reply = require("reply")              -- parse Thought / Action / Action Input
local prompt = require("prompt")            -- the catalogue as prompt text
local observation = require("observation")  -- keep long outputs short

-- The score a run of the script printed ("validation accuracy: 0.93").
local function score(text)
  return tonumber((text or ""):match("validation [%w_]+:%s*([%d.]+)"))
end

return {
  name = "careful",
  run = function(ctx)
    local A = ctx.actions
    local tools = { "Read File", "Execute Script", "Edit Script (AI)", "Final Answer" }
    local specs = A:specs(tools)
    local head = ("Improve the task below.  Tools:\n%s\n\nTask:\n%s\n\n"
      .. "Reply with Thought:, Action: and Action Input: (JSON).\n"):format(
      prompt.describe_actions(specs), ctx.task.problem)

    -- The baseline first: every later score is compared with it.
    local out = A:run("Execute Script", { script_name = ctx.task.starter })
    local best = score(out)
    local notes = "Observation: " .. observation.truncate(out, 2000) .. "\n"

    for _ = 1, 10 do
      local r, err = ctx.llm:chat({ messages = { { role = "user", content = head .. notes } },
                                    stop = { "\nObservation:" } })
      if not r then
        print("no model: " .. tostring(err))  -- goes to the run's agent.log
        break
      end
      local step, perr = reply.react(r.text, { actions = specs })
      if not step then
        notes = notes .. r.text .. "\nObservation: " .. perr .. "\n"
      else
        local obs, info = A:run(step.action, step.input or step.raw_input)
        if info.final then return end
        if step.action == "Edit Script (AI)" and info.ok then
          -- Our own rule: measure the edit, keep it only if it helped.
          local run_out = A:run("Execute Script", { script_name = ctx.task.starter })
          local s = score(run_out)
          if best and (not s or s < best) then
            A:run("Undo Edit Script", { script_name = step.input.save_name })
            obs = obs .. "\n(The edit made the score worse and was undone.)"
          else
            best = s or best
            obs = obs .. "\nNew validation score: " .. tostring(s)
          end
        end
        notes = notes .. r.text .. "\nObservation: " .. observation.truncate(obs, 2000) .. "\n"
      end
    end
    ctx.env:final_answer(("Best validation score seen: %s"):format(tostring(best)))
  end,
}
