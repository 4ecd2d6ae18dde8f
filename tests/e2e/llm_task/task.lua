-- A task for the model e2e tests: instant to prepare and to score.  The
-- score is the number of lines in answer.txt that start with "ok: ".
task "llm_echo" {
  category  = "canonical",
  problem   = "research_problem.md",
  metric    = { name = "answers", goal = "max" },
  evaluate  = "evaluate.sh",
  starter   = "start.sh",
  threshold = 0.10,
  timeout   = 30,
}
