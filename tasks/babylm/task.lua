task "babylm" {
  category  = "research",
  metric    = { name = "bpc", goal = "min" },     -- held-out bits per character
  baseline  = 1.647718,   -- measured: character trigram with add-1 smoothing, seed 0
  noise     = 0.001,
  timeout   = 300,
}
