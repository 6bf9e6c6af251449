import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { InvalidArgumentError } from "../errors.js";
import { checkInteger, checkObject, checkString } from "../policy/validate.js";
import { type NameAttribute, opensslSubject, parseDistinguishedName } from "./distinguished-names.js";
import { certificateThumbprint } from "./tls.js";

const run = promisify(execFile);

/**
 * A certificate and its private key, as PEM text.
 *
 * @example
 * ```ts
 * const { cert, key } = (await createTestCertificates()).server;
 * ```
 */
export interface TestKeyPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * A client certificate for RFC 8705 tests.
 *
 * @example
 * ```ts
 * const { cert, key, subject, thumbprint } = (await createTestCertificates()).client;
 * ```
 */
export interface TestClientCertificate extends TestKeyPair {
  /** Its subject as an RFC 4514 string, as a `tls_client_auth` client registers it (`CN=mtls-client,O=authflow tests`). */
  readonly subject: string;
  /** Its `x5t#S256` (base64url SHA-256 of the DER certificate), as bound tokens carry it in `cnf`. */
  readonly thumbprint: string;
}

/**
 * Throwaway certificates for TLS and mutual-TLS tests, all EC P-256.
 *
 * @example
 * ```ts
 * const c = await createTestCertificates();
 * await startTestServer({ tls: { cert: c.server.cert, key: c.server.key, ca: c.ca.cert, requestCert: true } });
 * ```
 */
export interface TestCertificates {
  /** The test CA: trust `ca.cert` to reach the server, and the server trusts it for client certificates. */
  readonly ca: TestKeyPair;
  /** The server's certificate, signed by `ca`, for `127.0.0.1`, `::1` and `localhost`. */
  readonly server: TestKeyPair;
  /** A client certificate signed by `ca`, with the subject asked for (default `CN=mtls-client,O=authflow tests`). */
  readonly client: TestClientCertificate & {
    /** The same key, encrypted (PKCS#8, AES-256) with `passphrase`, when one was given. */
    readonly encryptedKey?: string;
  };
  /** A self-signed client certificate (`CN=self-signed-client`), for `self_signed_tls_client_auth`. */
  readonly selfSigned: TestClientCertificate;
  /** Signed by `ca` but with another subject (`CN=intruder,O=authflow tests`): refused for `tls_client_auth`. */
  readonly wrongSubject: TestClientCertificate;
  /** The same subject as `client`, signed by another CA the server does not trust. */
  readonly untrusted: TestClientCertificate;
}

/**
 * Options of {@link createTestCertificates}.
 *
 * @example
 * ```ts
 * await createTestCertificates({ clientSubject: "CN=billing,O=acme", days: 2, passphrase: "test passphrase" });
 * ```
 */
export interface TestCertificateOptions {
  /** The `client` (and `untrusted`) certificate's subject, an RFC 4514 string (default `CN=mtls-client,O=authflow tests`). */
  clientSubject?: string;
  /** Validity in days, from now (default 2). */
  days?: number;
  /** Also give `client.encryptedKey`, encrypted with this passphrase. */
  passphrase?: string;
}

/**
 * {@link createTestCertificates} could not make the certificates: openssl is
 * missing or failed (the message says which, with openssl's first line).
 *
 * @example
 * ```ts
 * try { await createTestCertificates(); } catch (error) { if (error instanceof TestCertificateError) skip(error.message); }
 * ```
 */
export class TestCertificateError extends Error {
  readonly code = "ERR_AUTHFLOW_TEST_CERTIFICATES";

  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "TestCertificateError";
  }
}

/**
 * The subject `mtls-client` — the `tls_client_auth` client registered by
 * default with `tls.requestCert` — expects, and `createTestCertificates()`
 * gives its `client` certificate unless told otherwise.
 *
 * @example
 * ```ts
 * const clients = [{ clientId: "svc", authMethod: "tls_client_auth", tlsClientAuthSubjectDn: DEFAULT_CLIENT_SUBJECT }];
 * ```
 */
export const DEFAULT_CLIENT_SUBJECT = "CN=mtls-client,O=authflow tests";

/**
 * Makes throwaway certificates for tests and for `authflow serve --tls`: a
 * CA, a server certificate for 127.0.0.1, ::1 and localhost signed by it,
 * and client certificates (signed by the CA with a given subject, self-signed,
 * with the wrong subject, and from an untrusted CA). TEST FIXTURES: the keys
 * are unencrypted PEM in memory. Runs the `openssl` command (OpenSSL 3.0 or
 * later; Debian: `apt-get install openssl`) in a private temporary
 * directory, removed before it returns; about ten invocations, well under a
 * second. Rejects with an error whose `code` is `ERR_AUTHFLOW_TEST_CERTIFICATES`
 * when openssl is missing or fails.
 *
 * @example
 * ```ts
 * import { createTestCertificates, startTestServer } from "authflow/server";
 * const certificates = await createTestCertificates();
 * const server = await startTestServer({ tls: { cert: certificates.server.cert, key: certificates.server.key } });
 * ```
 */
