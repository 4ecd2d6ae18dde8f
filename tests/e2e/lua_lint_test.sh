#!/usr/bin/env bash
# Every Lua file of mlab passes the linter (luacheck, Debian's lua-check,
# with the committed .luacheckrc): undefined or misspelt globals, unused
# variables and values, shadowing, unreachable code, overlong lines.  The
# check can fail: a planted undefined global is found.
source "$(dirname "$0")/lib.sh"
cd "$MLAB_HOME"
command -v luacheck > /dev/null || { echo "luacheck missing: scripts/setup.sh installs lua-check" >&2; exit 1; }
luacheck --no-color -q lua stdlib agents examples tasks tests > "$T/lint.out" 2>&1 && rc=0 || rc=$?
check "luacheck finds nothing: $(grep -E '^\s+\S+:[0-9]+' "$T/lint.out" | head -n 20)" test "$rc" = 0
mkdir -p "$T/lua" && printf 'local M = {}\nfunction M.f() return undefind_name end\nreturn M\n' > "$T/lua/x.lua"
check "the linter finds a planted undefined global" sh -c \
  "cd '$T' && ! luacheck --config '$MLAB_HOME/.luacheckrc' --no-color -q lua > '$T/plant.out' 2>&1 && grep -q undefind_name '$T/plant.out'"
finish
