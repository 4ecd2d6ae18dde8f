#!/usr/bin/python3
"""A scripted language-model server for mlab's tests (stdlib only).

Speaks two wire formats on 127.0.0.1:
  POST /v1/chat/completions   OpenAI chat completions
  POST /v1/messages           Anthropic Messages API
(any path ending in /chat/completions or /messages is accepted, so a base
URL like http://127.0.0.1:PORT/v1 or .../openai/v1 both work).

Usage:
  model_server.py --script FILE --port-file FILE [--log FILE]
                  [--idle SECONDS] [--require-key KEY]

The port (chosen by the kernel) is written to --port-file once the server
listens.  Every request is appended to --log as one JSON line: its index,
path, the headers that matter (content-type, anthropic-version, and which
auth scheme was used -- never the key itself), the parsed body, and the
script entry that answered it.  The server exits by itself after --idle
seconds without a request (default 60), so no test can leave it behind.

Script file (JSON): either a list of entries (answered in order) or
  {"replies": [entry, ...],           answered in order, one per request
   "rules":   [entry + "match", ...], a rule answers when "match" is a
                                      substring of the last user message;
                                      "times": N limits how often
   "default": entry}                  when nothing else applies
Rules are tried first, then the next reply, then the default; with none
left the server answers 500 "script exhausted".  "The last user message"
includes tool results (OpenAI role "tool" messages, Anthropic tool_result
blocks), so a rule can answer an observation.

An entry:
  {"text": "reply text",              or "blocks": ["a", "b"] (Anthropic
                                      content blocks; joined for OpenAI)
   "tool_calls": [{"name": "Read_File", "arguments": {...}},
                  {"name": "X", "arguments_raw": "{not json"}],
                                      native tool calls (function calling /
                                      tool_use blocks) beside the text; ids
                                      are call_N_I / toolu_N_I; arguments_raw
                                      is sent as written (OpenAI's arguments
                                      text; Anthropic's input, as a string)
   "usage": {"prompt": P, "completion": C},   default: len/4 estimates
   "fault": NAME, ...}

Requests are checked as the real APIs check them (a 400 otherwise): tool
names must match ^[a-zA-Z0-9_-]{1,64}$ with an object schema; OpenAI
assistant tool_calls carry string arguments and every call is answered
by role "tool" messages before the conversation goes on; Anthropic
tool_use blocks are answered by tool_result blocks, first in the next
user message.
Faults:
  rate_limit          429 with Retry-After (entry "retry_after", default 1)
  server_error        500            unavailable   503
  overloaded          529 (Anthropic's overload status)
  stall               sleep "stall_s" (default 30) then answer normally
  malformed           200, JSON that does not parse
  truncated           200, Content-Length of the whole body, half sent
  wrong_content_type  200, text/html page
  no_usage            200, a normal reply without its usage object
  auth                401
  status              any "status" with the format's error body
"""

import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Script:
    """The scripted answers; one lock so concurrent requests stay ordered."""

    def __init__(self, data):
        if isinstance(data, list):
            data = {"replies": data}
        self.replies = list(data.get("replies", []))
        self.rules = list(data.get("rules", []))
        self.default = data.get("default")
        self.used = [0] * len(self.rules)
        self.lock = threading.Lock()
        self.count = 0

    def next(self, last_user):
        with self.lock:
            self.count += 1
            n = self.count
            for i, rule in enumerate(self.rules):
                limit = rule.get("times")
                if limit is not None and self.used[i] >= limit:
                    continue
                if rule.get("match", "") in last_user:
                    self.used[i] += 1
                    return n, rule
            if self.replies:
                return n, self.replies.pop(0)
            return n, self.default


