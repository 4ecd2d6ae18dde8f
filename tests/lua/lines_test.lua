-- Splitting text into lines is linear in the length of a line: a file
-- written as one long line (json.dump's output, a minified script) once
-- took minutes per MB in Inspect Script Lines and in every diff, because
-- the split used a backtracking pattern.  Runs under test-lua's 60 s
-- budget, which the old split spent on the first case.
local diff = require("diff")

local big = string.rep("x", 1 << 20)
local lines = diff.lines(big)
assert(#lines == 1 and #lines[1] == 1 << 20, "one line without a newline")

lines = diff.lines(big .. "\n" .. big .. "\n")
assert(#lines == 2 and lines[2] == big, "two long lines")

lines = diff.lines(string.rep("\n", 1 << 16))
assert(#lines == 1 << 16 and lines[1] == "", "many empty lines")

-- The same lines as before for ordinary text.
local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end
assert(same(diff.lines("a\nb\n"), { "a", "b" }))
assert(same(diff.lines("a\n\nb"), { "a", "", "b" }))
assert(same(diff.lines(""), {}))
assert(same(diff.lines("\n"), { "" }))

local d = diff.unified(big .. "\n", big .. "y\n", { from = "a", to = "b" })
assert(d:find("+" .. big .. "y", 1, true), "a diff of long lines")
