/**
 * Turns the rounds into figures: a summary per scenario, the ratios the
 * targets are stated in, markdown tables, bench/results.json and a
 * hand-written SVG chart.
 */
import type { Measurement } from "./measure.js";
import { median } from "./measure.js";
import {
  BOUND_OF,
  CLIENT,
  CLIENT_NO_TIMEOUT,
  FETCH_INTERCEPTOR,
  INTERCEPTOR,
  type Role,
  type Scheme,
  WITH_AUTH,
} from "./scenarios.js";

export interface Summary {
  readonly scheme: Scheme;
  readonly name: string;
  readonly role: Role;
  /** Median over rounds, requests per second. */
  readonly throughput: number;
  /** Each round's requests per second. */
  readonly rounds: readonly number[];
  /** Medians over rounds, milliseconds. */
  readonly p50: number;
  readonly p99: number;
  /** Requests the server counted per request, over every round. */
  readonly roundTrips: number;
  /** Median over rounds: CPU time of the client process per request, microseconds. */
  readonly cpuMicros: number;
  /** Each round's client CPU µs per request. */
  readonly cpuRounds: readonly number[];
  readonly errors: number;
  readonly firstError: string | undefined;
}

export interface TargetResult {
  readonly target: string;
  readonly value: number;
  /** The same ratio in client CPU per request (bound's ÷ contender's, median of the rounds), where it applies. */
  readonly cpuValue?: number;
  /** The lowest and highest of the rounds' ratios: how far one round can stray. */
  readonly spread?: readonly [number, number];
  readonly threshold: string;
  readonly met: boolean;
}

export function summarise(
  scenario: { scheme: Scheme; name: string; role: Role },
  measurements: readonly Measurement[],
): Summary {
  const completed = measurements.reduce((sum, each) => sum + each.completed + each.errors, 0);
  const served = measurements.reduce((sum, each) => sum + each.roundTrips * (each.completed + each.errors), 0);
  return {
    ...scenario,
    throughput: median(measurements.map((each) => each.throughput)),
    rounds: measurements.map((each) => each.throughput),
    p50: median(measurements.map((each) => each.p50)),
    p99: median(measurements.map((each) => each.p99)),
    roundTrips: served / completed,
    cpuMicros: median(measurements.map((each) => each.cpuMicros)),
    cpuRounds: measurements.map((each) => each.cpuMicros),
    errors: measurements.reduce((sum, each) => sum + each.errors, 0),
    firstError: measurements.find((each) => each.firstError !== undefined)?.firstError,
  };
}

function find(summaries: readonly Summary[], scheme: Scheme, name: string): Summary | undefined {
  return summaries.find((each) => each.scheme === scheme && each.name === name);
}

/**
 * `top` ÷ `bottom` as the median of the rounds' ratios: the two were measured
 * one after the other in each round, so a noisy stretch of time affects both.
 */
export function pairedRatio(top: Summary, bottom: Summary): number {
  return roundRatio(top.rounds, bottom.rounds);
}

/** The median of `top[i] ÷ bottom[i]` over the rounds both have. */
function roundRatio(top: readonly number[], bottom: readonly number[]): number {
  return median(roundRatios(top, bottom));
}

function roundRatios(top: readonly number[], bottom: readonly number[]): number[] {
  const count = Math.min(top.length, bottom.length);
  const ratios: number[] = [];
  for (let round = 0; round < count; round++) ratios.push((top[round] as number) / (bottom[round] as number));
  return ratios;
}

