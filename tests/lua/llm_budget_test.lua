-- mlab-test: host-modules
-- Token budget arithmetic: estimates, refusal before sending, counting.
local llm = require("llm")
local llm_http = require("llm_http")
local request = require("llm_request")
local tokens = require("tokens")

-- estimates: stdlib/tokens.lua per text, 4 per message of framing, 3 for
-- the reply, tools by their JSON
local req = assert(request.copy({ system = string.rep("s", 40),
  messages = { { role = "user", content = string.rep("u", 400) } },
  max_tokens = 100 }))
local prompt = 3 + (tokens.estimate(string.rep("s", 40)) + 4) + (tokens.estimate(string.rep("u", 400)) + 4)
assert(request.estimate_prompt(req) == prompt)
assert(request.estimate_call(req) == prompt + 100)
local with_tools = assert(request.copy({ messages = { { role = "user", content = "u" } }, max_tokens = 1,
  tools = { { name = "Read File", description = "reads", args = { { name = "file_name", type = "string" } } } } }))
assert(request.estimate_prompt(with_tools) > 3 + 4 + 1 + 10)

-- backoff: doubles, capped, jittered in [d/2, d], never under Retry-After
local cfg = { backoff = 1, backoff_max = 30 }
assert(llm_http.backoff(1, nil, cfg, 0) == 0.5 and llm_http.backoff(1, nil, cfg, 1) == 1)
assert(llm_http.backoff(3, nil, cfg, 1) == 4)
assert(llm_http.backoff(10, nil, cfg, 1) == 30 and llm_http.backoff(10, nil, cfg, 0) == 15)
assert(llm_http.backoff(1, 7, cfg, 0.5) == 7)
assert(llm_http.backoff(6, 2, cfg, 1) == 30)

-- a host with a token budget whose HTTP must never be reached
local function host(limit)
  local h = { used = 0, lines = {}, posts = 0 }
  h.getenv = function(name)
    return ({ OPENAI_API_KEY = "sk-test-key-0123456789" })[name]
  end
  h.now = function() return 0 end
  h.sleep = function() end
  h.post = function()
    h.posts = h.posts + 1
    error("no HTTP in this test")
  end
  h.record = function(line) h.lines[#h.lines + 1] = line; return true end
  h.tokens_allow = function(n)
    if h.used + n > limit then
      return nil, ("budget: tokens (%d used, %d asked, limit %d)")
        :format(h.used, n, limit)
    end
    return true
  end
  h.tokens_add = function(n) h.used = h.used + n end
  h.step = function() return 3 end
  return h
end

local h = host(150)
local c = assert(llm.new("openai:m@http://127.0.0.1:1/v1", h))
local reply, msg, kind = c:chat{ messages = { { role = "user",
  content = string.rep("x", 400) } }, max_tokens = 100 }
-- 3 + 80 + 4 + 100 = 187 > 150: refused, nothing sent, nothing counted
assert(reply == nil and kind == "budget", tostring(msg))
assert(msg:find("187 tokens") and msg:find("limit 150"), msg)
assert(h.posts == 0 and h.used == 0)
-- ... and recorded, with the step and the error
assert(#h.lines == 1)
local line = h.lines[1]
assert(line.error.kind == "budget" and line.step == 3 and line.call == 1)
assert(line.tries == 0 and line.request.max_tokens == 100)
assert(line.provider == "openai" and line.model == "m")

-- the default max_tokens (1024) counts when the agent gives none
h = host(1000)
c = assert(llm.new("openai:m@http://127.0.0.1:1/v1", h))
reply, msg, kind = c:chat{ messages = { { role = "user", content = "hi" } } }
assert(kind == "budget" and msg:find("1024 max_tokens"), msg)
local c2 = assert(llm.new("openai:m@http://127.0.0.1:1/v1", h,
  { max_tokens = 50 }))
-- with a smaller default the call fits and is sent (this host's post
-- raises, as the run's time budget would: recorded, then re-raised)
assert(not pcall(c2.chat, c2, { messages = { { role = "user",
  content = "hi" } } }))
assert(h.posts == 1 and h.lines[#h.lines].error.kind == "budget")

-- misuse raises at the door
assert(not pcall(c.chat, c, { messages = {} }))
assert(not pcall(c.chat, c, { messages = { { role = "user" } } }))
assert(not pcall(c.chat, c, { messages = { { role = "user", content = "x" } },
  max_tokens = 0 }))
assert(not pcall(c.chat, c, { messages = { { role = "user", content = "x" } },
  stop = { 1 } }))

-- the client hides the host: no field leads to post or tokens_add
assert(rawget(c, "host") == nil and c.host == nil)
assert(getmetatable(c) == false)
assert(not pcall(function() c.chat = nil end))

-- a hosted endpoint without its key is refused at creation
local nokey = host(10)
nokey.getenv = function() return nil end
local none, err = llm.new("openai:gpt-4o", nokey)
assert(none == nil and err:find("OPENAI_API_KEY"), err)
local anth, err2 = llm.new("anthropic:claude", nokey)
assert(anth == nil and err2:find("ANTHROPIC_API_KEY"), err2)
-- a local endpoint needs none
assert(llm.new("openai:llama@http://127.0.0.1:8080/v1", nokey))

-- --llm none: every call fails with kind "none" and is recorded
local hn = host(10)
local cn = assert(llm.new("none", hn))
local r0, m0, k0 = cn:chat{ messages = { { role = "user", content = "x" } } }
assert(r0 == nil and k0 == "none" and m0:find("%-%-llm none"))
assert(#hn.lines == 1 and hn.lines[1].error.kind == "none")
print("llm_budget_test: ok")
