-- mlab-test: host-modules
-- --llm specs, public specs, key redaction and canonical encoding.
local llm = require("llm")

local s = llm.parse_spec("openai:gpt-4o-mini")
assert(s.provider == "openai" and s.model == "gpt-4o-mini" and s.url == nil)
s = llm.parse_spec("openai:llama3:8b@http://127.0.0.1:11434/v1")
assert(s.model == "llama3:8b" and s.url == "http://127.0.0.1:11434/v1")
s = llm.parse_spec("openai:org@team/model@https://h.example/v1")
assert(s.model == "org@team/model" and s.url == "https://h.example/v1")
s = llm.parse_spec("anthropic:claude-sonnet-4-5")
assert(s.provider == "anthropic" and s.model == "claude-sonnet-4-5")
s = llm.parse_spec("replay:runs/abc")
assert(s.provider == "replay" and s.source == "runs/abc")
assert(llm.parse_spec("none").provider == "none")
assert(llm.parse_spec(nil).provider == "none")

local bad = { "gpt-4", "openai:", "replay:", "cohere:x", "openai:@http://h" }
for _, b in ipairs(bad) do
  local r, msg = llm.parse_spec(b)
  assert(r == nil and msg:find("bad %-%-llm spec"), b)
end

-- run.json gets the spec without credentials or query strings
assert(llm.public_spec("openai:m@http://user:pw@h:8000/v1?api-key=sk-1") ==
  "openai:m@http://h:8000/v1")
assert(llm.public_spec("anthropic:c") == "anthropic:c")

-- redaction: exact secrets always, key and bearer shapes when loose
local key = "sk-proj-abcdefghijklmnop1234"
local r = llm.redact("Incorrect API key provided: " .. key .. ".", { key })
assert(not r:find(key, 1, true) and r:find("[REDACTED]", 1, true))
r = llm.redact("key sk-ant-api03-ZZZZZZZZZZZZ seen", {})
assert(r == "key sk-[REDACTED] seen", r)
r = llm.redact('header "Authorization: Bearer abc.def-123"', {})
assert(r == 'header "Authorization: Bearer [REDACTED]"', r)
-- strict mode (reply text) keeps innocent look-alikes
assert(llm.redact("use sk-learn-and-more-things", {}, false) ==
  "use sk-learn-and-more-things")
assert(llm.redact("a SECRET b SECRET", { "SECRET" }, false) ==
  "a [REDACTED] b [REDACTED]")
assert(llm.redact("short sk-1", {}) == "short sk-1")

-- canonical encoding: sorted keys, integral floats as integers
assert(llm.encode({ b = 1, a = { 1.0, 2.5, "x" }, c = true }) ==
  '{"a":[1,2.5,"x"],"b":1,"c":true}')
assert(llm.encode({ t = 0.7 }) == '{"t":0.7}')
assert(llm.encode({}) == "{}")
assert(not pcall(llm.encode, { f = print }))
-- slashes are not escaped, and backslashes before them survive
local cjson = require("cjson")
local tricky = { u = "http://h/v1", w = "a\\/b\\\\/c" }
local enc = llm.encode(tricky)
assert(enc:find('"http://h/v1"', 1, true), enc)
local back = cjson.decode(enc)
assert(back.u == tricky.u and back.w == tricky.w, enc)
print("llm_spec_test: ok")
