-- stdlib/diff.lua: unified diffs, checked against what `diff -u` prints.
local diff = require("diff")

assert(diff.unified("a\nb\n", "a\nb\n") == "")
local old = "import x\nmodel = Tree(max_depth=4)\nmodel.fit(X, y)\nprint(1)\n"
local new = "import x\nfrom sklearn.svm import SVC\nmodel = SVC()\nmodel.fit(X, y)\nprint(1)\n"
local d = diff.unified(old, new, { from = "train.py", to = "train.py" })
assert(d == [[
--- train.py
+++ train.py
@@ -1,4 +1,5 @@
 import x
-model = Tree(max_depth=4)
+from sklearn.svm import SVC
+model = SVC()
 model.fit(X, y)
 print(1)
]], d)

-- Far-apart changes give separate hunks with 3 lines of context.
local a, b = {}, {}
for i = 1, 30 do a[i] = "line " .. i; b[i] = "line " .. i end
b[2] = "changed 2"; b[28] = "changed 28"
d = diff.unified(table.concat(a, "\n") .. "\n", table.concat(b, "\n") .. "\n")
local hunks = {}
for h in d:gmatch("@@ [^\n]* @@") do hunks[#hunks + 1] = h end
assert(#hunks == 2 and hunks[1] == "@@ -1,5 +1,5 @@" and hunks[2] == "@@ -25,6 +25,6 @@", d)
-- New file and emptied file.
assert(diff.unified("", "x\ny\n") == "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n")
assert(diff.unified("x\n", "") == "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n")
-- Last line without a newline still counts.
assert(#diff.lines("a\nb") == 2 and diff.lines("a\nb")[2] == "b")
print("diff: ok")
