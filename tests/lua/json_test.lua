-- stdlib/json.lua: stable key order, arrays, escapes, round trips.
local json = require("json")

assert(json.encode({ z = 1, a = 2, m = { 3 } }) == '{"a":2,"m":[3],"z":1}')
assert(json.encode({}) == "{}")
assert(json.encode(json.array({})) == "[]")
assert(json.encode("a/b\n\"q\"") == '"a/b\\n\\"q\\""')
assert(json.encode(3) == "3" and json.encode(0.5) == "0.5")
assert(json.encode(0 / 0) == "null")
assert(json.encode({ 1, nil, 3 }) ~= nil)
local pretty = json.encode({ a = { 1, 2 } }, "  ")
assert(pretty == '{\n  "a": [\n    1,\n    2\n  ]\n}', pretty)

local t = { step = 3, input = { file_name = "x.py" }, ok = true, obs = "\226\156\147 done" }
local back = json.decode(json.encode(t))
assert(back.step == 3 and back.input.file_name == "x.py" and back.ok == true)
assert(back.obs == t.obs)

local v, err = json.decode("{broken")
assert(v == nil and err:find("^json:"))

local loop = {}
loop.self = loop
local ok, lerr = pcall(json.encode, loop)
assert(not ok and lerr:find("contains itself"))

-- Bytes that are not UTF-8 are escaped as \udc80-\udcff (surrogateescape)
-- and come back exactly; valid text, pairs and escaped backslashes do not.
for _, raw in ipairs({ "\xff", "a\x80b", "caf\xc3\xa9 \xe9t\xe9", "\xc3", "ok\xf0\x9f\x98\x80\xf0",
    "\\udc80 literal", "tab\t\xfe\x00nul" }) do
  local text = json.encode({ s = raw, [raw] = 1 })
  assert(utf8.len(text), "encoded text is valid UTF-8: " .. text)
  local back = assert(json.decode(text))
  assert(back.s == raw, ("round trip of %q gave %q"):format(raw, back.s))
  assert(back[raw] == 1, "keys round-trip too")
end
assert(json.encode("\xff") == '"\\udcff"')
assert(json.decode('"\\ud83d\\ude00"') == "\xf0\x9f\x98\x80", "a real pair is a character")
assert(json.decode('"\\\\udc80"') == "\\udc80", "an escaped backslash is not a byte escape")
