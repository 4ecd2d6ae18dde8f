-- research_retrieval.lua - the research agent with the Research Log (the
-- reference study's ablation): after every step the model summarises it
-- and the summary is appended to research_log.log (a step of its own);
-- from the fourth step on, the history part of the prompt begins with what
-- Retrieval from Research Log finds relevant to the current plan;
-- Reflection is shown.
return require("research").make({
  name = "research_retrieval",
  retrieval = true,
  retrieval_after = 3,
  reflection = true,
})
