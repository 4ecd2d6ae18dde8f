-- check_pattern.lua - the differential driver of check_pattern.c.
--
-- Runs (subject, pattern, init, replacement, max) cases through two tables
-- of { find, match, gmatch, gsub } -- Lua's own string functions and
-- mlab.pattern's -- in one state, and compares everything a caller can see:
-- values and their types (math.type too), positions, captures, error
-- messages, every value a gmatch iterator yields, and every argument a gsub
-- replacement function or __index metamethod receives.
--
-- Usage (from C):
--   local D = dofile("tests/c/check_pattern.lua")
--   local n, err = D.group(name, stock, mine)   -- a hand-written group
--   local n, err = D.random(stock, mine, seed, count)
-- n is the number of calls compared; err is nil, or a line naming the first
-- call whose results differ, with both results.
-- D.groups lists the group names; D.run(impl, fname, ...), D.same(a, b) and
-- D.show(v) are the pieces, for the fuzzer.

local D = {}

local unpack = table.unpack

-- Replacements that need a fresh closure per run (they log what they see)
-- are written in cases as { repl = MODE }.
local function make_repl(spec, log)
  local mode = spec.repl
  if mode == "index" then
    -- A table whose __index logs the key it is asked for.
    return setmetatable({}, {
      __index = function(_, k)
        log[#log + 1] = { "index", k, math.type(k) }
        if k == "a" or k == 1 then return "<" .. tostring(k) .. ">" end
        if k == "b" then return false end
        if k == 2 then return 2.5 end
        return nil
      end,
    })
  end
  return function(...)
    local args = table.pack(...)
    log[#log + 1] = args
    local a = ...
    if mode == "concat" then return tostring(a) .. "!"
    elseif mode == "nil" then return nil
    elseif mode == "false" then return false
    elseif mode == "table" then return {}
    elseif mode == "int" then return 42
    elseif mode == "float" then return 1.5
    elseif mode == "count" then return "<" .. args.n .. ">"
    elseif mode == "alt" then
      if #log % 2 == 0 then return nil end
      return "[" .. table.concat(args, ",", 1, args.n) .. "]"
    elseif mode == "error" then error("boom")
    elseif mode == "nested" then
      -- The replacement itself matches (re-entry into the matcher).
      return (tostring(a):gsub(".", "%0%0"))
    end
    error("unknown repl mode " .. tostring(mode))
  end
end

local function call(f, ...)
  return f(...)
end

-- One call through impl; returns a comparable record.
local function run(impl, fname, args)
  local log = {}
  local a = {}
  for i = 1, args.n do a[i] = args[i] end
  if fname == "gsub" and type(a[3]) == "table" and a[3].repl then
    a[3] = make_repl(a[3], log)
  end
  -- gmatch_repeat: one iterator called 210 times whatever it answers (a
  -- raise inside a match leaves Lua's iterator with less nesting left).
  local times = fname == "gmatch_repeat" and 210 or nil
  if times then fname = "gmatch" end
  local f = impl[fname]
  if fname ~= "gmatch" then
    return { table.pack(pcall(call, f, unpack(a, 1, args.n))), log }
  end
  local ok, it = pcall(call, f, unpack(a, 1, args.n))
  if not ok then return { { false, it, n = 2 } } end
  local steps = {}
  for _ = 1, times or 60 do
    local r = table.pack(pcall(it))
    steps[#steps + 1] = r
    if not times and (not r[1] or r[2] == nil) then break end
  end
  -- After the end, the iterator keeps answering nothing.
  if steps[#steps][1] then steps[#steps + 1] = table.pack(pcall(it)) end
  return steps
end

local function same(x, y)
  if type(x) ~= type(y) then return false end
  if type(x) == "number" then
    return math.type(x) == math.type(y) and x == y
  end
  if type(x) ~= "table" then return x == y end
  for k, v in pairs(x) do
    if not same(v, y[k]) then return false end
  end
  for k in pairs(y) do
    if x[k] == nil then return false end
  end
  return true
end

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "number" then return math.type(v) .. ":" .. tostring(v) end
  if type(v) ~= "table" then return tostring(v) end
  if depth > 3 then return "{...}" end
  if v.repl then return "{repl=" .. v.repl .. "}" end
  local parts = {}
  local n = v.n or #v
  for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- For tests/fuzz/fuzz_pattern.c: one side's record, comparison, display.
function D.run(impl, fname, ...) return run(impl, fname, table.pack(...)) end
D.same = same
D.show = show

-- Compares one case; returns nil or a message.
local function check(stock, mine, fname, ...)
  local args = table.pack(...)
  local want = run(stock, fname, args)
  local got = run(mine, fname, args)
  if same(want, got) then return nil end
  local shown = {}
  for i = 1, args.n do shown[i] = show(args[i]) end
  -- Check refuses messages past a few KB.
  local function cut(s) return #s > 900 and s:sub(1, 900) .. "..." or s end
  return string.format("%s(%s):\n  stock %s\n  mine  %s", fname,
    cut(table.concat(shown, ", ")), cut(show(want)), cut(show(got)))
end

local rep = string.rep

-- Hand-written cases, one group per feature: { fname, args... }.
local groups = {}
D.groups = {}
local function group(name, cases)
  groups[name] = cases
  D.groups[#D.groups + 1] = name
end

group("plain", {
  { "find", "hello world", "o w" }, { "find", "hello", "l" },
  { "find", "hello", "" }, { "find", "", "" }, { "find", "", "", 1 },
  { "find", "", "", 2 }, { "find", "abc", "", 4 }, { "find", "abc", "", 5 },
  { "find", "abc", "", 10 }, { "find", "a.b", ".", 1, true },
  { "find", "a+b", "+", 1, true }, { "find", "a+b", "+", 1, 0 },
  { "find", "a+b", "a+", 1, false }, { "find", "a+b", "a+", 1, nil },
  { "find", "x)", ")" }, { "find", "x])", "])" },
  { "find", "abc", "b", -1 }, { "find", "abc", "b", -2 },
  { "find", "abc", "b", -3 }, { "find", "abc", "b", -100 },
  { "find", "abc", "b", 0 }, { "find", "abc", "b", math.mininteger },
  { "find", "abc", "b", math.maxinteger }, { "find", "abc", "b", "2" },
  { "find", "abc", "b", 2.0 }, { "find", "abcabc", "abc", 2 },
  { "find", "aaab", "aab" }, { "find", "aaa", "aaaa" },
  { "find", "a\0b", "\0" }, { "find", "x\0y", "\0y", 1, true },
  { "find", "x\0y\0", "\0", 3 }, { "find", "\200\255", "\255" },
  { "find", 12345, 34 }, { "find", 1.5, "." , 1, true },
  { "find", rep("ab", 1000) .. "c", "abc" },
  { "find", rep("a", 500), rep("a", 100) .. "b", 1, true },
})

group("classes", {
  { "find", "hello world", "%s" }, { "find", "x = 10", "%d+" },
  { "match", "  key_1 = v", "[%w_]+" }, { "match", "\t\n\v\f\r x", "%s*" },
  { "match", "abc123", "%a*" }, { "match", "ABCdef", "%u+" },
  { "match", "ABCdef", "%l+" }, { "match", "a1!b", "%p" },
  { "match", "\1\2\127x", "%c+" }, { "match", " \1x~", "%g+" },
  { "match", "0x1Fg", "%x+", 3 }, { "match", "a\0b", "%z" },
  { "match", "\0\0b", "%Z" }, { "match", "abc", "%A" },
  { "match", "a1 !", "%W" }, { "match", "12ab", "%D" },
  { "match", "  x", "%S" }, { "match", "aB", "%L" }, { "match", "Ab", "%U" },
  { "match", "a!b", "%P+" }, { "match", "\1a", "%C" }, { "match", " a", "%G" },
  { "match", "0xg", "%X" }, { "match", "a.b", "%." }, { "match", "a%b", "%%" },
  { "match", "a]b", "%]" }, { "match", "a\0b", "%\0" },
  { "match", "a\200b", "%\200" }, { "match", "caf\195\169", "[\128-\255]+" },
  { "match", "\255\254a", "%A+" }, { "match", "\128", "%a" },
  { "match", "\128", "%p" }, { "match", "\160", "%s" },
  { "match", "ab-c", "[a-]+" }, { "match", "-ab", "[-a]+" },
  { "match", "a]b", "[]]" }, { "match", "a]b", "[^]]+" },
  { "match", "abc", "[^a]" }, { "match", "a^b", "[b^]+" },
  { "match", "%a", "[%%]" }, { "match", "a-z", "[a%-z]+" },
  { "match", "b", "[b-a]" }, { "match", "a", "[a-a]" },
  { "match", "x_1 y", "[%w_]+" }, { "match", "\0\1\31 ", "[\0-\31]+" },
  { "match", "abc", "[a-c" }, { "match", "abc", "[" }, { "match", "abc", "[^" },
  { "match", "abc", "[]" }, { "match", "abc", "[^]" }, { "match", "abc", "[%" },
  { "match", "abc", "[%]" }, { "match", "abc", "[a%" },
  { "match", "a.b", "." }, { "match", "", "." }, { "match", "\n", "." },
  { "match", "a$b", "$b" }, { "match", "a$b", "a$" }, { "match", "a$", "a$" },
  { "match", "$$", "$*" }, { "match", "a^b", "a^b" },
})

group("quantifiers", {
  { "match", "aaab", "a*" }, { "match", "aaab", "a+" }, { "match", "aaab", "a-b" },
  { "match", "aaab", "a?" }, { "match", "b", "a+" }, { "match", "b", "a*b" },
  { "match", "<a><b>", "<.->" }, { "match", "<a><b>", "<.*>" },
  { "match", "aaa", "a-$" }, { "match", "aaa", "^a-" }, { "match", "ab", "a?b?c?" },
  { "match", "abc", "a*?" }, { "match", "a+", "a++" }, { "match", "x-", "x--" },
  { "match", "aaa", "(a*)(a*)" }, { "match", "aaa", "(a-)(a*)" },
  { "match", "aaa", "(a-)(a-)$" }, { "find", "abcd", "b*" }, { "find", "", "a*" },
  { "find", "", "a?" }, { "find", "", "a-" }, { "find", "", "a+" },
  { "find", rep("a", 300), rep("a?", 199) }, { "find", rep("a", 300), rep("a?", 200) },
  { "find", rep("a", 300), rep("a*", 199) }, { "find", rep("a", 300), rep("a*", 200) },
  { "find", rep("a", 10), rep("a-", 199) .. "$" },
  { "find", rep("a", 10), rep("a-", 200) .. "$" },
  { "find", "x", rep("x?", 250) }, { "find", "", rep("x?", 250) },
  { "gsub", rep("a", 300), rep("a?", 200), "" },
})

group("anchors", {
  { "find", "abc", "^b" }, { "find", "abc", "^a" }, { "find", "abc", "^b", 2 },
  { "find", "abc", "c$" }, { "find", "abc", "b$" }, { "find", "ab", "^" },
  { "find", "ab", "$" }, { "find", "", "^$" }, { "find", "a", "^$" },
  { "find", "^a", "^^a" }, { "match", "abc", "^(a)(b)" }, { "match", "abc", "^" },
  { "match", "abc", "^$" }, { "match", "abc", "^.-$" }, { "match", "abc", "^", 4 },
  { "match", "abc", "$", 2 }, { "match", "a\0", "^a\0$" },
  { "gmatch", "^a^b", "^." }, { "gmatch", "aaa", "^a" },
  { "gsub", "aaa", "^a", "b" }, { "gsub", "aaa", "^a*", "b" },
  { "gsub", "aaa", "^", "-" }, { "gsub", "aaa", "$", "-" }, { "gsub", "", "^", "-" },
  { "gsub", "", "^$", "-" }, { "gsub", "abc", "^x", "-" }, { "gsub", "abc", "^(a)", "%1%1" },
})

group("balance_frontier", {
  { "match", "f(a(b)c)d", "%b()" }, { "match", 'say "hi" and "bye"', '%b""' },
  { "gsub", 'say "hi" and "bye"', '%b""', "Q" }, { "gsub", "((a))((b", "%b()", "X" },
  { "match", "((a)", "%b()" }, { "match", "x", "%b" }, { "match", "x", "%bx" },
  { "match", "xy", "%bxy" }, { "match", "aaa", "%baa" }, { "match", "abab", "%bab*" },
  { "match", "[[x]]y", "%b[]y" }, { "match", "", "%b()" }, { "match", "a\0b\0", "%b\0\0" },
  { "gsub", "THE (quick) fox", "%f[%a]%a+", "W" },
  { "gsub", "hello world", "%f[%w]%w+%f[%W]", "<%0>" },
  { "find", "abc", "%f[%z]" }, { "find", "abc", "%f[a]" }, { "find", "abc", "%f[^%z]" },
  { "find", "", "%f[%z]" }, { "find", "", "%f[^%z]" }, { "find", "abc", "%f[%Z]" },
  { "find", "a\0b", "%f[%z]", 2 }, { "gsub", "one two", "%f[%a]", "|" },
  { "gsub", "one two", "%f[%A]", "|" }, { "gmatch", "THE (quick) fox", "%f[%a]%a+" },
  { "match", "a", "%f" }, { "match", "a", "%fa" }, { "match", "a", "%f[a" },
  { "match", "a", "%f[]a]" }, { "match", "", "%f" },
})

group("captures", {
  { "match", "key = value", "(%w+)%s*=%s*(%w+)" },
  { "match", "2024-01-05", "(%d+)-(%d+)-(%d+)" }, { "find", "2024-01-05", "(%d+)-(%d+)" },
  { "match", "abcabc", "(abc)%1" }, { "match", "abab", "(a)(b)%2" }, { "match", "aa", "(a%1)" },
  { "match", "a", "%1" }, { "match", "a", "(a)%0" }, { "match", "aa", "()%1" },
  { "match", "abc", "(a(b)c)" }, { "match", "abc", "((a)(b)(c))" },
  { "match", "hello", "()ll()" }, { "find", "hello", "()ll()" }, { "match", "", "()" },
  { "match", "abc", "()", 4 }, { "match", "abc", "()", -1 }, { "find", "abc", "(x*)" },
  { "match", "abc", "(" }, { "match", "abc", "(()" }, { "match", "abc", ")" },
  { "match", "abc", "a)" }, { "match", "abc", "(a))" }, { "match", "abc", "x)" },
  { "match", "abc", "(a" }, { "find", "abc", "(a" }, { "match", "aa", "(a)%2" },
  { "match", "aa", "%1(a)" }, { "match", "aa", "(a)%9" }, { "match", "a", "(()a)" },
  { "match", "a", rep("(", 32) .. "a" .. rep(")", 32) },
  { "match", "a", rep("(", 33) .. "a" .. rep(")", 33) },
  { "match", "a", rep("()", 32) }, { "match", "a", rep("()", 33) },
  { "find", "a", rep("()", 32) }, { "gsub", "ab", rep("()", 32), "%9" },
  { "match", rep("ab", 20), rep("(ab)", 20) }, { "match", "x\0y", "(%z)" },
  { "gmatch", "ab", rep("()", 33) }, { "gsub", "ab", "(", "x" },
  { "gsub", "ab", "(", { repl = "concat" } }, { "gsub", "ab", "(", { ["a"] = "A" } },
  { "gsub", "ab", "(", "%1" }, { "gsub", "ab", "(", "%0" },
})

group("gmatch", {
  { "gmatch", "one two  three", "%a+" }, { "gmatch", "abc", "" }, { "gmatch", "abc", "x*" },
  { "gmatch", "a,b,,c", "([^,]*)" }, { "gmatch", "hello", "l*", 3 },
  { "gmatch", "hello", "l*", -2 }, { "gmatch", "hello", ".", 0 }, { "gmatch", "hello", ".", -100 },
  { "gmatch", "abc", ".", 3 }, { "gmatch", "abc", ".", 4 }, { "gmatch", "abc", "", 4 },
  { "gmatch", "abc", ".", 5 }, { "gmatch", "abc", ".", 10 }, { "gmatch", "abc", "", 5 },
  { "gmatch", "abc", "[a", 10 }, { "gmatch", "abc", "[a", 5 }, { "gmatch", "abc", "[a", 4 },
  { "gmatch", "abc", "[a" }, { "gmatch", "k=v, x=y", "(%w+)=(%w+)" },
  { "gmatch", "abc", "()" }, { "gmatch", "line1\nline2\n\nline4", "[^\n]*" },
  { "gmatch", "line1\nline2\n\nline4\n", "(.-)\n" }, { "gmatch", "aaa", "a-" },
  { "gmatch", "abc", "(" }, { "gmatch", "abc", ")" }, { "gmatch", "", "" },
  { "gmatch", "", ".*" }, { "gmatch", "abc", "b*", 1.0 }, { "gmatch", "abc", "b", 1.5 },
  { "gmatch", "abc", "b", "2" }, { "gmatch", "abc", "b", "x" }, { "gmatch", nil, "b" },
  { "gmatch", "abc" }, { "gmatch", 1234, "%d" }, { "gmatch", "a\0b\0", "%Z+" },
  { "gmatch", "ab", "%f[%w]" }, { "gmatch", "ab", "$" }, { "gmatch", "ab", "b?$" },
  { "gmatch_repeat", "abc", "[a" }, { "gmatch_repeat", "abc", "a[" },
  { "gmatch_repeat", "abc", "(a)%2" }, { "gmatch_repeat", "abc", "%" },
  { "gmatch_repeat", "abc", "(((b[" }, { "gmatch_repeat", "abc", "a?b?[" },
  { "gmatch_repeat", "abc", "%bx" }, { "gmatch_repeat", "abc", "x*%f" },
})

group("gsub", {
  { "gsub", "hello world", "o", "0" }, { "gsub", "hello world", "o", "0", 1 },
  { "gsub", "hello", "", "-" }, { "gsub", "hello", "x*", "-" }, { "gsub", "hello", "l*", "-" },
  { "gsub", "hello world", "(%w+)", "%1 %1" }, { "gsub", "hello", "l", "%%" },
  { "gsub", "hello", "l", "%" }, { "gsub", "hello", "l", "a%" }, { "gsub", "hello", "l", "%x" },
  { "gsub", "hello", "(l)", "%2" }, { "gsub", "hello", "l", "%1" }, { "gsub", "hello", "l", "%2" },
  { "gsub", "hello", "l", "%0%0" }, { "gsub", "hello", "(l)(l)", "%2%1" },
  { "gsub", "hello", "()l", "%1" }, { "gsub", "abc", "()", "%1" }, { "gsub", "hello", "l", "%\0" },
  { "gsub", "hello", "l", 5 }, { "gsub", "hello", "l", 2.5 }, { "gsub", "hello", "l", -0.0 },
  { "gsub", "hello", "l", 1e300 }, { "gsub", "hello", "l", math.mininteger },
  { "gsub", "hello", "l", nil }, { "gsub", "hello", "l" }, { "gsub", "hello", "l", true },
  { "gsub", "hello", "l", "x", -1 }, { "gsub", "hello", "l", "x", 0 },
  { "gsub", "hello", "l", "x", "1" }, { "gsub", "hello", "l", "x", 1.5 },
  { "gsub", "hello", "l", "x", "y" }, { "gsub", "hello", "l", "x", 1.0 },
  { "gsub", "hello", "l", "x", math.maxinteger }, { "gsub", "hello", "l", "x", math.mininteger },
  { "gsub", "abc", "%w", "%0%0" }, { "gsub", "abc", "", "" }, { "gsub", 12345, "3", "x" },
  { "gsub", 12345, "9", "x" }, { "gsub", 1.25, "%.", "," }, { "gsub", nil, "a", "b" },
  { "gsub", "a", nil, "b" }, { "gsub", "a", "a", "b", nil },
  { "gsub", "hello world", "%w+", { hello = "HI", world = false } },
  { "gsub", "a b", "%w", { a = {} } }, { "gsub", "a b", "%w", { a = true } },
  { "gsub", "a b", "%w", { a = 1 } }, { "gsub", "a b", "%w", { a = 1.5 } },
  { "gsub", "a b", "(%w)(%w*)", { a = "x" } }, { "gsub", "abc", "()", { [1] = "one", [4] = 4 } },
  { "gsub", "ab", "%w", { repl = "index" } }, { "gsub", "ab", "()", { repl = "index" } },
  { "gsub", "abc", "%w", { repl = "concat" } }, { "gsub", "abc", "%w", { repl = "nil" } },
  { "gsub", "abc", "%w", { repl = "false" } }, { "gsub", "abc", "%w", { repl = "table" } },
  { "gsub", "abc", "%w", { repl = "int" } }, { "gsub", "abc", "%w", { repl = "float" } },
  { "gsub", "abc", "%w", { repl = "alt" } }, { "gsub", "abc", "%w", { repl = "error" } },
  { "gsub", "abc", "%w", { repl = "nested" } }, { "gsub", "k=v;x=y", "(%w)=(%w)", { repl = "count" } },
  { "gsub", "k=v;x=y", "(%w)=()(%w)", { repl = "alt" } }, { "gsub", "abc", "", { repl = "count" } },
  { "gsub", "abc", "", { repl = "concat" }, 2 }, { "gsub", "abc", "x*", { repl = "alt" } },
  { "gsub", rep("a b\t\n", 100), "%s+", " " }, { "gsub", "  trim  ", "^%s*(.-)%s*$", "%1" },
})

group("bytes", {
  { "find", "a\0b", "%z" }, { "find", "a\0b", "[\0]" }, { "find", "a\0b", "%\0" },
  { "match", "a\0\0b", "\0+" }, { "find", "xa\0b", "a\0." }, { "match", "a\0b", "a.b" },
  { "gsub", "a\0b\0c", "%z", "0" }, { "gsub", "a\0b\0c", "\0", "%%" },
  { "gsub", "\200\201\202", "[\200-\201]", "%0%0" }, { "match", "\255", "[\254-\255]" },
  { "match", "x\0", "x%z$" }, { "match", "x\0", "x\0$" }, { "find", "\0\0", "^\0\0$" },
  { "gmatch", "\0a\0b", "\0(.)" }, { "match", "a", "a\0?" }, { "match", "a", "a\0*$" },
  { "match", "a\0b", "[a\0]+" }, { "match", "a\0-b", "[\0-a]+" },
  { "find", "x\0y", "[", 1, true }, { "find", "ab", "a\0", 1, true },
})

group("malformed", {
  { "find", "abc", "x%" }, { "find", "xbc", "x%" }, { "find", "abc", "%" },
  { "find", "", "%" }, { "find", "abc", "a[" }, { "find", "abc", "b[" },
  { "match", "abc", "%b" }, { "match", "abc", "%ba" }, { "match", "abc", "x%b" },
  { "match", "abc", "%f" }, { "match", "abc", "%fx" }, { "match", "abc", "%0" },
  { "match", "abc", "(%1)" }, { "match", "abc", "a%1" }, { "match", "abc", "b%1" },
  { "gsub", "abc", "%", "x" }, { "gsub", "abc", "[a", "x", 0 }, { "gsub", "abc", "[a", "x", -1 },
  { "gsub", "abc", "c%", "x" }, { "gsub", "abc", "(", "%2" }, { "gsub", "abc", ")", "x" },
  { "gsub", "abc", "b)", "x" }, { "match", "abc", "[]" }, { "match", "abc", "%f[" },
  { "find", "abc", "()", 5 }, { "find", "abc", ")", 5 }, { "match", "abc", "%", 5 },
  { "find", "abc", "a", 1.5 }, { "find", "abc", "a", "x" }, { "find", "abc", "a", {} },
  { "find", "abc", {} }, { "find", {}, "a" }, { "find" }, { "match", "abc" },
  { "gsub", "abc", "b", {}, {} }, { "gsub", "abc", "b", string.upper },
})

function D.group(name, stock, mine)
  local cases = groups[name]
  if not cases then return 0, "no group " .. tostring(name) end
  for _, c in ipairs(cases) do
    local n = 0
    for i = 1, 6 do if c[i] ~= nil then n = i end end
    local err = check(stock, mine, unpack(c, 1, n))
    if err then return 0, err end
  end
  return #cases, nil
end

-- Random cases ----------------------------------------------------------

local function pick(t) return t[math.random(#t)] end

local subject_chars = {
  "a", "a", "a", "b", "b", "c", " ", "\0", "\200", "\255", "(", ")", ".",
  "%", "[", "]", "-", "^", "$", "1", "_", "\n", '"', "x", "A", "9", "\t",
}
local literals = { "a", "a", "b", "c", " ", "\0", "\200", "x", "1", "_", "\n", '"', "]" }
local classes = {
  ".", "%a", "%A", "%d", "%D", "%s", "%S", "%w", "%W", "%x", "%X", "%p",
  "%P", "%c", "%C", "%g", "%G", "%l", "%L", "%u", "%U", "%z", "%Z", "%.",
  "%%", "%]", "%(", "%-", "%\0", "%\200", "[ab]", "[^ab]", "[a-c]",
  "[%a_]", "[]a]", "[^]a]", "[a-]", "[-a]", "[%d%s]", "[\0-\31]",
  "[\128-\255]", "[a%-z]", "[%]]", "[^%a]", "[.]", "[a-a]", "[b-a]",
  "[%w%p]", "[^%s]",
}
local tails = {
  "%b()", "%bab", '%b""', "%baa", "%b\0\0", "%f[%w]", "%f[%W]", "%f[a]",
  "%f[^a]", "%f[%z]", "%f[\0]", "%1", "%2", "()", "$",
}
local broken = {
  "%", "[a", "[", "[^", "%b", "%bx", "%f", "%fa", ")", "(", "%9", "%0",
  "[%", "%f[a",
}
local quants = { "", "", "", "", "*", "+", "-", "?" }

local function gen_seq(depth, budget)
  local parts = {}
  for _ = 1, math.random(0, 5) do
    local r = math.random(100)
    if r <= 35 then
      parts[#parts + 1] = pick(literals)
    elseif r <= 65 then
      local q = pick(quants)
      if q ~= "" and q ~= "?" then
        if budget.q <= 0 then q = "?" else budget.q = budget.q - 1 end
      end
      parts[#parts + 1] = (math.random(2) == 1 and pick(literals) or pick(classes)) .. q
    elseif r <= 80 then
      parts[#parts + 1] = pick(tails)
    elseif depth < 3 then
      parts[#parts + 1] = "(" .. gen_seq(depth + 1, budget) .. ")"
    end
  end
  return table.concat(parts)
end

-- Raw mode: any string of pattern characters, for the parser's corners.
local raw_chars = { "(", ")", "%", "[", "]", "^", "$", "*", "+", "-", "?",
                    ".", "a", "b", "f", "1", "2", "0", "\0", "z", "A" }

local function gen_pattern()
  if math.random(4) == 1 then
    local t = {}
    local q = 0
    for i = 1, math.random(0, 10) do
      local c = pick(raw_chars)
      -- At most three repetitions, or a case can backtrack for minutes.
      if c == "*" or c == "+" or c == "-" then
        q = q + 1
        if q > 3 then c = "?" end
      end
      t[i] = c
    end
    return table.concat(t)
  end
  local p = gen_seq(0, { q = 3 })
  if math.random(4) == 1 then p = "^" .. p end
  if math.random(5) == 1 then p = p .. "$" end
  if math.random(15) == 1 then
    local at = math.random(0, #p)
    p = p:sub(1, at) .. pick(broken) .. p:sub(at + 1)
  end
  return p
end

local function gen_subject()
  local n = math.random(0, 16)
  if math.random(20) == 1 then n = math.random(50, 200) end
  local t = {}
  for i = 1, n do t[i] = pick(subject_chars) end
  return table.concat(t)
end

local function gen_init(len)
  local r = math.random(12)
  if r <= 4 then return nil end
  if r <= 6 then return math.random(-len - 2, len + 2) end
  return pick({ 0, 1, -1, len, len + 1, len + 2, -len, -len - 1,
                math.mininteger, math.maxinteger, 2.0, "2" })
end

local templates = { "%0", "%1", "%2", "%3", "%%", "x", "", "<%0>", "%1-%2",
                    "%", "%a", "%9" }
local repl_modes = { "concat", "nil", "false", "int", "count", "alt", "index",
                     "table", "float" }

local function gen_repl()
  local r = math.random(12)
  if r <= 6 then
    local t = {}
    for i = 1, math.random(0, 3) do t[i] = pick(templates) end
    local s = table.concat(t)
    -- An invalid '%' in every other template would hide the rest.
    if math.random(4) > 1 then s = s:gsub("%%([^%d%%])", "%%%%%1") end
    return s
  end
  if r <= 9 then return { repl = pick(repl_modes) } end
  if r == 10 then return { a = "A", b = false, [""] = "E", ["1"] = 1 } end
  if r == 11 then return 7 end
  return pick({ nil, true, 2.5 })
end

local function gen_max()
  local r = math.random(8)
  if r <= 5 then return nil end
  return pick({ 0, 1, 2, 3, -1, 1.0, "2" })
end

function D.random(stock, mine, seed, count)
  math.randomseed(seed)
  local calls = 0
  for _ = 1, count do
    local s, p = gen_subject(), gen_pattern()
    local init = gen_init(#s)
    local plain = pick({ nil, nil, nil, true, false })
    local cases = {
      { "find", s, p, init, plain }, { "match", s, p, init },
      { "gmatch", s, p, init }, { "gsub", s, p, gen_repl(), gen_max() },
    }
    for _, c in ipairs(cases) do
      local n = 0
      for i = 1, 5 do if c[i] ~= nil then n = i end end
      -- An explicit nil before a given argument still counts.
      local err = check(stock, mine, unpack(c, 1, math.max(n, 3)))
      calls = calls + 1
      if err then return calls, err end
    end
  end
  return calls, nil
end

return D
