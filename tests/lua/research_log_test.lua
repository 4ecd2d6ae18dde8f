-- stdlib/research_log.lua: entries, retrieval, prompts, compaction.
local rlog = require("research_log")

local log = ""
log = log .. rlog.entry(1, "[Action]: List Files\n[Observation]: train.py data/")
log = log .. rlog.entry(2, "[Action]: Execute Script train.py\n[Observation]: validation accuracy 0.63 with DecisionTree")
log = log .. rlog.entry(3, "[Action]: Understand File README\n[Observation]: images of handwritten digits")
log = log .. rlog.entry(4, "[Action]: Edit Script (AI) swap DecisionTree for SVC\n[Observation]: diff ok")
assert(log:find("^\n\nStep 1:\n%[Action%]: List Files"))
local es = rlog.entries(log)
assert(#es == 4 and es[2].step == 2 and es[2].text:find("accuracy 0.63"))

-- Retrieval keeps the entries that share words with the query, in order.
local r = rlog.relevant(log, "What accuracy did the DecisionTree get?", 200)
assert(r:find("Step 2:") and not r:find("Step 1:"), r)
r = rlog.relevant(log, "DecisionTree", 10000)
assert(select(2, r:gsub("Step %d:", "")) == 4)
local p2, p4 = r:find("Step 2:"), r:find("Step 4:")
assert(p2 < p4, "log order kept")
assert(rlog.relevant("", "x", 100) == "")

local rp = rlog.retrieval_prompt("improve digits", "1. try SVC", log)
assert(rp:find("improve digits") and rp:find("1%. try SVC") and rp:find("accuracy 0.63"))
local sp = rlog.summary_prompt("Thought: run it", "Execute Script", "accuracy 0.98")
assert(sp:find("Thought: run it") and sp:find("accuracy 0.98") and sp:find("%[Reasoning%]"))

-- Compaction: short logs stay; long ones fold the old entries into one.
assert(select(2, rlog.compact(log, 1e6)) == false)
local long = ""
for i = 1, 20 do long = long .. rlog.entry(i, ("result %d\n"):format(i) .. string.rep("detail ", 30)) end
local asked
local c, did = rlog.compact(long, 2000, function(p) asked = p; return "steps 1-17 tried trees" end)
assert(did and asked:find("result 1\n") and asked:find("result 17"))
assert(c:find("^Summary of steps 1%-17:\nsteps 1%-17 tried trees"), c)
assert(c:find("Step 18:") and c:find("Step 20:") and not c:find("Step 17:"))
assert(#rlog.entries(c) == 4)
-- Without a model: first lines only.
c = rlog.compact(long, 2000)
assert(c:find("step 1: result 1\nstep 2: result 2") and #c < #long)
print("research_log: ok")
