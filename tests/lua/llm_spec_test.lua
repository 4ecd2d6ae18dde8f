-- mlab-test: host-modules
-- --llm specs, public specs, key redaction.
local llm = require("llm")
local record = require("llm_record")

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
local r = record.redact("Incorrect API key provided: " .. key .. ".", { key })
assert(r == "Incorrect API key provided: [REDACTED].", r)
r = record.redact("key sk-ant-api03-ZZZZZZZZZZZZ seen", {}, true)
assert(r == "key sk-[REDACTED] seen", r)
r = record.redact('header "Authorization: Bearer abc.def-123"', {}, true)
assert(r == 'header "Authorization: Bearer [REDACTED]"', r)
-- strict mode keeps innocent look-alikes
assert(record.redact("use sk-learn-and-more-things", {}) == "use sk-learn-and-more-things")
assert(record.redact("a SECRET99 b SECRET99", { "SECRET99" }) == "a [REDACTED] b [REDACTED]")
assert(record.redact("short sk-1", {}, true) == "short sk-1")
-- adjacent and overlapping occurrences: left to right, exact
assert(record.redact("abcdabcdabcdabcd!", { "abcdabcd" }) == "[REDACTED][REDACTED]!")
assert(record.redact("aaaaaaaaa", { "aaaaaaaa" }) == "[REDACTED]a")
-- a pattern character in a key is plain text
assert(record.redact("x%.+-*?[^$y", { "%.+-*?[^$" }) == "x[REDACTED]y")
-- secrets shorter than 8 bytes are placeholders: never replaced
assert(record.redact("xxxx EMPTY test", { "x", "EMPTY", "test" }) == "xxxx EMPTY test")
local sec, note = record.secrets("x", "OPENAI_API_KEY")
assert(#sec == 0 and note:find("placeholder") and note:find("OPENAI_API_KEY"))
sec, note = record.secrets("EMPTY", "OPENAI_API_KEY")
assert(#sec == 0 and note)
sec, note = record.secrets(key, "OPENAI_API_KEY")
assert(sec[1] == key and note == nil)
assert(#record.secrets(nil, "K") == 0)

-- linear: a 4 MB text holding the key 100000 times is scrubbed at once
-- (the old replace-and-concatenate loop copied the text per occurrence)
local big = string.rep("Incorrect key " .. key .. " ", 100000)
local t0 = os.clock()
local clean = record.redact(big, { key })
assert(not clean:find(key, 1, true))
assert(select(2, clean:gsub("%[REDACTED%]", "")) == 100000)
assert(os.clock() - t0 < 5, "redaction is not linear")

-- error messages: scrubbed whole, then cut, then scrubbed of key shapes
local lines = {}
local rec = record.new({ record = function(l) lines[#lines + 1] = l; return true end }, { key }, 7)
local m = rec.message(string.rep("y", 3990) .. key .. string.rep("z", 100000))
assert(not m:find("sk%-proj") and #m < record.MAX_MESSAGE + 100, #m)
assert(m:find("more bytes%]$"))
-- records: every string scrubbed, the caller's table untouched
assert(rec.next() == 8 and rec.next() == 9)
local line = { call = 9, reply = "the key is " .. key, request = { messages = { { content = key } } } }
rec.write(line)
assert(lines[1].reply == "the key is [REDACTED]" and lines[1].request.messages[1].content == "[REDACTED]")
assert(line.reply == "the key is " .. key, "what the agent sees is not redacted")
print("llm_spec_test: ok")
