-- tokens.lua - how many tokens a text is, without a tokeniser.
--
-- Good enough to keep a prompt inside a context window, not for billing
-- (the provider's usage is what budgets count).  BPE tokenisers give a
-- short English word one token, a long one a token per ~5 letters, digits
-- in groups of ~3, and most punctuation a token each; code and non-Latin
-- text cost more per byte than prose, which the count below follows.
--
--   tokens.estimate(text) -> n
--   tokens.messages(list) -> n   (chat messages {role=, content=} + framing)
local M = {}

function M.estimate(text)
  if type(text) ~= "string" or text == "" then return 0 end
  local n = 0
  for w in text:gmatch("%a+") do n = n + (#w + 4) // 5 end
  for d in text:gmatch("%d+") do n = n + (#d + 2) // 3 end
  local _, punct = text:gsub("[%p]", "")
  local _, high = text:gsub("[\128-\255]", "")
  local _, lines = text:gsub("\n", "")
  return n + punct + (high + 1) // 2 + lines // 2
end

-- Chat formats add a few tokens per message for the role markers.
function M.messages(list)
  local n = 3
  for _, m in ipairs(list or {}) do n = n + 4 + M.estimate(m.content) end
  return n
end

return M
