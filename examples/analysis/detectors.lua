--[[ detectors.lua - every failure-mode detector, in one call.

  local detectors = require("detectors")
  local labels = detectors.run(view [, categories])   -- view: fm_lib.view(run)
  detectors.ALL      -- category -> detector function

Labels come in the order of fm_lib.CATEGORIES, each detector's in step
order: the same run always gives the same list.
]]
local lib = require("fm_lib")

local M = {}

M.ALL = {
  hallucination = require("hallucination"),
  debugging_loop = require("debugging_loop"),
  context = require("context"),
  bad_plan = require("bad_plan"),
  environment = require("environment"),
}

function M.run(v, categories)
  local labels = {}
  for _, c in ipairs(categories or lib.CATEGORIES) do
    for _, l in ipairs(M.ALL[c](v)) do labels[#labels + 1] = l end
  end
  return labels
end

-- The categories a list of labels holds, as a set and a sorted list.
function M.categories(labels)
  local set, list = {}, {}
  for _, l in ipairs(labels) do
    if not set[l.category] then set[l.category] = true; list[#list + 1] = l.category end
  end
  table.sort(list)
  return set, list
end

return M