def text_of(content):
    """Text of a message's content: a string or a list of blocks (text,
    and the content of tool_result blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for b in content:
            if not isinstance(b, dict):
                continue
            if b.get("type") == "tool_result":
                parts.append(text_of(b.get("content")))
            else:
                parts.append(b.get("text", ""))
        return "".join(parts)
    return ""


TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check_tools(fmt, tools):
    if tools is None:
        return None
    if not isinstance(tools, list) or not tools:
        return "tools: a non-empty list is required"
    for i, t in enumerate(tools):
        if not isinstance(t, dict):
            return "tools.%d: an object is required" % i
        if fmt == "openai":
            if t.get("type") != "function" or not isinstance(t.get("function"), dict):
                return "tools.%d: type function with a function object" % i
            name, schema = t["function"].get("name"), t["function"].get("parameters")
        else:
            name, schema = t.get("name"), t.get("input_schema")
        if not isinstance(name, str) or not TOOL_NAME.match(name):
            return "tools.%d.name: %r does not match ^[a-zA-Z0-9_-]{1,64}$" % (i, name)
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return "tools.%d: the schema must be an object schema" % i
    return None


def check_openai_tools(msgs):
    """Every assistant tool call answered by role tool messages next."""
    waiting = []
    for i, m in enumerate(msgs):
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            return "messages.%d: unknown role %r" % (i, role)
        if role == "tool":
            if m.get("tool_call_id") not in waiting:
                return "messages.%d: tool message answers no pending tool call" % i
            waiting.remove(m["tool_call_id"])
            if not isinstance(m.get("content"), str):
                return "messages.%d: tool content must be a string" % i
            continue
        if waiting:
            return "messages.%d: tool calls %s were not answered" % (i, waiting)
        if role == "assistant" and m.get("tool_calls") is not None:
            for c in m["tool_calls"]:
                fn = c.get("function") if isinstance(c, dict) else None
                if not isinstance(c.get("id"), str) or c.get("type") != "function" \
                        or not isinstance(fn, dict) or not isinstance(fn.get("name"), str) \
                        or not isinstance(fn.get("arguments"), str):
                    return "messages.%d: malformed tool_calls entry" % i
                waiting.append(c["id"])
            if m.get("content") is not None and not isinstance(m["content"], str):
                return "messages.%d: content must be a string or null" % i
        elif not isinstance(m.get("content"), str):
            return "messages.%d: content must be a string" % i
    return None


def check_anthropic_tools(msgs):
    """tool_use blocks answered by tool_result blocks first in the next
    user message."""
    waiting = []
    for i, m in enumerate(msgs):
        content = m.get("content")
        blocks = content if isinstance(content, list) else []
        if not isinstance(content, (str, list)):
            return "messages.%d: content must be a string or blocks" % i
        if waiting:
            if m.get("role") != "user":
                return "messages.%d: tool_use ids %s need tool_result blocks next" % (i, waiting)
            seen_text = False
            for b in blocks:
                if b.get("type") == "tool_result":
                    if seen_text:
                        return "messages.%d: tool_result blocks must come first" % i
                    if b.get("tool_use_id") not in waiting:
                        return "messages.%d: unexpected tool_use_id %r" % (i, b.get("tool_use_id"))
                    waiting.remove(b["tool_use_id"])
                else:
                    seen_text = True
            if waiting:
                return "messages.%d: tool_use ids %s were not answered" % (i, waiting)
            continue
        for b in blocks:
            if not isinstance(b, dict) or b.get("type") not in ("text", "tool_use", "tool_result"):
                return "messages.%d: unknown content block" % i
            if b["type"] == "tool_result":
                return "messages.%d: tool_result answers no tool_use" % i
            if b["type"] == "tool_use":
                if m.get("role") != "assistant" or not isinstance(b.get("id"), str) \
                        or not isinstance(b.get("input"), dict):
                    return "messages.%d: malformed tool_use block" % i
                waiting.append(b["id"])
    return None


def estimate(text):
    return len(text) // 4 + 1


class Handler(BaseHTTPRequestHandler):
    server_version = "mlab-model-server/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # -- helpers ---------------------------------------------------------
    def send(self, status, body, ctype="application/json", headers=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(self, fmt, status, message, headers=None):
        kinds = {400: "invalid_request_error", 401: "authentication_error",
                 404: "not_found_error", 429: "rate_limit_error",
                 529: "overloaded_error"}
        kind = kinds.get(status, "api_error")
        if fmt == "anthropic":
            body = {"type": "error",
                    "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind,
                              "param": None, "code": None}}
        self.send(status, json.dumps(body), headers=headers)

    def log_request_line(self, entry):
        srv = self.server
        with srv.log_lock:
            srv.last_seen = time.monotonic()
            if not srv.log_path:
                return
            with open(srv.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    # -- the one endpoint ------------------------------------------------
    def do_POST(self):
        srv = self.server
        srv.last_seen = time.monotonic()
        if self.path.endswith("/chat/completions"):
            fmt = "openai"
        elif self.path.endswith("/messages"):
            fmt = "anthropic"
        else:
            self.error("openai", 404, "no such endpoint: " + self.path)
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        auth = None
        key = None
        if self.headers.get("Authorization"):
            auth = "bearer"
            key = self.headers["Authorization"].removeprefix("Bearer ")
        elif self.headers.get("x-api-key"):
            auth = "x-api-key"
            key = self.headers["x-api-key"]
        record = {"path": self.path, "format": fmt, "auth": auth,
                  "content_type": self.headers.get("Content-Type"),
                  "anthropic_version": self.headers.get("anthropic-version")}
        try:
            body = json.loads(raw)
        except ValueError:
            record["body_raw"] = raw.decode("utf-8", "replace")
            self.log_request_line(record)
            self.error(fmt, 400, "request body is not JSON")
            return
        record["body"] = body
        problem = self.check(fmt, body)
        last_user = ""
        for m in body.get("messages") or []:
            if isinstance(m, dict) and m.get("role") in ("user", "tool"):
                last_user = text_of(m.get("content"))
        n, entry = srv.script.next(last_user)
        record["n"] = n
        record["entry"] = entry
        self.log_request_line(record)
        if problem:
            self.error(fmt, 400, problem)
            return
        if srv.require_key is not None and key != srv.require_key:
            # Echoes the key, as OpenAI's 401 does: clients must redact it.
            self.error(fmt, 401, "Incorrect API key provided: %s" % key)
            return
        if entry is None:
            self.error(fmt, 500, "script exhausted at request %d" % n)
            return
        self.answer(fmt, body, entry)

    def check(self, fmt, body):
        """What a real server would reject, so wire-shape bugs show up."""
        if not isinstance(body.get("model"), str):
            return "model: a string is required"
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            return "messages: a non-empty list is required"
        if self.headers.get("Content-Type", "").split(";")[0] \
                != "application/json":
            return "content-type must be application/json"
        if any(not isinstance(m, dict) for m in msgs):
            return "messages: objects are required"
        problem = check_tools(fmt, body.get("tools"))
        if problem:
            return problem
        if fmt == "anthropic":
            if not self.headers.get("anthropic-version"):
                return "anthropic-version header is required"
            if not isinstance(body.get("max_tokens"), int):
                return "max_tokens: an integer is required"
            for m in msgs:
                if m.get("role") not in ("user", "assistant"):
                    return "messages: roles must be user or assistant"
            return check_anthropic_tools(msgs)
        return check_openai_tools(msgs)

    def answer(self, fmt, body, entry):
        fault = entry.get("fault")
        if fault == "rate_limit":
            ra = str(entry.get("retry_after", 1))
            self.error(fmt, 429, "rate limited", {"Retry-After": ra})
            return
        if fault in ("server_error", "unavailable", "overloaded", "auth",
                     "status"):
            status = {"server_error": 500, "unavailable": 503,
                      "overloaded": 529, "auth": 401}.get(fault) \
                or int(entry.get("status", 500))
            headers = {}
            if "retry_after" in entry:
                headers["Retry-After"] = str(entry["retry_after"])
            self.error(fmt, status, entry.get("message", fault), headers)
            return
        if fault == "stall":
            time.sleep(float(entry.get("stall_s", 30)))
        if fault == "malformed":
            self.send(200, '{"id": "x", "choices": [ {"message": ')
            return
        if fault == "wrong_content_type":
            self.send(200, "<html><body>502 Bad Gateway</body></html>",
                      ctype="text/html")
            return
        reply = self.reply_body(fmt, body, entry, fault != "no_usage")
        data = json.dumps(reply).encode()
        if fault == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send(200, data)

    def reply_body(self, fmt, body, entry, with_usage):
        blocks = entry.get("blocks")
        text = "".join(blocks) if blocks is not None else entry.get("text", "")
        prompt_text = text_of(body.get("system")) + "".join(
            text_of(m.get("content")) for m in body["messages"])
        usage = entry.get("usage") or {}
        p = int(usage.get("prompt", estimate(prompt_text)))
        c = int(usage.get("completion", estimate(text)))
        model = body["model"]
        n = self.server.script.count
        calls = entry.get("tool_calls") or []
        if fmt == "anthropic":
            content = [{"type": "text", "text": b} for b in (blocks or [text])
                       if b or not calls]
            for i, call in enumerate(calls):
                content.append({"type": "tool_use", "id": "toolu_%06d_%d" % (n, i),
                                "name": call["name"],
                                "input": call["arguments_raw"] if "arguments_raw" in call
                                else call.get("arguments", {})})
            reply = {"id": "msg_%06d" % n,
                     "type": "message", "role": "assistant", "model": model,
                     "content": content,
                     "stop_reason": "tool_use" if calls else "end_turn",
                     "stop_sequence": None}
            if with_usage:
                reply["usage"] = {"input_tokens": p, "output_tokens": c}
        else:
            message = {"role": "assistant", "content": text or (None if calls else "")}
            if calls:
                message["tool_calls"] = [
                    {"id": "call_%06d_%d" % (n, i), "type": "function",
                     "function": {"name": call["name"],
                                  "arguments": call["arguments_raw"] if "arguments_raw" in call
                                  else json.dumps(call.get("arguments", {}))}}
                    for i, call in enumerate(calls)]
            reply = {"id": "chatcmpl-%06d" % n,
                     "object": "chat.completion", "created": 1700000000,
                     "model": model,
                     "choices": [{"index": 0,
                                  "finish_reason": "tool_calls" if calls else "stop",
                                  "message": message}]}
            if with_usage:
                reply["usage"] = {"prompt_tokens": p, "completion_tokens": c,
                                  "total_tokens": p + c}
        return reply


def watchdog(srv, idle):
    """Exit the whole process after idle seconds without a request."""
    while True:
        time.sleep(0.2)
        if time.monotonic() - srv.last_seen > idle:
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(description="scripted model server")
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--idle", type=float, default=60.0)
    ap.add_argument("--require-key")
    args = ap.parse_args()

    with open(args.script) as f:
        script = Script(json.load(f))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.script = script
    srv.log_path = args.log
    srv.log_lock = threading.Lock()
    srv.require_key = args.require_key
    srv.last_seen = time.monotonic()
    threading.Thread(target=watchdog, args=(srv, args.idle),
                     daemon=True).start()
    # Written whole, then renamed: a reader never sees a partial port.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
