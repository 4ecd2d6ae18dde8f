--[[ reasoning.lua - the model's reasoning that led to each step, from
llm.jsonl joined to trace.jsonl.

  local reasoning = require("reasoning")
  local by_step = reasoning.join(calls)   -- calls: rd:calls()
  by_step[N] = { decision = call | nil, fields = { {field, text}, ... },
                 calls = { every call made while step N was pending } }
  reasoning.fields(call)                  -- the parsed reply of one call

A call's `step` is the number of steps complete when it was made, so the
calls of step N are those with step == N - 1: the agent's own (that chose
the action) and any the action made itself (Understand File, an AI edit).
The decision is the last of them whose reply names an action (a ReAct or
research reply with an Action entry, native tool calls, or an AutoGPT-style
JSON command); the calls before it that also did are retries of a reply the
agent could not use.
]]
local json = require("json")
local reply = require("reply")

local M = {}

local function trim(s) return (tostring(s):gsub("^%s+", ""):gsub("%s+$", "")) end

-- An AutoGPT-style reply: {"thoughts": {...}, "command": {name, args}}.
local function command_fields(text)
  local body = text:match("%b{}")
  local v = body and json.decode(body)
  if type(v) ~= "table" or type(v.command) ~= "table" then return nil end
  local out = {}
  if type(v.thoughts) == "table" then
    for _, k in ipairs({ "text", "reasoning", "plan", "criticism", "speak" }) do
      if v.thoughts[k] ~= nil then
        local t = v.thoughts[k]
        if type(t) == "table" then t = table.concat(t, "\n") end
        out[#out + 1] = { field = k:gsub("^%l", string.upper), text = trim(t) }
      end
    end
  end
  out[#out + 1] = { field = "Action", text = tostring(v.command.name) }
  out[#out + 1] = { field = "Action Input", text = json.encode(v.command.args or {}, "  ") }
  return out
end

-- Parsed entries of a call's reply, and whether it names an action.
function M.fields(call)
  local text = type(call.reply) == "string" and call.reply or ""
  local out = reply.sections(text)
  local acts = false
  for _, s in ipairs(out) do
    if s.field == "Action" then acts = true end
  end
  if not acts then
    local cmd = command_fields(text)
    if cmd then out, acts = cmd, true end
  end
  if type(call.tool_calls) == "table" and #call.tool_calls > 0 then
    if #out == 0 and trim(text) ~= "" then out[1] = { field = "Thought", text = trim(text) } end
    for _, tc in ipairs(call.tool_calls) do
      local args = tc.arguments
      if type(args) ~= "string" then args = json.encode(args or {}, "  ") end
      out[#out + 1] = { field = "Tool call", text = tostring(tc.name) .. " " .. args }
    end
    acts = true
  end
  return out, acts
end

function M.join(calls)
  local by = {}
  for _, c in ipairs(calls or {}) do
    local n = (math.tointeger(c.step) or 0) + 1
    by[n] = by[n] or { calls = {} }
    table.insert(by[n].calls, c)
  end
  for _, g in pairs(by) do
    for i = #g.calls, 1, -1 do
      local f, acts = M.fields(g.calls[i])
      if acts then
        g.decision, g.fields = g.calls[i], f
        break
      end
    end
    g.fields = g.fields or {}
  end
  return by
end

return M
