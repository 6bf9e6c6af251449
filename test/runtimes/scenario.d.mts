// Types of scenario.mjs, for the TypeScript side of the suite.

/** The scenario's cases, in order. */
export declare const CASES: readonly string[];

export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

export declare function runScenario(
  authflow: Record<string, unknown>,
  config: { baseURL: string; closedURL: string; only?: string[]; caseMs?: number },
): Promise<ScenarioResult[]>;

export declare function describeError(error: unknown): string;

export declare function sharedClient(authflow: Record<string, unknown>, baseURL: string, scheme: string): unknown;

export declare const SHARED_PATHS: Readonly<Record<string, string>>;
