#!/usr/bin/env python3
"""make_seeds.py OUT [LLM_JSONL...] - candidate seeds for the fuzz targets.

Writes OUT/reply, OUT/task, OUT/cassette and OUT/http; docs/fuzzing.md shows
how they are merged (libFuzzer -merge=1) into the committed corpus under
tests/fuzz/corpus/, which keeps only the inputs that add coverage.

  reply     the real model replies of /work/shared/real-traces/replies.jsonl
            (MLAgentBench runs, see tests/fixtures/replies/) when present,
            and hand-written ones for ReAct and AutoGPT-style replies
  task      every tasks/*/task.lua and tests/fixtures/tasks/*/task.lua, and
            a few broken ones (tests/e2e/task_dsl_test.sh's kind of mistakes)
  cassette  the llm.jsonl files given (recordings of e2e runs) and hand-made
            lines: replies, recorded errors, usages, bad lines
  http      raw HTTP responses of OpenAI- and Anthropic-style servers: 200
            with and without usage, 429 with Retry-After in seconds and as a
            date, 5xx, 401, chunked bodies, wrong content types
"""
import glob
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLIES = "/work/shared/real-traces/replies.jsonl"


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def replies(out):
    if os.path.exists(REPLIES):
        for line in open(REPLIES, encoding="utf-8"):
            put(out, "reply", json.loads(line)["text"])
    put(out, "reply", "Thought: list the files\nAction: List Files\n"
        'Action Input: {"dir_path": "."}\nObservation: ...')
    put(out, "reply", "Thought: done\nFinal Answer: the accuracy is 0.93")
    put(out, "reply", json.dumps({
        "thoughts": {"text": "t", "reasoning": "r", "plan": "- a\n- b",
                     "criticism": "c", "speak": "s"},
        "command": {"name": "execute_script",
                    "args": {"script_name": "train.py"}}}))
    put(out, "reply", "**Action:** Edit Script (AI)\n**Action Input:** ```json\n"
        "{\n  \"script_name\": \"train.py\",\n  \"edit_instruction\": \"use "
        "\"\"\"triple\"\"\" quotes, True, None,\",\n  \"save_name\": "
        "'train.py',\n}\n```\n")


def tasks(out):
    for f in glob.glob(os.path.join(ROOT, "tasks/*/task.lua")) + \
            glob.glob(os.path.join(ROOT, "tests/fixtures/tasks/*/task.lua")):
        put(out, "task", open(f, "rb").read())
    good = ('task "t" {\n  category = "canonical",\n  problem = '
            '"research_problem.md",\n  metric = { name = "accuracy", goal = '
            '"max" },\n  evaluate = "evaluate.py",\n  starter = "train.py",\n}\n')
    put(out, "task", good)
    put(out, "task", good.replace('"max"', '"up"'))
    put(out, "task", good.replace("category", "categroy"))
    put(out, "task", good.replace('problem = "research_problem.md",', ""))
    put(out, "task", good + good)
    put(out, "task", good.replace('task "t"', 'task "a b"'))
    put(out, "task", 'local x = 1\n' + good.replace("}\n", '  prepare = '
        '"prepare.py", data = { "data/*" }, timeout = 60, memory_mb = 512,\n'
        '  seed = 3, noise = 0.01, baseline = 0.5, threshold = 0.2 }\n'))
    put(out, "task", "task = 1\n")
    put(out, "task", "print('x')\n")


def cassettes(out, files):
    for f in files:
        put(out, "cassette", open(f, "rb").read())
    req = {"max_tokens": 32, "messages": [{"content": "q", "role": "user"}],
           "system": "s", "temperature": 0}
    lines = [
        {"call": 1, "provider": "openai", "model": "m", "request": req,
         "reply": "alpha", "usage": {"prompt": 3, "completion": 1}},
        {"call": 2, "provider": "anthropic", "model": "m", "request": req,
         "error": {"kind": "rate_limit", "message": "429", "status": 429}},
        {"call": 3, "provider": "openai", "model": "m", "request": req,
         "reply": "\u00e9\u0000\ud83d\ude00", "usage": {"prompt": 0}},
    ]
    put(out, "cassette", "\n".join(json.dumps(l) for l in lines) + "\n")
    put(out, "cassette", json.dumps(lines[0]) + "\nnot json\n")
    put(out, "cassette", '{"request": []}\n')


def http(out):
    def resp(status, reason, body, ctype="application/json", extra=""):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                f"{extra}Content-Length: {len(body.encode())}\r\n\r\n{body}")
    openai = {"id": "x", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": "Thought: hi\nAction: List Files"}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5}}
    anthropic = {"type": "message", "content": [
        {"type": "text", "text": "Reflection: a"}, {"type": "text", "text": "b"}],
        "usage": {"input_tokens": 10, "output_tokens": 3,
                  "cache_read_input_tokens": 4}}
    put(out, "http", resp(200, "OK", openai))
    put(out, "http", resp(200, "OK", anthropic))
    put(out, "http", resp(200, "OK", {"choices": [{"message": {"content": "x"}}]}))
    put(out, "http", resp(429, "Too Many Requests",
                          {"error": {"message": "slow down"}},
                          extra="Retry-After: 1.5\r\n"))
    put(out, "http", resp(429, "Too Many Requests", "",
                          extra="Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"))
    put(out, "http", resp(503, "Service Unavailable", "<html>down</html>",
                          ctype="text/html"))
    put(out, "http", resp(401, "Unauthorized",
                          {"type": "error", "error": {"message": "bad key"}}))
    put(out, "http", resp(200, "OK", "not json"))
    put(out, "http", resp(200, "OK", openai, ctype="text/plain"))
    body = json.dumps(openai)
    put(out, "http", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
        f"{len(body):x}\r\n{body}\r\n0\r\n\r\n")
    put(out, "http", "HTTP/1.1 100 Continue\r\n\r\n" + resp(200, "OK", openai))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    replies(out)
    tasks(out)
    cassettes(out, sys.argv[2:])
    http(out)


if __name__ == "__main__":
    main()
