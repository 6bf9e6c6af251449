// Loopback https servers and extra certificates for the TLS tests (issue 14).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server, type ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import type { TestKeyPair } from "../../src/server/index.js";

/** A running https server that counts its TLS connections and handshake failures. */
export interface TlsServer {
  readonly url: string;
  /** TCP connections accepted. */
  connections: number;
  /** Handshakes completed. */
  secureConnections: number;
  /** Handshakes that failed (the server refused or the client gave up). */
  handshakeFailures: number;
  /** The client certificates presented, by the SHA-256 thumbprint Node gives (`fingerprint256`). */
  readonly presented: string[];
  close(): Promise<void>;
}

/** Starts an https server on 127.0.0.1, port 0, answering with `handler` (default: 200 "ok"). */
export async function startTlsServer(
  options: ServerOptions,
  handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.end("ok"),
): Promise<TlsServer> {
  const server: Server = createServer(options, handler);
  const state = {
    url: "",
    connections: 0,
    secureConnections: 0,
    handshakeFailures: 0,
    presented: [] as string[],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("secureConnection", (socket: TLSSocket) => {
    state.secureConnections += 1;
    const certificate = socket.getPeerCertificate();
    if (certificate?.fingerprint256 !== undefined) state.presented.push(certificate.fingerprint256);
  });
  server.on("connection", () => {
    state.connections += 1;
  });
  server.on("tlsClientError", () => {
    state.handshakeFailures += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/**
 * A certificate signed by `ca`, made with openssl: a server's for
 * 127.0.0.1 by default; `days` may be negative (already expired),
 * `altNames` names another host; `subject` and `usage: "clientAuth"` make a
 * client certificate.
 */
export function serverCertificate(
  ca: TestKeyPair,
  options: { days?: number; altNames?: string; subject?: string; usage?: "serverAuth" | "clientAuth" } = {},
): TestKeyPair {
  const directory = mkdtempSync(join(tmpdir(), "authflow-tls-test-"));
  const path = (name: string) => join(directory, name);
  try {
    writeFileSync(path("ca.crt"), ca.cert);
    writeFileSync(path("ca.key"), ca.key, { mode: 0o600 });
    const usage = options.usage ?? "serverAuth";
    const names = usage === "serverAuth" ? `subjectAltName=${options.altNames ?? "IP:127.0.0.1"}\n` : "";
    writeFileSync(path("extensions"), `${names}extendedKeyUsage=${usage}\n`);
    const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    const subject = options.subject ?? "/CN=test server";
    openssl(
      ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc", "-utf8"].concat([
        "-subj",
        subject,
        "-keyout",
        path("leaf.key"),
        "-out",
        path("leaf.csr"),
      ]),
    );
    openssl(
      ["x509", "-req", "-in", path("leaf.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key")].concat([
        "-days",
        String(options.days ?? 2),
        "-extfile",
        path("extensions"),
        "-out",
        path("leaf.crt"),
      ]),
    );
    return { cert: readFileSync(path("leaf.crt"), "utf8"), key: readFileSync(path("leaf.key"), "utf8") };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The body of a PEM, as a string no message may contain (a key's bytes). */
export function pemBody(pem: string): string {
  return pem
    .split("\n")
    .filter((line) => !line.startsWith("-----"))
    .join("")
    .slice(0, 40);
}
