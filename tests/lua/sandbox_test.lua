-- What an agent's code can and cannot reach (run by `mlab test-lua`, in the
-- same sandbox agents get).
for _, name in ipairs({ "io", "debug", "package", "dofile", "loadfile",
                        "collectgarbage", "require_raw" }) do
  assert(rawget(_G, name) == nil, name .. " must not exist in the sandbox")
end
for _, name in ipairs({ "execute", "remove", "rename", "exit", "getenv", "tmpname" }) do
  assert(os[name] == nil, "os." .. name .. " must not exist")
end
assert(type(os.time()) == "number" and type(os.clock()) == "number")
assert(string.dump == nil, "string.dump must not exist")

-- Reading an undefined global raises instead of giving nil.
local ok, err = pcall(function() return undefined_thing end)
assert(not ok and err:find("undefined global 'undefined_thing'"), err)

-- Binary chunks are refused; text chunks run in the sandbox.
local f = load("return 1 + 1")
assert(f() == 2)
local bin = "\27Lua" .. string.rep("\0", 20)
local chunk, lerr = load(bin)
assert(chunk == nil and lerr:find("binary"), lerr)
assert(not pcall(load, "return 1", "x", "b"))
local leaked = load("return io")
assert(not pcall(leaked), "a loaded chunk must not see io")

-- The string metatable cannot be reached or patched.
assert(getmetatable("") == "locked")
assert(("abc"):upper() == "ABC")

-- Our copies of the libraries are ours: patching them leaves the host's.
string.upper = nil
assert(("abc"):upper() == "ABC", "the host's string table must be untouched")

-- require reaches stdlib/ only (and agents/), never host modules.
local json = require("json")
assert(json.encode({ b = 1, a = { 1, 2 } }) == '{"a":[1,2],"b":1}')
for _, name in ipairs({ "mlab.sys", "mlab.run", "mlab.budget", "mlab.ws", "run", "sandbox", "os", "io" }) do
  local okr, rerr = pcall(require, name)
  assert(not okr and rerr:find("not found"), name .. ": " .. tostring(rerr))
end
assert(not pcall(require, "../lua/run"))

-- cjson is there, reduced to encode, decode and null.
local cjson = require("cjson")
assert(cjson.encode and cjson.decode and cjson.null)
assert(cjson.encode_max_depth == nil and cjson.new == nil)
local v, derr = cjson.decode("{bad")
assert(v == nil and type(derr) == "string")
