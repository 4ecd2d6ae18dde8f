#!/usr/bin/python3
"""Turns the real MLAgentBench logs into Lua data for compare_prompts.lua.

  cases.py [--src DIR] OUT_DIR

DIR holds the logs: either the xz-compressed copy in
tests/fixtures/real_traces/ (the default) or the original folder layout
(runs.jsonl, replies.jsonl, prompts.jsonl, traces/*.trace.json).  OUT_DIR
gets one Lua module per run (case_N.lua) and cases.lua, the list of them:

  { run_key, model, task, problem, max_steps, agent_max_steps, max_retries,
    actions = { {name, description, returns, args = {{name, description}}} },
    steps = { {name, args_json, observation, t} },      -- trace.json "steps"
    reads = { {file_name, observation, t} },             -- low-level Read File
    replies = { {turn, attempt, step, text, verdict} },  -- replies.jsonl
    expected = { {kind, step, call, turn, attempt, source, prompt, reply} } }

Strings are written with escapes (a Lua long string would turn "\\r\\n"
into "\\n").
"""
import argparse
import json
import lzma
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "real_traces")


def lua_str(s):
    if s is None:
        return "nil"
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif o < 32 or o == 127:
            out.append("\\%03d" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def lua(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return lua_str(v)
    if isinstance(v, list):
        return "{" + ",".join(lua(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ",".join("[%s]=%s" % (lua_str(k), lua(x)) for k, x in v.items()) + "}"
    raise TypeError(type(v))


def load(src):
    def lines(name):
        p = os.path.join(src, name)
        if os.path.exists(p + ".xz"):
            text = lzma.decompress(open(p + ".xz", "rb").read()).decode("utf-8")
        else:
            text = open(p, encoding="utf-8").read()
        return [json.loads(l) for l in text.splitlines() if l.strip()]
    runs, replies, prompts = lines("runs.jsonl"), lines("replies.jsonl"), lines("prompts.jsonl")
    p = os.path.join(src, "traces.json.xz")
    if os.path.exists(p):
        traces = json.loads(lzma.decompress(open(p, "rb").read()).decode("utf-8"))
    else:
        traces = {}
        for r in runs:
            traces[r["run_key"]] = json.load(open(os.path.join(src, "traces", r["trace_file"].split("/")[-1])))
    return runs, replies, prompts, traces


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=FIXTURE)
    ap.add_argument("out")
    a = ap.parse_args()
    runs, replies, prompts, traces = load(a.src)
    os.makedirs(a.out, exist_ok=True)
    names = []
    for n, r in enumerate(runs):
        key = r["run_key"]
        if r.get("note"):
            continue  # cifar10__codellama__1 repeats __0 (its replies are not in replies.jsonl)
        t = traces[key]
        actions = []
        for name, info in t["action_infos"].items():
            actions.append({"name": name, "description": info["description"], "returns": info["return_value"],
                            "args": [{"name": k, "description": v} for k, v in info["usage"].items()]})
        steps = [{"name": s["action"]["name"], "args_json": json.dumps(s["action"]["args"]),
                  "observation": s["observation"] if isinstance(s["observation"], str) else json.dumps(s["observation"]),
                  "t": s["timestamp"]} for s in t["steps"]]
        reads = [{"file_name": s["action"]["args"].get("file_name"), "observation": s["observation"],
                  "t": s["timestamp"]}
                 for s in t["low_level_steps"]
                 if s["action"]["name"] == "Read File" and isinstance(s["observation"], str)]
        reps = [{"turn": x["turn"], "attempt": x["attempt"], "step": x["step"], "text": x["text"],
                 "verdict": x["agent_verdict"]} for x in replies if x["run_key"] == key]
        exp = [{k: x.get(k) for k in ("kind", "step", "call", "turn", "attempt", "source", "prompt", "reply")}
               for x in prompts if x["run_key"] == key]
        case = {"run_key": key, "model": r["model"], "task": r["task"], "problem": t["task_description"],
                "max_steps": r["max_steps"], "agent_max_steps": r["agent_max_steps"],
                "max_retries": r["max_retries"], "actions": actions, "steps": steps, "reads": reads,
                "replies": reps, "expected": exp}
        mod = "case_%d" % n
        with open(os.path.join(a.out, mod + ".lua"), "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write("return " + lua(case) + "\n")
        names.append(mod)
    with open(os.path.join(a.out, "cases.lua"), "w") as f:
        f.write("return " + lua(names) + "\n")


if __name__ == "__main__":
    main()
