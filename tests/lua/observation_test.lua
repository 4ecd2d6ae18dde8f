-- stdlib/observation.lua: head-and-tail truncation, chunks, summaries.
local obs = require("observation")

assert(obs.truncate("short", 100) == "short")
local lines = {}
for i = 1, 1000 do lines[i] = ("epoch %d loss %.3f"):format(i, 1 / i) end
local text = table.concat(lines, "\n") .. "\nvalidation accuracy: 0.9812\n"
local t, cut = obs.truncate(text, 2000)
assert(#t <= 2000 + 60 and cut > 0)
assert(t:find("^epoch 1 loss"), "keeps the head")
assert(t:find("validation accuracy: 0.9812\n$"), "keeps the tail")
assert(t:find("%[%.%.%. " .. cut .. " characters left out %.%.%.%]"))
assert(#t - #("[... " .. cut .. " characters left out ...]\n") == #text - cut)
-- Cuts fall on line boundaries.
assert(t:find("\n%[%.%.%.") and t:find("%.%.%.%]\nepoch"))

-- chunks: whole lines, each at most size, covering the text in order.
local ch = obs.chunks(text, 3000)
assert(#ch > 1)
local joined = {}
for i, c in ipairs(ch) do
  assert(#c.text <= 3000)
  joined[i] = c.text
  if i > 1 then assert(c.first == ch[i - 1].last + 1) end
end
assert(table.concat(joined) == text and ch[1].first == 1 and ch[#ch].last == 1001)
-- A single line longer than size is split.
ch = obs.chunks(string.rep("x", 25) .. "\n", 10)
assert(#ch == 3 and ch[1].text == string.rep("x", 10) and ch[3].text == "xxxxx\n")

-- summarise: short text untouched, no model call.
local calls = {}
local function ask(p) calls[#calls + 1] = p; return "summary " .. #calls end
assert(obs.summarise("tiny", ask) == "tiny" and #calls == 0)
local s = assert(obs.summarise(text, ask, { limit = 5000, chunk = 6000, what = "the output of train.py" }))
assert(#calls == #obs.chunks(text, 6000) and #calls > 1)
assert(calls[1]:find("the output of train.py %(part 1 of") and calls[1]:find("epoch 1 loss"))
assert(s:find("^%[summary of " .. #text .. " characters%]") and s:find("Part 2 %(lines"))
local bad = function() return nil, "budget: tokens" end
local r, err = obs.summarise(text, bad)
assert(r == nil and err == "budget: tokens")
print("observation: ok")
