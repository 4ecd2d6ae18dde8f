-- research_retrieval.lua - the reference's research agent with the research
-- log (MLAgentBench's --retrieval; the fork whose logs tests/fidelity/
-- checks ran this way): after every step the fast model summarises it
-- ("[Reasoning]: ... [Action]: ... [Observation]: ...") and the summary is
-- appended to research_log.log as a step of its own; from the fifth turn
-- on, the prompt opens the history with what Retrieval from Research Log
-- returns (asked with an empty plan, as the reference did); Reflection
-- is shown.
return require("research").make({
  name = "research_retrieval",
  retrieval = true,
})