export async function createTestCertificates(options: TestCertificateOptions = {}): Promise<TestCertificates> {
  const subject = checkCertificateOptions(options);
  const directory = await mkdtemp(join(tmpdir(), "authflow-certificates-"));
  try {
    const maker = new CertificateMaker(directory, options.days ?? 2);
    await writeFile(join(directory, "openssl.cnf"), "[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n", { mode: 0o600 });
    const [ca, otherCa] = await Promise.all([maker.authority("ca"), maker.authority("other-ca")]);
    const intruder = parseDistinguishedName("CN=intruder,O=authflow tests") as NameAttribute[];
    const selfSignedSubject = parseDistinguishedName("CN=self-signed-client") as NameAttribute[];
    const [server, client, selfSigned, wrongSubject, untrusted] = await Promise.all([
      maker.leaf("server", [["CN", "localhost"]], "serverAuth", ca),
      maker.leaf("client", subject, "clientAuth", ca),
      maker.leaf("self-signed", selfSignedSubject, "clientAuth", undefined),
      maker.leaf("wrong-subject", intruder, "clientAuth", ca),
      maker.leaf("untrusted", subject, "clientAuth", otherCa),
    ]);
    const encryptedKey =
      options.passphrase === undefined ? {} : { encryptedKey: await maker.encrypt("client", options.passphrase) };
    return {
      ca: ca.pair,
      server: server.pair,
      client: { ...clientCertificate(client.pair, subject), ...encryptedKey },
      selfSigned: clientCertificate(selfSigned.pair, selfSignedSubject),
      wrongSubject: clientCertificate(wrongSubject.pair, intruder),
      untrusted: clientCertificate(untrusted.pair, subject),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function checkCertificateOptions(options: TestCertificateOptions): NameAttribute[] {
  checkObject("createTestCertificates options", options);
  checkString("createTestCertificates.clientSubject", options.clientSubject);
  checkInteger("createTestCertificates.days", options.days, 1, 36_500);
  checkString("createTestCertificates.passphrase", options.passphrase);
  const subject = parseDistinguishedName(options.clientSubject ?? DEFAULT_CLIENT_SUBJECT);
  if (subject === undefined) {
    const option = "createTestCertificates.clientSubject";
    throw new InvalidArgumentError(
      "ERR_INVALID_ARG_VALUE",
      option,
      `${option} must be an RFC 4514 name without multi-valued RDNs, e.g. CN=svc,O=acme`,
    );
  }
  return subject;
}

function clientCertificate(pair: TestKeyPair, subject: readonly NameAttribute[]): TestClientCertificate {
  const name = subject.map(([type, value]) => `${type}=${value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)}`).join(",");
  return { ...pair, subject: name, thumbprint: certificateThumbprint(pair.cert) };
}

interface Made {
  readonly name: string;
  readonly pair: TestKeyPair;
}

/** Runs openssl in one directory; each certificate's files are named after it. */
class CertificateMaker {
  readonly #directory: string;
  readonly #days: number;

  constructor(directory: string, days: number) {
    this.#directory = directory;
    this.#days = days;
  }

  authority(name: string): Promise<Made> {
    const label = `authflow test CA ${randomBytes(4).toString("hex")}`;
    return this.#make(name, `/CN=${label}`, [
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
  }

  leaf(name: string, subject: readonly NameAttribute[], usage: string, issuer: Made | undefined): Promise<Made> {
    const extensions = [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      `extendedKeyUsage=${usage}`,
    ];
    if (usage === "serverAuth") extensions.push("subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost");
    const signer =
      issuer === undefined ? [] : ["-CA", this.#path(issuer.name, "crt"), "-CAkey", this.#path(issuer.name, "key")];
    return this.#make(name, opensslSubject(subject), extensions, signer);
  }

  async encrypt(name: string, passphrase: string): Promise<string> {
    const out = this.#path(name, "encrypted.key");
    await this.#openssl(
      [
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        this.#path(name, "key"),
        "-out",
        out,
        "-passout",
        "env:AUTHFLOW_TEST_PASSPHRASE",
      ],
      { AUTHFLOW_TEST_PASSPHRASE: passphrase },
    );
    return readFile(out, "utf8");
  }

  async #make(name: string, subject: string, extensions: string[], signer: string[] = []): Promise<Made> {
    const args = ["req", "-config", join(this.#directory, "openssl.cnf"), "-x509", "-newkey", "ec"];
    args.push("-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc", "-utf8", "-days", String(this.#days));
    args.push("-subj", subject, ...extensions.flatMap((extension) => ["-addext", extension]), ...signer);
    args.push("-keyout", this.#path(name, "key"), "-out", this.#path(name, "crt"));
    await this.#openssl(args);
    const [cert, key] = await Promise.all([
      readFile(this.#path(name, "crt"), "utf8"),
      readFile(this.#path(name, "key"), "utf8"),
    ]);
    return { name, pair: { cert, key } };
  }

  #path(name: string, extension: string): string {
    return join(this.#directory, `${name}.${extension}`);
  }

  async #openssl(args: string[], environment: Record<string, string> = {}): Promise<void> {
    try {
      await run("openssl", args, { env: { ...process.env, ...environment }, timeout: 30_000 });
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
      const reason = missing
        ? "the openssl command is not installed (Debian: apt-get install openssl)"
        : "openssl failed";
      const stderr =
        String((cause as { stderr?: unknown }).stderr ?? "")
          .trim()
          .split("\n")[0] ?? "";
      throw new TestCertificateError(`createTestCertificates: ${reason}${stderr === "" ? "" : `: ${stderr}`}`, cause);
    }
  }
}
