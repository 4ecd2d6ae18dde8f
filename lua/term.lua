--[[ term.lua - text made safe for a terminal.

  io.stderr:write(term.visible(text))

Scripts and models write arbitrary bytes; ESC, BEL and the other control
bytes would act on the user's terminal (colours, titles, a cleared
screen).  visible() keeps newlines and tabs and writes every other control
byte (0x00-0x1f, 0x7f) as \xNN.
]]
local M = {}

function M.visible(s)
  return (tostring(s):gsub("[\0-\8\11-\31\127]", function(c)
    return ("\\x%02x"):format(c:byte())
  end))
end

return M
