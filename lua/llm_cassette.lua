--[[ llm_cassette.lua - recorded model calls answering again, for replay
(`--llm replay:RUN_OR_FILE`: every call, strictly in order) and for
resume (`mlab resume`: the calls made before the last complete step, then
the live model).

  local cassette = require("llm_cassette")
  local records, path = cassette.load(source, host)   -- or nil, message
  local tape = cassette.new(records, path, host)
  tape.pending()           records not yet used
  tape.last_call()         the highest call number recorded (0 if none)
  tape.take(canon, where)  the ONE comparison: the next record when its
                           request encodes to `canon`; else it raises, after
                           host.diverge(msg) (the host ends the run)
  cassette.reply(rec)      -> reply | nil, message, kind: the call's outcome
                           as the agent got it
  cassette.replay(tape, host, rec)   -> backend: every call from the tape,
                           each written again to this run's llm.jsonl
  cassette.resume(tape, live)        -> backend: the tape first (calls not
                           written or counted again), then `live`

A backend has prepare(r) (before the guarded call) and call(r, prep).
The records list is consumed in place (table.remove), so whoever shares
it (a resumed run's run.llm_prefix) sees what is left.  Requests compare
by json.canonical, so neither key order nor number formatting matters.
]]
local json = require("json")

local M = {}

M.SHOW = 4000 -- bytes of each request a divergence message shows

-- host.recording(source) finds and reads the records (rundir.recording
-- in a run: the only reader of run directories).
function M.load(source, host)
  if not host.recording then
    return nil, "replay needs host.recording"
  end
  return host.recording(source)
end

-- Where two encodings first differ, with a little context, so a reader
-- sees the divergence without diffing two long lines by eye.
local function first_difference(a, b)
  local n = math.min(#a, #b)
  local i = 1
  while i <= n and a:sub(i, i + 4095) == b:sub(i, i + 4095) do
    i = i + 4096
  end
  while i <= n and a:byte(i) == b:byte(i) do
    i = i + 1
  end
  local from = math.max(1, i - 40)
  return string.format("first difference at byte %d:\n  recorded: ...%s\n"
    .. "  now:      ...%s", i, a:sub(from, i + 40), b:sub(from, i + 40))
end

local function show(s)
  if #s <= M.SHOW then return s end
  return s:sub(1, M.SHOW) .. ("... [%d more bytes]"):format(#s - M.SHOW)
end

function M.new(records, path, host)
  local total, last = #records, 0
  for _, rec in ipairs(records) do
    local c = math.tointeger(rec.call)
    if c and c > last then last = c end
  end
  last = math.max(last, total)
  local used = 0
  local tape = { path = path }

  function tape.pending() return #records end
  function tape.last_call() return last end

  function tape.take(canon, where)
    local rec = records[1]
    if not rec then
      error(where .. " has no recorded reply: " .. path .. " holds " .. total
        .. " calls\n  request: " .. show(canon), 0)
    end
    local was = json.canonical(rec.request)
    if was ~= canon then
      local msg = where .. " differs from the recording in " .. path .. "\n"
        .. first_difference(was, canon) .. "\n  recorded request: " .. show(was)
        .. "\n  request now:      " .. show(canon)
      if host.diverge then host.diverge(msg) end
      error(msg, 0)
    end
    table.remove(records, 1)
    used = used + 1
    return rec
  end

  function tape.where(kind)
    local step = host.step and host.step() or nil
    return kind .. ": call " .. (used + 1) .. (step and (" (step " .. step .. ")") or "")
  end

  return tape
end

local function usage_of(u)
  if type(u) ~= "table" then return nil end
  return { prompt = math.tointeger(u.prompt) or 0,
           completion = math.tointeger(u.completion) or 0,
           estimated = u.estimated == true or nil }
end

function M.reply(rec)
  if type(rec.reply) == "string" and rec.error == nil then
    return { text = rec.reply, usage = usage_of(rec.usage),
             tool_calls = type(rec.tool_calls) == "table" and rec.tool_calls or nil }
  end
  -- A recording is read from disk: what reaches the agent is a string
  -- message and a known kind, whatever the file holds.
  local e = type(rec.error) == "table" and rec.error or {}
  local kind = type(e.kind) == "string" and e.kind:match("^[%w_]+$") and e.kind or "server"
  return nil, type(e.message) == "string" and e.message or "recorded call failed", kind
end

local function prepare(r)
  return { canon = json.canonical(r) }
end

function M.replay(tape, host, rec)
  return {
    prepare = prepare,
    call = function(_, prep)
      local where = tape.where("replay")
      local was = tape.take(prep.canon, where)
      local line = {}
      for k, v in pairs(was) do line[k] = v end
      line.step = host.step and host.step() or nil
      line.replayed_from = tape.path
      rec.write(line)
      local u = usage_of(was.usage)
      if u then host.tokens_add(u.prompt + u.completion) end
      return M.reply(was)
    end,
  }
end

function M.resume(tape, live)
  return {
    prepare = function(r)
      if tape.pending() > 0 then return prepare(r) end
      return live.prepare(r)
    end,
    call = function(r, prep)
      if tape.pending() == 0 then
        if not prep.body then prep = live.prepare(r) end
        return live.call(r, prep)
      end
      return M.reply(tape.take(prep.canon or json.canonical(r), tape.where("resume")))
    end,
  }
end

return M