/** The targets of issue 7, as ratios within this run. */
export function evaluateTargets(summaries: readonly Summary[]): TargetResult[] {
  const results: TargetResult[] = [];
  const ratio = (scheme: Scheme, name: string, over: string, threshold: number, label: string) => {
    const top = find(summaries, scheme, name);
    const bottom = find(summaries, scheme, over);
    if (top === undefined || bottom === undefined) return;
    const value = pairedRatio(top, bottom);
    // Less CPU per request is faster: the bound's figure over the contender's.
    const cpuValue = roundRatio(bottom.cpuRounds, top.cpuRounds);
    const ratios = roundRatios(top.rounds, bottom.rounds);
    const spread: [number, number] = [Math.min(...ratios), Math.max(...ratios)];
    results.push({
      target: label,
      value,
      cpuValue,
      spread,
      threshold: `≥ ${threshold.toFixed(2)}`,
      met: value >= threshold,
    });
  };
  for (const scheme of ["Basic", "Bearer", "Digest"] as const) {
    const threshold = scheme === "Digest" ? 0.85 : 0.9;
    ratio(
      scheme,
      INTERCEPTOR,
      BOUND_OF[INTERCEPTOR] as string,
      threshold,
      `${scheme}: interceptor ÷ raw undici.request`,
    );
  }
  for (const scheme of ["Basic", "Bearer", "Digest", "OAuth 2.0"] as const) {
    for (const door of [CLIENT, CLIENT_NO_TIMEOUT, WITH_AUTH, FETCH_INTERCEPTOR])
      ratio(scheme, door, BOUND_OF[door] as string, 0.95, `${scheme}: ${door} ÷ ${BOUND_OF[door]}`);
  }
  // The same comparison with every scheme's rounds pooled: the cost a front door adds over the fetch it
  // wraps does not depend on the scheme, and four times the round pairs give a steadier median on a noisy machine.
  for (const door of [CLIENT, CLIENT_NO_TIMEOUT, WITH_AUTH, FETCH_INTERCEPTOR]) {
    const over = BOUND_OF[door] as string;
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (const scheme of ["Basic", "Bearer", "Digest", "OAuth 2.0"] as const) {
      const top = find(summaries, scheme, door);
      const bottom = find(summaries, scheme, over);
      if (top === undefined || bottom === undefined) continue;
      ratios.push(...roundRatios(top.rounds, bottom.rounds));
      cpuRatios.push(...roundRatios(bottom.cpuRounds, top.cpuRounds));
    }
    if (ratios.length === 0) continue;
    const value = median(ratios);
    results.push({
      target: `all schemes pooled (${ratios.length} round pairs): ${door} ÷ ${over}`,
      value,
      cpuValue: median(cpuRatios),
      spread: [Math.min(...ratios), Math.max(...ratios)],
      threshold: "≥ 0.95",
      met: value >= 0.95,
    });
  }
  for (const door of [CLIENT, WITH_AUTH, INTERCEPTOR]) {
    const digest = find(summaries, "Digest", door);
    if (digest !== undefined) {
      const met = Math.abs(digest.roundTrips - 1) < 0.005;
      results.push({
        target: `Digest: ${door} round trips per request`,
        value: digest.roundTrips,
        threshold: "= 1.00",
        met,
      });
    }
    const oauth = find(summaries, "OAuth 2.0", door);
    const bearer = find(summaries, "Bearer", door);
    if (oauth !== undefined && bearer !== undefined) {
      const value = pairedRatio(oauth, bearer);
      results.push({
        target: `OAuth 2.0 (cached token) ÷ Bearer, ${door}`,
        value,
        threshold: "≥ 0.95",
        met: value >= 0.95,
      });
    }
  }
  return results;
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";

/** One markdown table per scheme: figures, ratio to the bound, ratio to each peer. */
export function markdownTables(summaries: readonly Summary[], missing: readonly Scheme[]): string {
  const sections: string[] = [];
  for (const scheme of ["Basic", "Bearer", "Digest", "OAuth 2.0"] as const) {
    const rows = summaries.filter((each) => each.scheme === scheme);
    if (rows.length === 0) {
      if (missing.includes(scheme)) sections.push(`### ${scheme}\n\nnot available (not exported by src/index.ts)\n`);
      continue;
    }
    const peers = rows.filter((each) => each.role === "peer");
    const header = [
      "",
      "req/s",
      "p50 ms",
      "p99 ms",
      "client CPU µs/req",
      "round trips/req",
      "÷ bound",
      ...peers.map((peer) => `÷ ${peer.name}`),
    ];
    const lines = [
      `| ${header.join(" | ")} |`,
      `|${header.map((_, index) => (index === 0 ? " --- " : " ---: ")).join("|")}|`,
    ];
    for (const row of rows) {
      const bound =
        BOUND_OF[row.name] === undefined ? undefined : find(summaries, scheme, BOUND_OF[row.name] as string);
      const authflow = row.role === "authflow";
      const cells = [
        row.role === "bound" ? `*${row.name}*` : authflow ? `**${row.name}**` : row.name,
        number(row.throughput),
        number(row.p50, 2),
        number(row.p99, 2),
        number(row.cpuMicros),
        number(row.roundTrips, 2) + (row.errors > 0 ? ` (${row.errors} errors)` : ""),
        bound === undefined ? "" : `${number(pairedRatio(row, bound), 2)}×`,
        ...peers.map((peer) => (authflow ? `${number(pairedRatio(row, peer), 2)}×` : "")),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
    sections.push(`### ${scheme}\n\n${lines.join("\n")}\n`);
  }
  return sections.join("\n");
}

export function markdownTargets(targets: readonly TargetResult[]): string {
  const lines = [
    "| target | value | rounds from–to | in client CPU | wanted | |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const each of targets) {
    const cpu = each.cpuValue === undefined ? "" : number(each.cpuValue, 3);
    const spread = each.spread === undefined ? "" : `${number(each.spread[0], 2)}–${number(each.spread[1], 2)}`;
    lines.push(
      `| ${each.target} | ${number(each.value, 3)} | ${spread} | ${cpu} | ${each.threshold} | ${each.met ? "met" : "**missed**"} |`,
    );
  }
  return lines.join("\n");
}

const COLOURS: Record<Role, string> = { bound: "#9ca3af", authflow: "#2563eb", peer: "#f59e0b" };

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A horizontal bar chart of req/s, one group per scheme; no dependency, just SVG text. */
export function svgChart(summaries: readonly Summary[], caption: string): string {
  const width = 860;
  const labelWidth = 250;
  const barHeight = 16;
  const gap = 4;
  const plotWidth = width - labelWidth - 90;
  const top = Math.max(...summaries.map((each) => (Number.isFinite(each.throughput) ? each.throughput : 0)), 1);
  const parts: string[] = [];
  let y = 40;
  for (const scheme of ["Basic", "Bearer", "Digest", "OAuth 2.0"] as const) {
    const rows = summaries.filter((each) => each.scheme === scheme);
    if (rows.length === 0) continue;
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${scheme}</text>`);
    y += 20;
    for (const row of rows) {
      const length = Math.max(1, (plotWidth * (Number.isFinite(row.throughput) ? row.throughput : 0)) / top);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 12}" text-anchor="end">${escapeXml(row.name)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${COLOURS[row.role]}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 12}">${number(row.throughput)}</text>`,
      );
      y += barHeight + gap;
    }
    y += 12;
  }
  const legend = (["bound", "authflow", "peer"] as const)
    .map((role, index) => {
      const x = 10 + index * 120;
      return `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLOURS[role]}"/><text x="${x + 18}" y="${y + 11}">${role}</text>`;
    })
    .join("");
  const height = y + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(caption)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escapeXml(caption)}</text>`,
    ...parts,
    legend,
    "</svg>",
    "",
  ].join("\n");
}
