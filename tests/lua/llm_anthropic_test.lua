-- mlab-test: host-modules
-- Anthropic Messages format: system field, version header, content blocks.
local cjson = require("cjson")
local json = require("json")
local anthropic = require("llm_anthropic")

local req = {
  system = "Be brief.",
  messages = { { role = "system", content = "Answer in French." },
               { role = "user", content = "hi" } },
  max_tokens = 100, temperature = 0, stop = { "END" },
}
local b = anthropic.body("claude-x", req)
-- system is its own field (joined with any system-role messages), never
-- a message; stop becomes stop_sequences; max_tokens always present
assert(b.system == "Be brief.\n\nAnswer in French.")
assert(#b.messages == 1 and b.messages[1].role == "user")
assert(b.stop_sequences[1] == "END" and b.stop == nil)
assert(b.max_tokens == 100 and b.temperature == 0)
assert(b.model == "claude-x")

local b2 = anthropic.body("m", { messages = { { role = "user",
  content = "x" } }, max_tokens = 1 })
assert(b2.system == nil and b2.stop_sequences == nil)
assert(json.canonical(b2) ==
  '{"max_tokens":1,"messages":[{"content":"x","role":"user"}],"model":"m"}')

-- headers: x-api-key and anthropic-version, no Authorization
local h = anthropic.headers("sk-ant-xyz")
assert(h["x-api-key"] == "sk-ant-xyz")
assert(h["anthropic-version"] == "2023-06-01")
assert(h.Authorization == nil)
assert(anthropic.url("https://api.anthropic.com/v1") ==
  "https://api.anthropic.com/v1/messages")

-- content blocks: text blocks joined in order, others skipped
local doc = cjson.decode([[{"id":"msg_1","type":"message",
  "role":"assistant","model":"claude-x",
  "content":[{"type":"text","text":"Bon"},
             {"type":"tool_use","id":"t","name":"f","input":{}},
             {"type":"text","text":"jour"}],
  "stop_reason":"end_turn",
  "usage":{"input_tokens":20,"output_tokens":3}}]])
local out = anthropic.parse(doc)
assert(out.text == "Bonjour", out.text)
assert(out.usage.prompt == 20 and out.usage.completion == 3)
-- the tool_use block is a tool call (its name as the model wrote it when
-- the request had no such tool)
assert(#out.tool_calls == 1 and out.tool_calls[1].id == "t" and out.tool_calls[1].name == "f")

-- cached input counts as prompt tokens
local u2 = anthropic.parse(cjson.decode([[{"content":[],
  "usage":{"input_tokens":5,"output_tokens":1,
  "cache_read_input_tokens":100,"cache_creation_input_tokens":10}}]]))
u2 = u2.usage
assert(u2.prompt == 115 and u2.completion == 1)

-- empty content is an empty reply; missing content is an error
assert(anthropic.parse(cjson.decode('{"content":[]}')).text == "")
assert(select(2, anthropic.parse({})) == "reply has no content blocks")
local t, msg = anthropic.parse(cjson.decode(
  '{"content":[{"type":"text"}]}'))
assert(t == nil and msg:find("no text"))
t, msg = anthropic.parse(cjson.decode(
  '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'))
assert(t == nil and msg:find("Overloaded"))
assert(anthropic.error_message(cjson.decode(
  '{"type":"error","error":{"type":"x","message":"bad key"}}')) == "bad key")
print("llm_anthropic_test: ok")
