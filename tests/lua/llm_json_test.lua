-- mlab-test: host-modules
-- stdlib/json.lua's canonical form: what records and replay compare.
local json = require("json")

assert(json.canonical({ b = 1, a = { 1.0, 2.5, "x" }, c = true }) ==
  '{"a":[1,2.5,"x"],"b":1,"c":true}')
assert(json.canonical({ t = 0.7 }) == '{"t":0.7}')
assert(json.canonical({}) == "{}")
assert(json.canonical(json.array({})) == "[]")
assert(json.canonical(json.null) == "null")
-- numbers are exact: what is written reads back as the same double
for _, v in ipairs({ 0.1, 1 / 3, 2 ^ 60, 123456789012345678, -0.000123456789012345, 1e300 }) do
  local s = json.canonical(v)
  assert(tonumber(s) == v, s)
end
assert(json.canonical(2 ^ 52 + 0.0) == "4503599627370496")
assert(json.canonical(1 / 3) == "0.33333333333333331", json.canonical(1 / 3))
-- what JSON cannot say raises (encode writes null or stringifies)
assert(not pcall(json.canonical, { f = print }))
assert(not pcall(json.canonical, 0 / 0))
assert(not pcall(json.canonical, { [true] = 1 }))
assert(not pcall(json.canonical, { 1, 2, x = 3 }))
assert(json.encode(0 / 0) == "null")
-- slashes are not escaped, and backslashes before them survive
local cjson = require("cjson")
local tricky = { u = "http://h/v1", w = "a\\/b\\\\/c" }
local enc = json.canonical(tricky)
assert(enc:find('"http://h/v1"', 1, true), enc)
local back = cjson.decode(enc)
assert(back.u == tricky.u and back.w == tricky.w, enc)
-- the same value in any insertion order gives the same bytes
local a, b = {}, {}
for i = 1, 50 do a["k" .. i] = i end
for i = 50, 1, -1 do b["k" .. i] = i end
assert(json.canonical(a) == json.canonical(b))
print("llm_json_test: ok")
