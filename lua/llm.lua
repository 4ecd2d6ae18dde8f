--[[ llm.lua - the model client a run hands its agent as ctx.llm.

  local llm = require("llm")
  local client, err = llm.new("openai:gpt-4o-mini", host [, opts])
  local fast = client:fast()    -- the fast-model role (opts.fast; else the same model)
  local reply, msg, kind = client:chat{ messages = {...}, system = "...",
                                        max_tokens = 512, temperature = 0,
                                        stop = {"\nObservation:"},
                                        tools = ctx.actions:specs() }
  -- reply = { text = "...", usage = { prompt = n, completion = n },
  --           tool_calls = { { id, name, arguments [, error] } } | nil }
  -- kind  = "budget" | "auth" | "rate_limit" | "server" | "timeout"
  --       | "bad_reply" | "bad_request" | "none"
  llm.parse_spec(text) -> spec | nil, msg      llm.public_spec(text) -> text
  llm.defaults                                  (MLAB_LLM_* override them)

Specs: openai:MODEL[@URL], anthropic:MODEL[@URL], replay:RUN_OR_FILE, none.
The message and tool-call forms are in llm_request.lua and docs/models.md.

The parts, one concern each:
  llm_request.lua    the agent's request, copied raw and bounded, in the
                     neutral form; token estimates
  llm_http.lua       a live call: retries, backoff, classification
  llm_provider.lua   what the wire formats share (URLs, tool ids, arguments)
  llm_openai.lua, llm_anthropic.lua   the two wire formats
  llm_cassette.lua   recorded calls answering again (replay, resume)
  llm_record.lua     the llm.jsonl line: call numbers, redaction

`host` is what the run glue (llm_run.lua) passes in, so no module here
needs a run:
  post(url, headers, body, opts)  -> status, body, info | nil, msg, kind
        mlab.http.post: info = {retry_after, content_type, elapsed};
        kind "timeout" | "connect" | "error"; may raise the budget table
  sleep(seconds)                  backoff wait (mlab.sys.sleep); raises the
                                  budget error when time runs out or a
                                  signal (SIGINT/SIGTERM) cuts it short
  now()                           monotonic seconds (mlab.sys.mono)
  record(line)                    appends the table as one JSON line to
        llm.jsonl, durably (json.canonical gives the bytes); true | nil, msg
  tokens_allow(n)                 true | nil, msg  (budget_tokens_allow)
  tokens_add(n)                   counts provider usage (budget_tokens_add)
  getenv(name)                    API keys and MLAB_LLM_* defaults
Optional:
  guard(fn, ...)                  runs each call (mlab.run critical in a run)
  time_left()                     seconds the run has left: no retry at 0
  random()                        [0, 1) for jitter (default math.random)
  step()                          current step number, named in records
  recording(source)               records, path | nil, msg: a recorded
        llm.jsonl for replay:SOURCE (rundir.recording in a run)
  prefix                          a resumed run's records made before its
                                  last complete step (consumed in place)
  diverge(msg)                    a replayed call differs: end the run
  warn(line)                      one line for the user (stderr)

Each chat() copies and checks the agent's request first, with raw reads
only and outside `guard`; only the copy enters the guarded call, which
sends it (or answers it from a recording) and records it.
]]
local request = require("llm_request")
local record = require("llm_record")
local cassette = require("llm_cassette")
local llm_http = require("llm_http")

local providers = {
  openai = require("llm_openai"),
  anthropic = require("llm_anthropic"),
}

local M = {}

M.defaults = {
  max_tries = 4,         -- MLAB_LLM_MAX_TRIES: attempts per call
  timeout = 120,         -- MLAB_LLM_TIMEOUT: seconds per attempt
  connect_timeout = 10,  -- MLAB_LLM_CONNECT_TIMEOUT
  backoff = 1,           -- MLAB_LLM_BACKOFF: first retry delay, seconds
  backoff_max = 30,      -- MLAB_LLM_BACKOFF_MAX
  max_retry_after = 120, -- MLAB_LLM_MAX_RETRY_AFTER: longer waits give up
  max_tokens = 1024,     -- MLAB_LLM_MAX_TOKENS: per call when not given
}

---------------------------------------------------------------------------
-- Specs

