/**
 * `authflow serve --tls`: a throwaway CA and a server certificate for
 * 127.0.0.1, ::1 and localhost (authflow/server's createTestCertificates),
 * the CA's certificate written to a fresh temporary directory for
 * `--cacert`, removed when the server stops. `--mtls` also asks clients for
 * a certificate and writes one (with its key) signed by the CA, registered
 * as `mtls-client` (tls_client_auth, RFC 8705).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestCertificates, defaultClients, mtlsTestClients, type TestServerOptions } from "../server/index.js";

/**
 * The certificates of a `serve --tls` run, and where the files are.
 *
 * @example
 * ```ts
 * const tls: ServeTls = await openServeTls({ mtls: true });
 * console.log(tls.caFile, tls.client?.cert);
 * ```
 */
export interface ServeTls {
  /** The CA's certificate (PEM), for `--cacert`. */
  readonly caFile: string;
  /** With `--mtls`: a client certificate and its key (PEM, unencrypted: a test fixture). */
  readonly client: { readonly cert: string; readonly key: string } | undefined;
  /** What startTestServer takes for them. */
  readonly serverOptions: Pick<TestServerOptions, "tls" | "clients">;
  /** Removes the temporary directory and everything in it. */
  remove(): Promise<void>;
}

/**
 * Makes the certificates and writes the files.
 *
 * @example
 * ```ts
 * const tls = await openServeTls({ mtls: false });
 * const server = await startTestServer({ ...tls.serverOptions });
 * console.log(`--cacert ${tls.caFile}`);
 * await server.close();
 * await tls.remove();
 * ```
 */
export async function openServeTls(options: { readonly mtls: boolean }): Promise<ServeTls> {
  const certificates = await createTestCertificates();
  // mkdtemp makes the directory 0700: the client key in it is the user's alone.
  const directory = await mkdtemp(join(tmpdir(), "authflow-serve-"));
  const remove = () => rm(directory, { recursive: true, force: true });
  try {
    const caFile = join(directory, "ca.pem");
    await writeFile(caFile, certificates.ca.cert, { mode: 0o644 });
    const server = { cert: certificates.server.cert, key: certificates.server.key };
    if (!options.mtls) return { caFile, client: undefined, serverOptions: { tls: server }, remove };
    const client = { cert: join(directory, "client.pem"), key: join(directory, "client-key.pem") };
    await writeFile(client.cert, certificates.client.cert, { mode: 0o644 });
    await writeFile(client.key, certificates.client.key, { mode: 0o600 });
    return {
      caFile,
      client,
      serverOptions: {
        tls: { ...server, ca: certificates.ca.cert, requestCert: true },
        clients: [...defaultClients(), ...mtlsTestClients(certificates)],
      },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
