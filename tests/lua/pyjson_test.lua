-- stdlib/pyjson.lua: json.loads and repr() as CPython 3.11 gives them (the
-- expected texts below were written by Python itself).
local pj = require("pyjson")

-- { text, "ok" | "err", repr(value) | str(error) }
local LOADS = {
  { "{\"a\": 1}", "ok", "{'a': 1}" },
  { "{\"a\": \"x\ny\"}", "err", "Invalid control character at: line 1 column 9 (char 8)" },
  { "{'a': 1}", "err", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)" },
  { "{\"a\": 1,}", "err", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)" },
  { "{\"a\" 1}", "err", "Expecting ':' delimiter: line 1 column 6 (char 5)" },
  { "{\"a\": 1 \"b\": 2}", "err", "Expecting ',' delimiter: line 1 column 9 (char 8)" },
  { "", "err", "Expecting value: line 1 column 1 (char 0)" },
  { "   ", "err", "Expecting value: line 1 column 4 (char 3)" },
  { "{", "err", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)" },
  { "[", "err", "Expecting value: line 1 column 2 (char 1)" },
  { "[1,", "err", "Expecting value: line 1 column 4 (char 3)" },
  { "[1 2]", "err", "Expecting ',' delimiter: line 1 column 4 (char 3)" },
  { "{\"a\": \"\\q\"}", "err", "Invalid \\escape: line 1 column 8 (char 7)" },
  { "{\"a\": \"\\u12\"}", "err", "Invalid \\uXXXX escape: line 1 column 9 (char 8)" },
  { "{\"a\": \"\\u12zz\"}", "err", "Invalid \\uXXXX escape: line 1 column 9 (char 8)" },
  { "{\"a\": tru}", "err", "Expecting value: line 1 column 7 (char 6)" },
  { "nul", "err", "Expecting value: line 1 column 1 (char 0)" },
  { "-", "err", "Expecting value: line 1 column 1 (char 0)" },
  { "-x", "err", "Expecting value: line 1 column 1 (char 0)" },
  { "01", "err", "Extra data: line 1 column 2 (char 1)" },
  { "1.", "err", "Extra data: line 1 column 2 (char 1)" },
  { "1.5e", "err", "Extra data: line 1 column 4 (char 3)" },
  { "1e5", "ok", "100000.0" },
  { "[1e5, 2.50, -0, 0.1]", "ok", "[100000.0, 2.5, 0, 0.1]" },
  { "{\"dir_path\": \".\"}\nObservation:", "err", "Extra data: line 2 column 1 (char 18)" },
  { "{\"a\": 1} x", "err", "Extra data: line 1 column 10 (char 9)" },
  { "NaN", "ok", "nan" },
  { "[Infinity, -Infinity]", "ok", "[inf, -inf]" },
  { "\"\\ud83d\\ude00\"", "ok", "'😀'" },
  { "{\"é\": \"ü\", \"x\": [1, 2", "err", "Expecting ',' delimiter: line 1 column 22 (char 21)" },
  { "{\"a\":\n  \"b\",\n  c}", "err", "Expecting property name enclosed in double quotes: line 3 column 3 (char 15)" },
  { "\"abc", "err", "Unterminated string starting at: line 1 column 1 (char 0)" },
  { "{\"a\": \"b\\", "err", "Unterminated string starting at: line 1 column 7 (char 6)" },
  { "```json\n{\"a\": 1}\n```", "err", "Expecting value: line 1 column 1 (char 0)" },
  { "{\"script_name\": \"train.py\", \"start_line_number\": 1, \"end_line_number\": 10}", "ok", "{'script_name': 'train.py', 'start_line_number': 1, 'end_line_number': 10}" },
  { "{\"a\": [1, {\"b\": null}], \"c\": true, \"d\": false}", "ok", "{'a': [1, {'b': None}], 'c': True, 'd': False}" },
  { "﻿{}", "err", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)" },
  { "{\"a\": \"\009\"}", "err", "Invalid control character at: line 1 column 8 (char 7)" },
  { "{\"k\": \"v\", \"k\": \"w\"}", "ok", "{'k': 'w'}" },
  { "[]", "ok", "[]" },
  { "{}", "ok", "{}" },
  { "{ }", "ok", "{}" },
  { "[ ]", "ok", "[]" },
  { "1 2", "err", "Extra data: line 1 column 3 (char 2)" },
  { "{\"a\": 1}}", "err", "Extra data: line 1 column 9 (char 8)" },
  { "{\"é\": 1 x}", "err", "Expecting ',' delimiter: line 1 column 9 (char 8)" },
  { "\n\n  {\"a\": 1, \n \"b\": ]}", "err", "Expecting value: line 4 column 7 (char 20)" },
  { "\"5a}[", "err", "Unterminated string starting at: line 1 column 1 (char 0)" },
}
for _, c in ipairs(LOADS) do
  local v, err = pj.loads(c[1])
  local got = v ~= nil and pj.repr(v) or err
  assert((v ~= nil and "ok" or "err") == c[2] and got == c[3], ("%q: want %s %s, got %s"):format(c[1], c[2], c[3], got))
