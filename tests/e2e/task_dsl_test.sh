#!/usr/bin/env bash
# Broken task files get a clear error naming the file and line, and no run.
source "$(dirname "$0")/lib.sh"

# broken NAME BODY EXPECTED: a task folder whose task.lua is BODY.
broken() {
  local d="$T/tasks/$1"; mkdir -p "$d/env"
  printf '%s\n' "$2" > "$d/task.lua"
  echo "problem" > "$d/research_problem.md"
  echo 'print("{\"score\": 1}")' > "$d/evaluate.py"
  local code=0
  "$MLAB" run "$d" --runs-dir "$RUNS" -q > "$T/$1.out" 2> "$T/$1.err" || code=$?
  check "$1: exit status 2" test "$code" -eq 2
  check "$1: error says '$3'" grep -qF -- "$3" "$T/$1.err"
}

good='task "t" {
  category = "research",
  problem = "research_problem.md",
  metric = { name = "x", goal = "max" },
  evaluate = "evaluate.py",
  starter = "run.py",'
broken missing 'task "t" {
  category = "research",
  problem = "research_problem.md",
  evaluate = "evaluate.py",
  starter = "run.py",
}' "task.lua:1: task 't': missing required key 'metric'"
broken wrongtype "$good
  timeout = \"ten\",
}" "'timeout' must be a number, not a string"
broken unknown "$good
  treshold = 0.1,
}" "unknown key 'treshold'"
broken badgoal 'task "t" {
  category = "research",
  problem = "research_problem.md",
  metric = { name = "x", goal = "up" },
  evaluate = "evaluate.py",
  starter = "run.py",
}' "'metric' needs goal = \"max\" or \"min\""
broken syntax "$good
  timeout = ,
}" "task.lua:7:"
broken category "${good/research/fancy}
}" "'category' must be canonical, kaggle or research"
broken nofile "${good/evaluate.py/nothere.py}
}" "evaluate file 'nothere.py' does not exist"
broken global 'os.execute("touch pwned")' "unknown name 'os'"
check "a task file cannot run code" test ! -e pwned
check "no run directory was made" test ! -e "$RUNS"
"$MLAB" run no-such-task --runs-dir "$RUNS" -q 2> "$T/unknown.err" || true
check "unknown task named" grep -q "unknown task 'no-such-task'" "$T/unknown.err"
broken loop 'while true do end' "task.lua: the task file runs too long"
finish
