-- stdlib/history.lua: keeping a conversation inside a context window.
local history = require("history")

-- history.last
local l = history.last({ 1, 2, 3, 4, 5 }, 3)
assert(#l == 3 and l[1] == 3 and l[3] == 5)
assert(#history.last({ 1 }, 3) == 1)

-- history.fit: everything when it fits.
local msgs = { { role = "system", content = "You are an agent." },
               { role = "user", content = "Task: improve train.py" } }
for i = 1, 40 do
  msgs[#msgs + 1] = { role = "assistant", content = ("reply %d "):format(i) .. string.rep("word ", 40) }
  msgs[#msgs + 1] = { role = "user", content = ("observation %d "):format(i) .. string.rep("data ", 40) }
end
local kept, dropped = history.fit(msgs, 1e9)
assert(#kept == #msgs and dropped == 0)
-- A tight window keeps system + task + the newest turns and says so.
kept, dropped = history.fit(msgs, 500)
assert(history.estimate(kept) <= 500, history.estimate(kept))
assert(dropped > 0 and kept[1] == msgs[1] and kept[2] == msgs[2])
assert(kept[3].content:find(dropped .. " earlier messages left out", 1, true), kept[3].content)
assert(kept[#kept] == msgs[#msgs])
-- The kept tail starts on a user turn (turns alternate after the note).
assert(kept[4].role == "user", kept[4].role)
assert(#kept - 3 + dropped == #msgs - 2)
kept = history.fit(msgs, 500, { keep_first = 1, note = "(%d cut)" })
assert(kept[1] == msgs[1] and kept[2].content:match("^%(%d+ cut%)$"))
print("history: ok")
