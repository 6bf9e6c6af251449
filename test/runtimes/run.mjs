// Runs the scenario in a command-line runtime (Node, Deno, Bun):
//   <runtime> run.mjs <bundle file URL> '<config JSON>'
// and prints one line, `RESULTS <JSON>`, with the runtime's version and each case's result.
import { runScenario } from "./scenario.mjs";

const runtime = globalThis;
const args = runtime.Deno?.args ?? runtime.process.argv.slice(2);
const [bundle, configText] = args;
const authflow = await import(bundle);
const results = await runScenario(authflow, JSON.parse(configText));
console.log(`RESULTS ${JSON.stringify({ version: version(), results })}`);

function version() {
  if (runtime.Deno !== undefined) return runtime.Deno.version.deno;
  if (runtime.Bun !== undefined) return runtime.Bun.version;
  return runtime.process.versions.node;
}
