-- mlab-test: host-modules
-- The agent's request: copied with raw reads only (no metamethod of the
-- agent's ever runs), outside the guarded call, bounded, checked.
local llm = require("llm")
local request = require("llm_request")
local json = require("json")

-- Every metamethod an agent could set, each failing the test if it runs.
local ran = {}
local function trap(name)
  return function() ran[#ran + 1] = name; error("metamethod " .. name .. " ran") end
end
local function hostile(t)
  return setmetatable(t, { __index = trap("__index"), __len = trap("__len"),
    __pairs = trap("__pairs"), __tostring = trap("__tostring"), __eq = trap("__eq"),
    __newindex = trap("__newindex"), __call = trap("__call"), __concat = trap("__concat") })
end

local args = hostile({ file_name = "train.py", lines = hostile({ 1, 2 }) })
local req = hostile({
  system = "sys",
  messages = hostile({
    hostile({ role = "user", content = "hi" }),
    hostile({ role = "assistant", content = "", tool_calls = hostile({
      hostile({ id = "c1", name = "Read File", arguments = args }) }) }),
    hostile({ role = "tool", tool_call_id = "c1", content = "print(1)", is_error = false }),
  }),
  tools = hostile({ hostile({ name = "Read File", description = "reads",
    args = hostile({ hostile({ name = "file_name", type = "string", description = "a file" }) }),
    returns = "the text" }) }),
  max_tokens = 50,
})

-- a host that records what the guarded call received
local seen
local h = {
  guard = function(fn, r, prep) seen = r; return fn(r, prep) end,
  record = function() return true end, step = function() return 0 end,
  getenv = function() return nil end,
}
local c = assert(llm.new("none", h))
local r, msg, kind = c:chat(req)
assert(r == nil and kind == "none", msg)
assert(#ran == 0, "metamethods ran: " .. table.concat(ran, ", "))
-- only a copy went in: plain tables, no metatables, the same content
assert(not rawequal(seen, req) and getmetatable(seen) == nil and getmetatable(seen.messages) == nil)
assert(getmetatable(seen.messages[2].tool_calls[1].arguments) == nil)
assert(json.canonical(seen) == json.canonical({
  system = "sys", max_tokens = 50,
  messages = { { role = "user", content = "hi" },
               { role = "assistant", content = "", tool_calls = { { id = "c1", name = "Read File",
                 arguments = { file_name = "train.py", lines = { 1, 2 } } } } },
               { role = "tool", tool_call_id = "c1", content = "print(1)" } },
  tools = { { name = "Read File", description = "reads\nReturns: the text",
              parameters = { type = "object", required = { "file_name" },
                properties = { file_name = { type = "string", description = "a file" } } } } },
}), json.canonical(seen))

-- a request whose fields exist only behind __index is empty to the copy
ran = {}
local ok, err = pcall(c.chat, c, hostile({}))
assert(not ok and err:find("messages must be a non%-empty list") and #ran == 0, err)

-- misuse raises at the door, naming what is wrong
local function raises(rq, pat)
  local okk, e = pcall(c.chat, c, rq)
  assert(not okk and tostring(e):find(pat), tostring(e))
end
local U = { role = "user", content = "x" }
raises("hi", "expects a table")
raises({ messages = {} }, "non%-empty list")
raises({ messages = { { role = "user" } } }, "messages%[1%]%.content must be a string")
raises({ messages = { { role = "boss", content = "x" } } }, "role must be")
raises({ messages = { U }, max_tokens = 0 }, "max_tokens")
raises({ messages = { U }, max_tokens = 1.5 }, "max_tokens")
raises({ messages = { U }, stop = { 1 } }, "stop%[1%]")
raises({ messages = { U }, temperature = 0 / 0 }, "temperature")
raises({ messages = { { role = "tool", content = "x" } } }, "tool_call_id")
raises({ messages = { { role = "assistant", tool_calls = { { id = "a", name = "n", arguments = { f = print } } } } } },
  "JSON cannot write")
raises({ messages = { { role = "assistant", tool_calls = { { id = "a", name = "n", arguments = { 1, x = 2 } } } } } },
  "mixes list items")
raises({ messages = { U }, tools = { { name = "A" }, { name = "A" } } }, "new, non%-empty name")
raises({ messages = { U }, tools = { { name = "A", args = { { name = "n", type = "float" } } } } }, "type must be")
local deep = {}
local cur = deep
for _ = 1, 40 do cur.x = {}; cur = cur.x end
raises({ messages = { { role = "assistant", tool_calls = { { id = "a", name = "n", arguments = deep } } } } },
  "nested more than")
local loop = {}
loop.self = loop
raises({ messages = { { role = "assistant", tool_calls = { { id = "a", name = "n", arguments = loop } } } } },
  "nested more than")

-- past the size cap: a clear error the agent can act on, nothing recorded
local recorded = 0
h.record = function() recorded = recorded + 1; return true end
local big = string.rep("y", request.MAX_BYTES // 2 + 1)
local r2, m2, k2 = c:chat{ messages = { { role = "user", content = big }, { role = "user", content = big } } }
assert(r2 == nil and k2 == "bad_request" and m2:find("too large"), m2)
assert(recorded == 0)
local many = {}
for i = 1, request.MAX_ITEMS + 1 do many[i] = U end
r2, m2, k2 = c:chat{ messages = many }
assert(r2 == nil and k2 == "bad_request" and m2:find("too large"), m2)
-- within it, the call goes on (and is recorded)
assert(select(3, c:chat{ messages = { U } }) == "none" and recorded == 1)

-- an assistant message with tool calls may have no text: it becomes ""
local r3 = assert(request.copy({ messages = { { role = "assistant",
  tool_calls = { { id = "a", name = "n" } } } } }, 10))
assert(r3.messages[1].content == "" and next(r3.messages[1].tool_calls[1].arguments) == nil)
-- malformed arguments the model wrote go back as their raw text
r3 = assert(request.copy({ messages = { { role = "assistant",
  tool_calls = { { id = "a", name = "n", arguments = '{"x": ' } } } } }, 10))
assert(r3.messages[1].tool_calls[1].arguments == '{"x": ')
-- stop as one string; an empty list of tool calls or tools is none
r3 = assert(request.copy({ messages = { { role = "assistant", content = "t", tool_calls = {} } },
  stop = "END", tools = {} }, 10))
assert(r3.stop[1] == "END" and r3.messages[1].tool_calls == nil and r3.tools == nil)
print("llm_request_test: ok")
