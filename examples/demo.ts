// `authflow demo` as a program: starts the test server on a free port and runs
// the seed's scenarios (Basic, Digest, Bearer, OAuth 2.0 client credentials)
// end to end. `npm run demo` runs the same thing through the CLI.
import { runDemo } from "../src/cli/demo.js";

const passed = await runDemo({ out: (line) => console.log(line) });
process.exitCode = passed ? 0 : 1;
