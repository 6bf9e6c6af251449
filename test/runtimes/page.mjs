// The scenario in a browser page: the API's base URL and the closed port's URL come in the page's query
// (`?api=…&closed=…`); the results land on `window.scenarioResults` for the driver to read.
import * as authflow from "./authflow.mjs";
import { describeError, runScenario } from "./scenario.mjs";

const query = new URLSearchParams(location.search);
try {
  const results = await runScenario(authflow, { baseURL: query.get("api"), closedURL: query.get("closed") });
  window.scenarioResults = { version: navigator.userAgent, results };
} catch (error) {
  window.scenarioResults = { version: navigator.userAgent, error: describeError(error) };
}