end

-- { JSON, repr() of what it decodes to }
local REPR = {
  { "\"a\"", "'a'" },
  { "\"it's\"", "\"it's\"" },
  { "\"say \\\"hi\\\"\"", "'say \"hi\"'" },
  { "\"both ' and \\\"\"", "'both \\' and \"'" },
  { "\"tab\\tnl\\n\\\\\"", "'tab\\tnl\\n\\\\'" },
  { "\"\\u000b\\u007f\"", "'\\x0b\\x7f'" },
  { "\"\\u00e9 \\u00fc\"", "'é ü'" },
  { "\"\\u00a0x\"", "'\\xa0x'" },
  { "[\"a\", \"b\"]", "['a', 'b']" },
  { "[1, 2.5, true, null]", "[1, 2.5, True, None]" },
  { "{\"k\": [1.0, 1e+16, 1e-05, 0.0001, 123456789.125, -0.0]}", "{'k': [1.0, 1e+16, 1e-05, 0.0001, 123456789.125, -0.0]}" },
  { "3.14159", "3.14159" },
  { "0.3333333333333333", "0.3333333333333333" },
  { "2.5e-07", "2.5e-07" },
  { "1e+22", "1e+22" },
  { "100.0", "100.0" },
}
for _, c in ipairs(REPR) do
  local got = pj.repr(assert(pj.loads(c[1])))
  assert(got == c[2], c[1] .. ": " .. got .. " ~= " .. c[2])
end

-- str(): strings as they are, the rest as repr(); lists from Lua tables.
assert(pj.str("a 'b'") == "a 'b'")
assert(pj.str({ "the model", "the metric" }) == "['the model', 'the metric']")
assert(pj.str(10) == "10" and pj.str(10.0) == "10.0" and pj.str(true) == "True" and pj.str(pj.null) == "None")

-- Keys keep their order; a key given twice keeps its first place.
local o = assert(pj.loads('{"b": 1, "a": 2, "b": 3}'))
assert(pj.is_object(o) and table.concat(pj.keys(o), ",") == "b,a" and o.b == 3)
assert(pj.is_array(assert(pj.loads("[]"))) and pj.type_name(assert(pj.loads("[]"))) == "list")

-- Characters, not bytes: lengths, slices, positions in errors.
assert(pj.len("caf\u{e9}") == 4 and pj.sub("caf\u{e9}!", 3, 5) == "\u{e9}!" and pj.sub("abcdef", -2) == "ef")
assert(pj.sub("abc", 0, -1) == "ab" and pj.sub("abc", 5) == "")
assert(select(2, pj.loads('{"\u{e9}": 1 x}')) == "Expecting ',' delimiter: line 1 column 9 (char 8)")
assert(pj.strip("``json x json``", "`json") == " x ")
assert(table.concat(pj.split("a\n\nb", "\n"), "|") == "a||b")
