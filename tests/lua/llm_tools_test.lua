-- mlab-test: host-modules
-- Native tool calls: tool ids, both wire formats both ways, malformed
-- arguments.
local cjson = require("cjson")
local json = require("json")
local request = require("llm_request")
local base = require("llm_provider")
local openai = require("llm_openai")
local anthropic = require("llm_anthropic")

-- ids: valid function names, stable, distinct, mapped back
assert(base.tool_id("Edit Script (AI)") == "Edit_Script_AI")
assert(base.tool_id("Edit Script Segment (AI)") == "Edit_Script_Segment_AI")
assert(base.tool_id("Retrieval from Research Log") == "Retrieval_from_Research_Log")
assert(base.tool_id("read_file") == "read_file" and base.tool_id("(*)") == "tool")
assert(#base.tool_id(string.rep("a b ", 40)) == 64)
local specs = {
  { name = "Read File", description = "Use this to read an existing file.",
    args = { { name = "file_name", type = "string", description = "a file name" } },
    returns = "the contents of the file" },
  { name = "Inspect Script Lines", description = "Lines of a script.",
    args = { { name = "script_name", type = "string", description = "a script" },
             { name = "start_line_number", type = "integer", description = "first" },
             { name = "end_line_number", type = "integer", description = "last", optional = true } } },
  { name = "Read-File", description = "a clash" },
  { name = "Final Answer", args = {} },
}
local function req(messages)
  return assert(request.copy({ messages = messages, tools = specs, max_tokens = 100 }, 10))
end
local names = base.tool_names(req({ { role = "user", content = "go" } }))
assert(names.wire("Read File") == "Read_File" and names.wire("Read-File") == "Read-File")
assert(names.name("Read_File") == "Read File" and names.name("Inspect_Script_Lines") == "Inspect Script Lines")
assert(names.name("unknown_tool") == "unknown_tool" and names.wire("unknown_tool") == "unknown_tool")
local clash = base.tool_names({ tools = { { name = "a b" }, { name = "a_b" }, { name = "a (b)" } } })
assert(clash.wire("a b") == "a_b" and clash.wire("a_b") == "a_b_2" and clash.wire("a (b)") == "a_b_3")

-- a conversation with tool calls and results, in the neutral form
local conv = req({
  { role = "user", content = "improve train.py" },
  { role = "assistant", content = "", tool_calls = {
    { id = "call_1", name = "Read File", arguments = { file_name = "train.py" } },
    { id = "call_2", name = "Inspect Script Lines", arguments = { script_name = "train.py", start_line_number = 1 } } } },
  { role = "tool", tool_call_id = "call_1", content = "import numpy" },
  { role = "tool", tool_call_id = "call_2", content = "no such file", is_error = true },
  { role = "user", content = "go on" },
  { role = "assistant", content = "Done.", tool_calls = {
    { id = "call_3", name = "Final Answer", arguments = '{"final_answer": "x"' } } },
  { role = "tool", tool_call_id = "call_3", content = "bad arguments" },
})

-- OpenAI: tools as functions; assistant tool_calls with JSON text; role tool
local b = openai.body("m", conv)
assert(#b.tools == 4 and b.tools[1].type == "function")
local f = b.tools[2]["function"]
assert(f.name == "Inspect_Script_Lines" and f.description == "Lines of a script.")
assert(json.canonical(f.parameters) == '{"properties":{"end_line_number":{"description":"last","type":"integer"},'
  .. '"script_name":{"description":"a script","type":"string"},"start_line_number":{"description":"first",'
  .. '"type":"integer"}},"required":["script_name","start_line_number"],"type":"object"}', json.canonical(f.parameters))
assert(b.tools[1]["function"].description == "Use this to read an existing file.\nReturns: the contents of the file")
assert(json.canonical(b.tools[4]["function"].parameters) == '{"properties":{},"type":"object"}')
local a = b.messages[2]
assert(a.role == "assistant" and a.content == json.null and #a.tool_calls == 2)
assert(a.tool_calls[1].id == "call_1" and a.tool_calls[1].type == "function")
assert(a.tool_calls[1]["function"].name == "Read_File")
assert(a.tool_calls[1]["function"].arguments == '{"file_name":"train.py"}')
assert(b.messages[3].role == "tool" and b.messages[3].tool_call_id == "call_1" and b.messages[3].content == "import numpy")
assert(b.messages[4].role == "tool" and b.messages[4].is_error == nil)
assert(b.messages[5].role == "user" and b.messages[6].content == "Done.")
assert(b.messages[6].tool_calls[1]["function"].arguments == '{"final_answer": "x"', "raw text goes back as it was")
-- the wire body encodes (null content included)
assert(json.canonical(b):find('"content":null', 1, true))

-- Anthropic: tools with input_schema; tool_use blocks; results grouped in
-- one user message, a following user text joining it after them
local ab = anthropic.body("m", conv)
assert(ab.tools[1].name == "Read_File" and ab.tools[1].input_schema.type == "object")
assert(#ab.messages == 5, #ab.messages)
local as = ab.messages[2]
assert(as.role == "assistant" and #as.content == 2 and as.content[1].type == "tool_use")
assert(as.content[1].id == "call_1" and as.content[1].name == "Read_File" and as.content[1].input.file_name == "train.py")
local res = ab.messages[3]
assert(res.role == "user" and #res.content == 3)
assert(res.content[1].type == "tool_result" and res.content[1].tool_use_id == "call_1" and res.content[1].content == "import numpy")
assert(res.content[2].is_error == true and res.content[1].is_error == nil)
assert(res.content[3].type == "text" and res.content[3].text == "go on")
local last = ab.messages[4]
assert(last.role == "assistant" and last.content[1].type == "text" and last.content[1].text == "Done.")
assert(last.content[2].type == "tool_use" and next(last.content[2].input) == nil, "malformed input goes back empty")
-- a tool result after an assistant message starts a user message
assert(ab.messages[5].role == "user" and ab.messages[5].content[1].tool_use_id == "call_3")
local ab2 = anthropic.body("m", req({ { role = "user", content = "x" },
  { role = "assistant", content = "", tool_calls = { { id = "t1", name = "Read File", arguments = {} } } },
  { role = "tool", tool_call_id = "t1", content = "r" } }))
assert(ab2.messages[3].role == "user" and ab2.messages[3].content[1].tool_use_id == "t1")

-- parsing OpenAI tool calls: names mapped back, arguments decoded, the
-- malformed ones kept as text with an error, content null allowed
local r0 = req({ { role = "user", content = "go" } })
local out = assert(openai.parse(cjson.decode([[{"choices":[{"message":{"role":"assistant","content":null,
  "tool_calls":[
   {"id":"call_a","type":"function","function":{"name":"Read_File","arguments":"{\"file_name\": \"train.py\"}"}},
   {"id":"call_b","type":"function","function":{"name":"Inspect_Script_Lines","arguments":"{\"script_name\": \"train.py\", "}},
   {"id":"call_c","type":"function","function":{"name":"Final_Answer","arguments":""}},
   {"type":"function","function":{"name":"Made_Up","arguments":"[1, 2]"}}]},
  "finish_reason":"tool_calls"}]}]]), r0))
assert(out.text == "" and #out.tool_calls == 4)
local c1, c2, c3, c4 = table.unpack(out.tool_calls)
assert(c1.id == "call_a" and c1.name == "Read File" and c1.arguments.file_name == "train.py" and c1.error == nil)
assert(c2.name == "Inspect Script Lines" and c2.arguments == '{"script_name": "train.py", ' and c2.error:find("not valid JSON"))
assert(c3.name == "Final Answer" and type(c3.arguments) == "table" and next(c3.arguments) == nil)
assert(c4.id == "call_4" and c4.name == "Made_Up" and c4.error:find("not a JSON object"))
-- some servers send arguments already decoded
out = assert(openai.parse({ choices = { { message = { content = "t", tool_calls = {
  { id = "x", ["function"] = { name = "Read_File", arguments = { file_name = "a" } } } } } } } }, r0))
assert(out.text == "t" and out.tool_calls[1].arguments.file_name == "a")
assert(select(2, openai.parse({ choices = { { message = { tool_calls = { { id = "x" } } } } } }, r0)):find("no function name"))

-- parsing Anthropic tool_use blocks
out = assert(anthropic.parse(cjson.decode([[{"type":"message","role":"assistant","content":[
  {"type":"text","text":"Let me look."},
  {"type":"tool_use","id":"toolu_1","name":"Read_File","input":{"file_name":"train.py"}},
  {"type":"tool_use","id":"toolu_2","name":"Final_Answer","input":"{\"final_answer\": "}],
  "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}}]]), r0))
assert(out.text == "Let me look." and #out.tool_calls == 2)
assert(out.tool_calls[1].id == "toolu_1" and out.tool_calls[1].name == "Read File")
assert(out.tool_calls[1].arguments.file_name == "train.py")
assert(out.tool_calls[2].name == "Final Answer" and out.tool_calls[2].arguments == '{"final_answer": '
  and out.tool_calls[2].error:find("not a JSON object"))
print("llm_tools_test: ok")
