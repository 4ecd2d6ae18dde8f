-- Fuzz driver: a recorded run's files, as lua/rundir.lua reads them, and
-- an llm.jsonl through the replay client.  The input is written as the
-- run's llm.jsonl, trace.jsonl and run.json; then
--   rundir.recording(path) through require("llm").new("replay:" .. path,
--   host) (host.recording is rundir.recording, as in a run), and each
--   recorded request asked back in order, so recorded replies, usages,
--   tool calls and errors are read too;
--   rd:calls(), rd:steps(), rd:manifest(), rd:status() (mlab log, show,
--   resume, runs read a run this way).
-- llm.new promises a client or nil, message; the rundir readers stop at a
-- bad line; neither may raise.  chat raises by design when a request
-- differs from the recording, so its raises are not findings.  See
-- fuzz_lua.c.
local llm = require("llm")
local rundir = require("rundir")
local json = require("json")
local sys = require("mlab.sys")

local dir = fuzz.tmp .. "/run"
assert(sys.mkdir_p(dir))
local rd = rundir.at(dir)

local function write(path, data)
  local h = assert(io.open(path, "wb"))
  h:write(data)
  h:close()
end

local function no_raise(what, ok, err)
  if not ok and err ~= "not enough memory" then
    fuzz.fail(what .. " raised: " .. tostring(err))
  end
end

return function(data)
  write(rd.paths.llm, data)
  write(rd.paths.trace, data)
  write(rd.paths.manifest, data)
  no_raise("rd:calls", pcall(rd.calls, rd))
  no_raise("rd:steps", pcall(rd.steps, rd))
  no_raise("rd:manifest", pcall(rd.manifest, rd))
  no_raise("rd:status", pcall(rd.status, rd))

  local replay_host = {
    recording = function(source) return rundir.recording(source) end,
    record = function(line)
      json.canonical(line)
      return true
    end,
    tokens_allow = function() return true end,
    tokens_add = function() end,
    now = function() return 0 end,
    getenv = function() return nil end,
    warn = function() end,
  }
  local ok, client, err = pcall(llm.new, "replay:" .. rd.paths.llm, replay_host)
  no_raise("llm.new", ok, client)
  if not ok then return end
  if not client then
    if type(err) ~= "string" then fuzz.fail("llm.new: nil without a message") end
    return
  end
  local okr, records = pcall(rundir.recording, rd.paths.llm)
  no_raise("rundir.recording", okr, records)
  for _, rec in ipairs(okr and records or {}) do
    local okc, r = pcall(client.chat, client, rec.request)
    if not okc then break end
    -- A recorded error comes back as recorded (its message and kind are
    -- not checked: docs/fuzzing.md, known findings); a reply has text.
    if r ~= nil and type(r.text) ~= "string" then
      fuzz.fail("chat: a reply without text")
    end
  end
end
