-- mlab-test: host-modules
-- Replay: answers in order from a recording, fails loudly on divergence.
local llm = require("llm")
local json = require("json")

local ask1 = { messages = { { role = "user", content = "first" } },
               max_tokens = 10, temperature = 0 }
local ask2 = { system = "sys", messages = { { role = "user",
               content = "second" } }, max_tokens = 10, stop = { "X" } }

-- a recording as a live client writes it
local recorded = {}
local function norm(r)
  return { messages = r.messages, system = r.system, max_tokens = r.max_tokens,
           temperature = r.temperature, stop = r.stop }
end
recorded[1] = json.canonical({ call = 1, step = 0, provider = "openai", model = "m",
  request = norm(ask1), reply = "one", usage = { prompt = 7, completion = 2 },
  latency_s = 0.01, tries = 1, retries = 0 })
recorded[2] = json.canonical({ call = 2, step = 1, provider = "openai", model = "m",
  request = norm(ask2), tries = 4, retries = 3,
  error = { kind = "rate_limit", message = "rate_limit: HTTP 429 ..." } })
local file = table.concat(recorded, "\n") .. "\n"

-- What rundir.recording does in a run, over files held in memory: the
-- source as a file, a run directory, or a run id in runs/.
local function recording(files)
  return function(source)
    for _, path in ipairs({ source, source .. "/llm.jsonl", "runs/" .. source .. "/llm.jsonl" }) do
      if files[path] then
        local recs = {}
        for l in files[path]:gmatch("[^\n]+") do recs[#recs + 1] = json.decode(l) end
        return recs, path
      end
    end
    return nil, "replay: no recording at " .. source
  end
end

local function host()
  local h = { used = 0, lines = {}, step_n = 0 }
  h.recording = recording({ ["runs/r1/llm.jsonl"] = file })
  h.record = function(line) h.lines[#h.lines + 1] = line; return true end
  h.tokens_add = function(n) h.used = h.used + n end
  h.step = function() return h.step_n end
  return h
end

-- RUN resolves through runs_dir; replies, usage and errors come back as
-- recorded, and the usage is counted against the budget again
local h = host()
local c = assert(llm.new("replay:r1", h))
assert(c.provider == "openai" and c.model == "m")
local r = assert(c:chat(ask1))
assert(r.text == "one" and r.usage.prompt == 7 and r.usage.completion == 2)
assert(h.used == 9)
h.step_n = 1
local r2, msg, kind = c:chat(ask2)
assert(r2 == nil and kind == "rate_limit" and msg:find("429"))
assert(#h.lines == 2 and h.lines[1].replayed_from == "runs/r1/llm.jsonl")
assert(h.lines[2].error.kind == "rate_limit")

-- past the end: loud, with the call index
local ok, err = pcall(c.chat, c, ask1)
assert(not ok and err:find("call 3") and err:find("holds 2 calls"), err)

-- a different request: loud, naming call and step, showing both
h = host()
c = assert(llm.new("replay:runs/r1/llm.jsonl", h))
h.step_n = 5
local changed = { messages = { { role = "user", content = "firsT" } },
                  max_tokens = 10, temperature = 0 }
ok, err = pcall(c.chat, c, changed)
assert(not ok)
assert(err:find("call 1 %(step 5%) differs"), err)
assert(err:find('recorded request: {"max_tokens":10,"messages":'
  .. '%[{"content":"first"', 1) and err:find('"content":"firsT"'), err)
assert(err:find("first difference at byte"), err)
assert(h.used == 0 and #h.lines == 0)

-- a missing recording is an error at creation, not at the first call
local none, e2 = llm.new("replay:nope", host())
assert(none == nil and e2:find("no recording"), e2)
-- resume: the run's own records answer first (not written again), then
-- the live model, whose calls are numbered after the recorded ones
local function decoded()
  local out = {}
  for l in file:gmatch("[^\n]+") do out[#out + 1] = json.decode(l) end
  return out
end
h = host()
h.prefix = decoded()
c = assert(llm.new("none", h))
r = assert(c:chat(ask1))
assert(r.text == "one" and #h.lines == 0 and #h.prefix == 1, "answered from the prefix")
r2, msg, kind = c:chat(ask2)
assert(r2 == nil and kind == "rate_limit" and #h.prefix == 0)
r2, msg, kind = c:chat(ask1)
assert(kind == "none" and #h.lines == 1 and h.lines[1].call == 3, h.lines[1] and h.lines[1].call)
-- a resumed call that differs stops the run (host.diverge), like replay
h = host()
h.prefix = decoded()
local diverged
h.diverge = function(m) diverged = m end
c = assert(llm.new("none", h))
ok, err = pcall(c.chat, c, changed)
assert(not ok and diverged == err and err:find("^resume: call 1 %(step 0%) differs"), err)

-- tool calls come back from a recording as they were recorded
local tc = json.canonical({ call = 1, step = 0, provider = "openai", model = "m",
  request = norm(ask1), reply = "", usage = { prompt = 5, completion = 1 },
  tool_calls = { { id = "call_1", name = "Read File", arguments = { file_name = "a.py", n = 3 } },
                 { id = "call_2", name = "Final Answer", arguments = '{"final_answer": ',
                   error = "the arguments are not valid JSON" } } })
h = host()
h.recording = recording({ x = tc .. "\n" })
c = assert(llm.new("replay:x", h))
r = assert(c:chat(ask1))
assert(r.text == "" and #r.tool_calls == 2 and r.tool_calls[1].name == "Read File")
assert(r.tool_calls[1].arguments.file_name == "a.py" and r.tool_calls[1].arguments.n == 3)
assert(r.tool_calls[2].arguments == '{"final_answer": ' and r.tool_calls[2].error)
assert(math.type(r.usage.prompt) == "integer")
print("llm_replay_test: ok")
