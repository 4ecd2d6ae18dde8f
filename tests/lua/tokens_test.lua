-- stdlib/tokens.lua: token estimates without a tokeniser.
local tokens = require("tokens")

assert(tokens.estimate("") == 0 and tokens.estimate(nil) == 0)
assert(tokens.estimate("hello world") == 2)
-- Prose: near the usual four characters a token.
local prose = string.rep("The model reads the training data and reports its accuracy. ", 50)
local n = tokens.estimate(prose)
assert(n > #prose / 6 and n < #prose / 3, n)
-- Code costs more per character than prose.
local code = string.rep("x[i] = (a[i] + b[i]) * 2;\n", 50)
assert(tokens.estimate(code) / #code > n / #prose)
-- Longer text never costs less.
assert(tokens.estimate(prose .. "more") >= n)
assert(tokens.messages({ { role = "user", content = "hello world" } }) == 3 + 4 + 2)

print("tokens: ok")
