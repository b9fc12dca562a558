// A program traced with the LangSmith JS SDK the ordinary way: runs go to LANGSMITH_ENDPOINT.
// otel-runs' tests run it against the fake LangSmith and against `otel-runs serve` (and record
// what it sends, for machines without node: see record.py). Nothing in it knows about otel-runs.
//
// It traces an agent twice in one thread (thread_id metadata), the second one slow so its post
// and its patch travel in different requests; inside, a chat model call reporting token usage,
// a tool that succeeds and one that throws, and a step with an attachment; then feedback on the
// first agent run.
import { Client } from "langsmith";
import { traceable, getCurrentRunTree } from "langsmith/traceable";

const client = new Client();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const USAGE = { input_tokens: 13, output_tokens: 4, total_tokens: 17 };
const PICTURE = new Uint8Array(Array.from({ length: 512 }, (_, i) => i % 256));

const chat = traceable(
  async (messages) => ({
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Sunny." } }],
    usage_metadata: USAGE,
    model: "gpt-4o-mini",
  }),
  {
    name: "chat",
    run_type: "llm",
    client,
    metadata: { ls_provider: "openai", ls_model_name: "gpt-4o-mini" },
  },
);

const weather = traceable(
  async (city) => {
    if (city === "Atlantis") throw new Error(`no weather station in ${city}`);
    return { forecast: `sunny in ${city}` };
  },
  { name: "weather", run_type: "tool", client },
);

const describe = traceable(
  async (photo, caption) => ({ bytes: photo.length, caption }),
  {
    name: "describe",
    client,
    extractAttachments: (photo, caption) => [{ photo: ["image/png", photo] }, { caption }],
  },
);

const firstRuns = [];

const agent = traceable(
  async (question, slow) => {
    firstRuns.push(getCurrentRunTree().id);
    if (slow) await sleep(1500);
    const reply = await chat([
      { role: "system", content: "Be brief." },
      { role: "user", content: question },
    ]);
    await weather("Paris");
    try {
      await weather("Atlantis");
    } catch {
      // the failing tool run is what is traced
    }
    await describe(PICTURE, "a map");
    return { answer: reply.choices[0].message.content };
  },
  { name: "agent", tags: ["js", "prod"], client, metadata: { thread_id: "js-thread" } },
);

await agent("weather in Paris?", false);
await client.createFeedback(firstRuns[0], "user_score", {
  score: 1,
  comment: "short and right",
  value: "good",
});
await agent("and tomorrow?", true);
await client.awaitPendingTraceBatches();
