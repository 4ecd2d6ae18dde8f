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
