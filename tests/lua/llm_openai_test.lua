-- mlab-test: host-modules
-- OpenAI wire format: request building and reply parsing.
local cjson = require("cjson")
local json = require("json")
local openai = require("llm_openai")

local req = {
  system = "You are terse.",
  messages = { { role = "user", content = "hi" },
               { role = "assistant", content = "hello" },
               { role = "user", content = "2+2?" } },
  max_tokens = 64, temperature = 0.2, stop = { "\nObservation:" },
}

-- system becomes the first message; the rest keep their order
local b = openai.body("gpt-x", req)
assert(b.model == "gpt-x")
assert(#b.messages == 4)
assert(b.messages[1].role == "system" and b.messages[1].content == req.system)
assert(b.messages[4].content == "2+2?")
assert(b.max_tokens == 64 and b.temperature == 0.2)
assert(b.stop[1] == "\nObservation:")

-- no system, no stop, no temperature: the fields are absent
local b2 = openai.body("m", { messages = { { role = "user", content = "x" } },
                              max_tokens = 5 })
assert(#b2.messages == 1 and b2.stop == nil and b2.temperature == nil)
local wire = json.canonical(b2)
assert(wire == '{"max_tokens":5,"messages":[{"content":"x","role":"user"}],'
  .. '"model":"m"}', wire)

-- urls: a base gets the endpoint; a full endpoint is kept
assert(openai.url("http://127.0.0.1:8000/v1") ==
  "http://127.0.0.1:8000/v1/chat/completions")
assert(openai.url("http://h/v1/") == "http://h/v1/chat/completions")
assert(openai.url("http://h/x/chat/completions") ==
  "http://h/x/chat/completions")

-- headers: bearer with a key, none without (local servers)
local h = openai.headers("sk-abc")
assert(h.Authorization == "Bearer sk-abc")
assert(h["Content-Type"] == "application/json")
assert(openai.headers(nil).Authorization == nil)
assert(openai.headers("").Authorization == nil)

-- replies: choices[1].message.content and usage
local doc = cjson.decode([[{"id":"c1","object":"chat.completion",
  "choices":[{"index":0,"message":{"role":"assistant","content":"4"},
  "finish_reason":"stop"},{"index":1,"message":{"role":"assistant",
  "content":"four"}}],
  "usage":{"prompt_tokens":12,"completion_tokens":1,"total_tokens":13}}]])
local out = openai.parse(doc)
assert(out.text == "4" and out.tool_calls == nil)
assert(out.usage.prompt == 12 and out.usage.completion == 1)
assert(math.type(out.usage.prompt) == "integer")

-- no usage: text still parses, usage is nil (llm.lua estimates)
out = openai.parse(cjson.decode(
  '{"choices":[{"message":{"content":"ok"}}]}'))
assert(out.text == "ok" and out.usage == nil)

-- broken shapes are messages, not crashes
assert(select(2, openai.parse({})) == "reply has no choices")
assert(select(2, openai.parse({ choices = {} })) == "reply has no choices")
local t, msg = openai.parse(cjson.decode(
  '{"choices":[{"message":{"content":null}}]}'))
assert(t == nil and msg:find("content"))

-- error bodies
assert(openai.error_message(cjson.decode(
  '{"error":{"message":"Rate limit reached","type":"requests"}}'))
  == "Rate limit reached")
assert(openai.error_message({}) == nil)
print("llm_openai_test: ok")
