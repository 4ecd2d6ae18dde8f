-- history.lua - keep a conversation inside a context window.
--
-- Agents that talk to a model turn by turn grow their message list without
-- end; a model with a 4k or 8k window then fails every call.  fit() keeps
-- the system message and the first user message (the task), then as many
-- of the newest messages as the budget allows, and says how many it left
-- out, so the model knows there was more.
--
--   history.fit(messages, max_tokens [, opts]) -> kept, dropped
--     opts.keep_first: leading messages always kept (default 2 when the
--     first is a system message, else 1); opts.note: text of the marker
--     (default "[%d earlier messages left out to fit the context window]")
--   history.last(list, n) -> the last n items (a new list)
--   history.estimate(messages) -> tokens (tokens.messages)
local tokens = require("tokens")

local M = {}

M.estimate = tokens.messages

function M.last(list, n)
  local out = {}
  for i = math.max(1, #list - n + 1), #list do out[#out + 1] = list[i] end
  return out
end

function M.fit(messages, max_tokens, opts)
  opts = opts or {}
  local keep = opts.keep_first
  if not keep then keep = (messages[1] and messages[1].role == "system") and 2 or 1 end
  keep = math.min(keep, #messages)
  if tokens.messages(messages) <= max_tokens then
    return table.move(messages, 1, #messages, 1, {}), 0
  end
  local note = opts.note or "[%d earlier messages left out to fit the context window]"
  local used = tokens.messages(table.move(messages, 1, keep, 1, {})) + 4
    + tokens.estimate(note) + 2
  -- Walk back from the newest message while it still fits.
  local first = #messages + 1
  for i = #messages, keep + 1, -1 do
    local cost = 4 + tokens.estimate(messages[i].content)
    if used + cost > max_tokens then break end
    used = used + cost
    first = i
  end
  -- Chat APIs want turns to alternate: do not start the tail on the
  -- assistant's answer to a question that was left out.
  if messages[first] and messages[first].role == "assistant" and first <= #messages then
    first = first + 1
  end
  local kept = table.move(messages, 1, keep, 1, {})
  local dropped = first - keep - 1
  if dropped > 0 then
    kept[#kept + 1] = { role = "user", content = note:format(dropped) }
  end
  for i = first, #messages do kept[#kept + 1] = messages[i] end
  return kept, dropped
end

return M