-- { provider, model, url } | { provider = "replay", source } |
-- { provider = "none" } ; or nil, msg
function M.parse_spec(spec)
  if type(spec) ~= "string" or spec == "" or spec == "none" then
    return { provider = "none" }
  end
  local provider, rest = spec:match("^(%a+):(.*)$")
  if not provider then
    return nil, "bad --llm spec '" .. spec .. "': expected openai:MODEL"
      .. "[@URL], anthropic:MODEL[@URL], replay:RUN_OR_FILE or none"
  end
  if provider == "replay" then
    if rest == "" then
      return nil, "bad --llm spec '" .. spec .. "': replay needs a run or file"
    end
    return { provider = "replay", source = rest }
  end
  if not providers[provider] then
    return nil, "bad --llm spec '" .. spec .. "': unknown provider '"
      .. provider .. "' (openai, anthropic, replay, none)"
  end
  -- Model names may hold ':' and '@' (Ollama's "llama3:8b"); the URL is
  -- what follows the last "@http".
  local model, url = rest:match("^(.-)@(https?://.+)$")
  model = model or rest
  if model == "" then
    return nil, "bad --llm spec '" .. spec .. "': no model name"
  end
  return { provider = provider, model = model, url = url }
end

-- The spec as it may be written to run.json: no credentials in the URL.
function M.public_spec(spec)
  local s = M.parse_spec(spec)
  if s and s.url then
    return s.provider .. ":" .. s.model .. "@" .. llm_http.strip_url(s.url)
  end
  return spec
end

local function config(host, opts)
  local cfg = {}
  for k, v in pairs(M.defaults) do
    local env = host.getenv and host.getenv("MLAB_LLM_" .. k:upper())
    cfg[k] = (opts and opts[k]) or tonumber(env or "") or v
  end
  cfg.max_tries = math.max(1, math.floor(cfg.max_tries))
  return cfg
end

---------------------------------------------------------------------------
-- The client object

-- Hides state from agents: the object has no fields but its methods, so
-- an agent cannot reach host.post or host.tokens_add through it.  The
-- request is copied (raw reads, bounded) before host.guard is entered:
-- inside it the deadline hook is held off so the call is recorded whole,
-- and only the copy, never the agent's own tables, goes in.
local function object(host, backend, cfg, provider, model, fast)
  local guard = host.guard
  local self_obj
  local methods = {
    fast = function() return fast or self_obj end,
    chat = function(_, req)
      local r, err, why = request.copy(req, cfg.max_tokens)
      if not r then
        if why == "misuse" then error(err, 2) end
        return nil, err, "bad_request"
      end
      local prep = backend.prepare(r)
      if guard then
        return guard(backend.call, r, prep)
      end
      return backend.call(r, prep)
    end,
    provider = provider,
    model = model,
  }
  self_obj = setmetatable({}, {
    __index = methods,
    __newindex = function()
      error("the llm client is read-only", 2)
    end,
    __metatable = false,
  })
  return self_obj
end

local NONE = "no language model: this run uses --llm none"

local function none_backend(host, rec)
  return {
    prepare = function() return {} end,
    call = function(r)
      rec.write({ call = rec.next(), step = host.step and host.step() or nil,
                  provider = "none", request = r,
                  error = { kind = "none", message = NONE } })
      return nil, NONE, "none"
    end,
  }
end

-- The backend of one spec (live, replay or none) writing through rec.
local function backend_of(spec, host, cfg, rec)
  if spec.provider == "none" then
    return none_backend(host, rec), "none"
  elseif spec.provider == "replay" then
    local records, path = cassette.load(spec.source, host)
    if not records then
      return nil, path
    end
    local b = cassette.replay(cassette.new(records, path, host), host, rec)
    return b, records[1] and records[1].provider or "replay", records[1] and records[1].model
  end
  local p = providers[spec.provider]
  local key = host.getenv(p.key_env)
  if key == "" then
    key = nil
  end
  local live, lerr = llm_http.new(spec, host, cfg, p, key, rec)
  if not live then
    return nil, lerr
  end
  return live, p.name, spec.model
end

-- The secrets of a live spec (its API key) and the note for a placeholder.
local function secrets_of(spec, host)
  local p = spec and providers[spec.provider]
  if not p then return {}, nil end
  local key = host.getenv(p.key_env)
  return record.secrets(key ~= "" and key or nil, p.key_env)
end

-- opts.fast: the spec of the fast-model role (summaries, the reference's
-- "fast model"); client:fast() is its client.  Both roles share one
-- numbering of calls in llm.jsonl (the fast role's lines say
-- role = "fast"), and a replay or resume answers both from one recording
-- in call order; without opts.fast, client:fast() asks the same model.
function M.new(spec_text, host, opts)
  local spec, err = M.parse_spec(spec_text)
  if not spec then
    return nil, err
  end
  local fast_spec
  if opts and opts.fast and opts.fast ~= "" then
    fast_spec, err = M.parse_spec(opts.fast)
    if not fast_spec then return nil, (err:gsub("%-%-llm spec", "--llm-fast spec")) end
    if fast_spec.provider == "replay" then
      return nil, "--llm-fast cannot be a replay: --llm replay:RUN answers both roles"
    end
    if spec.provider == "replay" or fast_spec.provider == "none" then fast_spec = nil end
  end
  local cfg = config(host, opts)
  -- A resumed run answers its first calls from its own records; new calls
  -- are numbered after them.
  local tape, first = nil, 0
  if host.prefix and #host.prefix > 0 then
    tape = cassette.new(host.prefix, "the recording of this run", host)
    first = tape.last_call()
  end
  local secrets, note = secrets_of(spec, host)
  local fsecrets, fnote = secrets_of(fast_spec, host)
  for _, k in ipairs(fsecrets) do secrets[#secrets + 1] = k end
  local rec = record.new(host, secrets, first)
  local frec = { next = rec.next, message = rec.message,
                 write = function(line) line.role = "fast"; rec.write(line) end }
  local backend, provider, model = backend_of(spec, host, cfg, rec)
  if not backend then
    return nil, provider
  end
  for _, n in ipairs({ note, fnote }) do
    if n and host.warn then host.warn(n) end
  end
  local fbackend, fprovider, fmodel
  if fast_spec then
    fbackend, fprovider, fmodel = backend_of(fast_spec, host, cfg, frec)
    if not fbackend then return nil, fprovider end
  elseif spec.provider == "replay" then
    fbackend, fprovider, fmodel = backend, provider, model
  else
    fbackend, fprovider, fmodel = backend_of(spec, host, cfg, frec)
  end
  if tape then
    backend = cassette.resume(tape, backend)
    fbackend = cassette.resume(tape, fbackend)
  end
  local fast = object(host, fbackend, cfg, fprovider, fmodel)
  return object(host, backend, cfg, provider, model, fast)
end

return M
