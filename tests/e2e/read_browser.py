#!/usr/bin/python3
"""Open a page in Debian's headless Chromium and report what a user would see.

usage: read_browser.py PAGE.html SHOT.png STEPS.json

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, events on fd 4, NUL-separated
JSON), with a fresh profile and every background service off.  It loads
file://PAGE, then runs STEPS in order, each one of
  {"eval": "JS expression"}            the value is kept in "results"
  {"key": "j"}                         a key press (key down/up)
  {"type": "text", "into": "#q"}       focus the element, insert text
  {"wait": 0.3}                        seconds
  {"goto": "#step-3"}                  load PAGE#step-3
then writes a PNG screenshot to SHOT and prints one JSON object:
  {"results": [...], "console": [...], "exceptions": [...], "log": [...],
   "requests": [urls other than the page's own file], "load_s": seconds}
console holds console messages of level error or warning, log Chromium's
own log entries (a blocked fetch or a CSP violation shows there).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Browser:
    def __init__(self, profile):
        r_cmd, w_cmd = os.pipe()   # we write commands, chromium reads fd 3
        r_ev, w_ev = os.pipe()     # chromium writes fd 4, we read events
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps",
                "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"]

        def fds():
            # via fresh copies: a pipe end may already be fd 3 or 4, and
            # dup2 onto itself would keep it close-on-exec
            a, b = os.dup(r_cmd), os.dup(w_ev)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=open(os.environ.get("MLAB_CHROMIUM_LOG", os.devnull), "ab"),
                                     start_new_session=True)
        os.close(r_cmd)
        os.close(w_ev)
        self.w, self.r = w_cmd, r_ev
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read(60)
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def read(self, timeout):
        deadline = time.time() + timeout
        while b"\0" not in self.buf:
            import select
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no message from chromium")
            rl, _, _ = select.select([self.r], [], [], left)
            if rl:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            try:
                self.events.append(self.read(max(0.01, end - time.time())))
            except TimeoutError:
                break

    def wait_event(self, method, timeout):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            e = self.read(end - time.time())
            if e.get("method") == method:
                return e
            self.events.append(e)
        raise TimeoutError(method)

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def main():
    page, shot, steps_file = sys.argv[1], sys.argv[2], sys.argv[3]
    steps = json.load(open(steps_file))
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix="mlab-chromium-")
    b = Browser(profile)
    out = {"results": [], "console": [], "exceptions": [], "log": [], "requests": []}
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for d in ("Page", "Runtime", "Log", "Network"):
            b.send(d + ".enable", session=s)
        b.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900,
               "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.events.clear()
        t0 = time.time()
        b.send("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired", 120)
        b.send("Runtime.evaluate", {"expression": "document.readyState", "returnByValue": True}, session=s)
        out["load_s"] = time.time() - t0
        b.pump(0.5)

        def evaluate(expr):
            r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                            "awaitPromise": True}, session=s)
            if "exceptionDetails" in r:
                return {"exception": r["exceptionDetails"].get("text")}
            return r["result"].get("value")

        for st in steps:
            if "eval" in st:
                out["results"].append(evaluate(st["eval"]))
            elif "key" in st:
                k = st["key"]
                codes = {"ArrowRight": 39, "ArrowLeft": 37, "Enter": 13, "Escape": 27, "/": 191}
                vk = codes.get(k, ord(k.upper()) if len(k) == 1 else 0)
                base = {"key": k, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
                if len(k) == 1:
                    b.send("Input.dispatchKeyEvent", dict(base, type="keyDown", text=k), session=s)
                else:
                    b.send("Input.dispatchKeyEvent", dict(base, type="rawKeyDown"), session=s)
                b.send("Input.dispatchKeyEvent", dict(base, type="keyUp"), session=s)
                b.pump(0.15)
            elif "type" in st:
                evaluate("document.querySelector(%s).focus()" % json.dumps(st["into"]))
                b.send("Input.insertText", {"text": st["type"]}, session=s)
                b.pump(0.1)
            elif "wait" in st:
                b.pump(st["wait"])
            elif "goto" in st:
                b.send("Page.navigate", {"url": url + st["goto"]}, session=s)
                b.pump(0.5)
        b.pump(0.3)
        png = b.send("Page.captureScreenshot", {"format": "png"}, session=s)["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        for e in b.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out["console"].append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out["exceptions"].append(d.get("exception", {}).get("description") or d.get("text"))
            elif m == "Log.entryAdded":
                en = p.get("entry", {})
                out["log"].append("%s %s: %s %s" % (en.get("level"), en.get("source"), en.get("text"), en.get("url", "")))
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if u.split("#")[0] != url:
                    out["requests"].append(u)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
