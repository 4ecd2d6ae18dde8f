#!/usr/bin/env bash
# The reply parser (stdlib/reply.lua) on a sample of real model replies from
# MLAgentBench runs (tests/fixtures/replies/, made by extract.py): replies
# the original agent accepted must give the action and arguments its trace
# shows; replies it rejected must give a precise reason.
source "$(dirname "$0")/lib.sh"
F="$MLAB_HOME/tests/fixtures/replies"
check "the sample parses as the original runs did" \
  sh -c "'$MLAB' test-lua '$F/check_replies.lua' > '$T/figures.txt' 2>&1"
cat "$T/figures.txt"
check "figures printed" grep -q "with the action the trace shows" "$T/figures.txt"
check "the sample holds both verdicts" sh -c "grep -q 'rejected by the original agent, precise error: [1-9]' '$T/figures.txt'"
finish
