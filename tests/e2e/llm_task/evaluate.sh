#!/bin/bash
# usage: evaluate.sh WORKSPACE HIDDEN; prints {"score": N}
n=$(grep -c '^ok: ' "$1/answer.txt" 2>/dev/null)
echo "{\"score\": $(( ${n:-0} + 1 ))}"
