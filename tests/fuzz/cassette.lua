-- Fuzz driver: an llm.jsonl recording through the replay client, by the
-- entry that stays stable while lua/llm.lua is split into modules:
-- require("llm").new("replay:" .. path, host) with host.read_file.  Each
-- recorded request is then asked back in order, so the recorded replies,
-- usages and errors are read too.  llm.new promises a client or nil,
-- message; chat raises by design when a request differs from the
-- recording, so only llm.new's raises are findings.  See fuzz_lua.c.
local llm = require("llm")
local cjson = require("cjson")

return function(data)
  local host = {
    read_file = function(path)
      if path == "rec.jsonl" then return data end
      return nil, "no such file"
    end,
    record = function(line)
      llm.encode(line)
      return true
    end,
    tokens_allow = function() return true end,
    tokens_add = function() end,
    now = function() return 0 end,
    getenv = function() return nil end,
  }
  local ok, client, err = pcall(llm.new, "replay:rec.jsonl", host)
  if not ok then
    if client == "not enough memory" then return end
    fuzz.fail("llm.new raised on a recording: " .. tostring(client))
  end
  if not client then
    if type(err) ~= "string" then fuzz.fail("llm.new: nil without a message") end
    return
  end
  for l in data:gmatch("[^\n]+") do
    local okd, rec = pcall(cjson.decode, l)
    local req = okd and type(rec) == "table" and rec.request
    if type(req) ~= "table" then break end
    local okc, r = pcall(client.chat, client, req)
    if not okc then break end
    -- A recorded error comes back as recorded (its message and kind are
    -- not checked: docs/fuzzing.md, known findings); a reply has text.
    if r ~= nil and type(r.text) ~= "string" then
      fuzz.fail("chat: a reply without text")
    end
  end
end
