#!/usr/bin/python3
"""Reproduce the model-free hill-climbing policy by hand: for each supervised
task, swap the starter's single `model = ...` line for each candidate model,
run the script, keep the best by its `validation <metric>:` line, and score
that one (and, for information, every candidate) with the task's evaluator.

usage: tests/tasks/swap_models.py [NAME...]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PY = "/usr/bin/python3"
CLF = [("from sklearn.linear_model import LogisticRegression", "LogisticRegression(max_iter=2000)"),
       ("from sklearn.ensemble import RandomForestClassifier", "RandomForestClassifier(n_estimators=300, random_state=0)"),
       ("from sklearn.ensemble import HistGradientBoostingClassifier", "HistGradientBoostingClassifier(random_state=0)"),
       ("from sklearn.svm import SVC", "SVC(C=10)"),
       ("from sklearn.neighbors import KNeighborsClassifier", "KNeighborsClassifier(n_neighbors=3)")]
REG = [("from sklearn.linear_model import Ridge", "Ridge(alpha=1.0)"),
       ("from sklearn.ensemble import RandomForestRegressor", "RandomForestRegressor(n_estimators=300, random_state=0)"),
       ("from sklearn.ensemble import HistGradientBoostingRegressor", "HistGradientBoostingRegressor(random_state=0)")]
SUPERVISED = ["digits", "sentiment", "citation-graph", "house-prices", "spaceship-titanic", "parkinsons", "scanner-shift"]


def lua(task, key):
    s = open(os.path.join(ROOT, "tasks", task, "task.lua")).read()
    m = re.search(r"^\s*%s\s*=\s*([^,\n]+)," % key, s, re.M)
    return m.group(1).strip().strip('"')


def main():
    tasks = sys.argv[1:] or SUPERVISED
    for task in tasks:
        d = os.path.join(ROOT, "tasks", task)
        goal = re.search(r'goal\s*=\s*"(\w+)"', open(os.path.join(d, "task.lua")).read()).group(1)
        baseline = float(lua(task, "baseline"))
        tmp = tempfile.mkdtemp(prefix="swap_%s." % task)
        pub, hid = os.path.join(tmp, "pub"), os.path.join(tmp, "hid")
        subprocess.run([PY, "prepare.py", pub, hid], cwd=d, check=True,
                       env=dict(os.environ, MLAB_TASK_SEED=lua(task, "seed")))
        starter = open(os.path.join(d, "env", "train.py")).read()
        lines = [i for i, l in enumerate(starter.splitlines()) if l.startswith("model = ")]
        assert len(lines) == 1, "%s: %d model lines" % (task, len(lines))
        cands = CLF if "Classifier" in starter or "SVC(" in starter or "LogisticRegression" in starter else REG
        results = []
        for imp, expr in cands:
            src = starter.splitlines()
            src[lines[0]] = "model = " + expr
            src.insert(lines[0], imp)
            ws = os.path.join(tmp, "ws_" + expr.split("(")[0])
            shutil.copytree(os.path.join(d, "env"), ws)
            shutil.copytree(pub, ws, dirs_exist_ok=True)
            open(os.path.join(ws, "train.py"), "w").write("\n".join(src) + "\n")
            r = subprocess.run([PY, "train.py"], cwd=ws, capture_output=True, text=True, timeout=600)
            m = re.search(r"^validation [^:]+:\s*([-0-9.eE]+)", r.stdout, re.M)
            if r.returncode != 0 or not m:
                print("  %-16s %-58s failed: %s" % (task, expr, (r.stderr.strip().splitlines() or ["?"])[-1]))
                continue
            e = subprocess.run([PY, "evaluate.py", ws, hid], cwd=d, capture_output=True, text=True)
            score = json.loads(e.stdout.strip().splitlines()[-1])["score"]
            results.append((float(m.group(1)), score, expr))
            print("  %-16s %-58s validation %.4f  test %.4f" % (task, expr, float(m.group(1)), score))
        best = (max if goal == "max" else min)(results, key=lambda t: t[0])
        imp = (best[1] - baseline) / abs(baseline) if goal == "max" else (baseline - best[1]) / abs(baseline)
        print("%s: policy picks %s (validation %.4f): test %.4f vs baseline %.4f -> improvement %+.1f%% %s"
              % (task, best[2], best[0], best[1], baseline, 100 * imp, "PAST THRESHOLD" if imp > 0.10 else "below threshold"))
        sys.stdout.flush()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
