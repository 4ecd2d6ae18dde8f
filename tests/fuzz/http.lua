-- Fuzz driver: an HTTP response, bytes as a server sent them, through the
-- model clients: libcurl and src/http.c (status, Content-Type,
-- Retry-After, the body), mlab.http.post, then lua/llm.lua's classifier
-- and the provider parsers (llm_openai.lua, llm_anthropic.lua `parse` of
-- the cjson-decoded body).  The harness's loopback server answers every
-- request with the input.  chat promises a reply or nil, message, kind:
-- a raise is a finding.  See fuzz_lua.c.
local llm = require("llm")
local http = require("mlab.http")
local json = require("json")

local KINDS = { budget = true, auth = true, rate_limit = true, server = true,
                timeout = true, bad_reply = true, bad_request = true }
local KEY = "sk-fuzz-0123456789abcdef"

local function count(v)
  return math.type(v) == "integer" and v >= 0
end

return function(data)
  fuzz.set_reply(data)
  for _, provider in ipairs({ "openai", "anthropic" }) do
    local host = {
      post = http.post,
      sleep = function() end,
      now = require("mlab.sys").mono,
      record = function(line)
        json.canonical(line)
        return true
      end,
      tokens_allow = function() return true end,
      tokens_add = function(n)
        if math.type(n) ~= "integer" or n < 0 then
          fuzz.fail("tokens_add(" .. tostring(n) .. ")")
        end
      end,
      getenv = function(k)
        if k:match("_API_KEY$") then return KEY end
      end,
      random = function() return 0.5 end,
    }
    local url = ("%s:m@http://127.0.0.1:%d/v1"):format(provider, fuzz.port)
    local client = assert(llm.new(url, host, { max_tries = 2, timeout = 5,
                                               connect_timeout = 2 }))
    local ok, r, msg, kind = pcall(client.chat, client,
      { messages = { { role = "user", content = "hi" } } })
    if not ok then
      if r == "not enough memory" then return end
      fuzz.fail(provider .. ": chat raised: " .. tostring(r))
    end
    if r == nil then
      if type(msg) ~= "string" or not KINDS[kind] then
        fuzz.fail(provider .. ": nil without a message and a known kind: "
          .. tostring(msg) .. " / " .. tostring(kind))
      end
    elseif type(r.text) ~= "string" or type(r.usage) ~= "table"
        or not count(r.usage.prompt) or not count(r.usage.completion) then
      fuzz.fail(provider .. ": a reply without text or usage counts")
    end
  end
end
