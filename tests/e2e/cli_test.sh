#!/usr/bin/env bash
# The help tells the truth: every command it lists exists and has its own
# help, and every command (lua/cmd/NAME.lua) is listed; bad usage exits 2
# with a message.
source "$(dirname "$0")/lib.sh"
mlab --help > "$T/help"
check "--help exits 0" test -s "$T/help"
for c in $(awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}' "$T/help"); do
  mlab "$c" --help > "$T/h.$c"
  check "help lists $c and it has usage" grep -q "^usage: mlab $c" "$T/h.$c"
done
check "help lists at least 9 commands" test "$(ls "$T" | grep -c '^h\.')" -ge 9
for f in "$MLAB_HOME"/lua/cmd/*.lua; do
  c=$(basename "$f" .lua)
  check "help lists the command $c" grep -q "^  $c " "$T/help"
done
# Every option a command accepts (its option table in lua/cmd/NAME.lua) is
# in its --help: --NAME, or -q / -v for quiet and verbose.
check "every command's --help names every option it accepts" "$PY" - "$MLAB_HOME" "$T" <<'PY'
import glob, os, re, sys
home, t = sys.argv[1], sys.argv[2]
missing = []
for f in sorted(glob.glob(home + "/lua/cmd/*.lua")):
    c = os.path.basename(f)[:-4]
    src = open(f).read()
    keys = set(re.findall(r'\["([a-z][a-z0-9-]*)"\]\s*=\s*"(?:value|flag)"', src))
    keys |= set(re.findall(r'\b([a-z][a-z0-9_]*)\s*=\s*"(?:value|flag)"', src))
    h = open("%s/h.%s" % (t, c)).read()
    short = {"quiet": "-q", "verbose": "-v"}
    for k in sorted(keys):
        if len(k) > 1 and k != "help" and "--" + k not in h and short.get(k, "--" + k) not in h:
            missing.append("%s --%s" % (c, k))
assert not missing, missing
PY
for opt in --agent --llm --max-steps --max-time --max-tokens --runs-dir; do
  check "run --help documents $opt" grep -q -- "$opt" "$T/h.run"
done
set +e
mlab frobnicate 2> "$T/e1"; c1=$?
mlab run 2> "$T/e2"; c2=$?
mlab run digits --max-steps lots 2> "$T/e3"; c3=$?
mlab run digits --bogus 2> "$T/e4"; c4=$?
mlab log nope --runs-dir "$RUNS" 2> "$T/e5"; c5=$?
set -e
check "unknown command: exit 2" test $c1 -eq 2
check "unknown command: says so" grep -q "unknown command 'frobnicate'" "$T/e1"
check "run without task: exit 2" test $c2 -eq 2
check "bad number: exit 2 and names the option" sh -c "test $c3 -eq 2 && grep -q -- '--max-steps' '$T/e3'"
check "unknown option: exit 2" sh -c "test $c4 -eq 2 && grep -q -- 'unknown option --bogus' '$T/e4'"
check "unknown run: exit 2" sh -c "test $c5 -eq 2 && grep -q \"no run 'nope'\" '$T/e5'"
mlab tasks > "$T/tasks"
check "tasks lists digits" grep -q "^digits .*canonical .*accuracy (max)" "$T/tasks"
check "--version" sh -c "'$MLAB' --version | grep -q '^mlab [0-9]'"
finish
