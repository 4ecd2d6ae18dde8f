task "sentiment" {
  category  = "canonical",
  metric    = { name = "accuracy", goal = "max" },
  baseline  = 0.69575,    -- measured: top-500 uni+bigram counts + DecisionTree(max_depth=6), seed 0
  noise     = 0.005,
}
