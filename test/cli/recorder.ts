// A loopback server that records each request exactly as it arrived (raw header lines in order,
// body bytes) and answers with a configurable status, headers and body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** One request as the server saw it. */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  /** Header lines in wire order, names as sent. */
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
}

/** How to answer a request: by default 200 with a small JSON body. */
export type Answer = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

export interface Recorder {
  readonly url: string;
  readonly requests: Recorded[];
  answer(handler: Answer | undefined): void;
  close(): Promise<void>;
}

/** Starts the recorder on 127.0.0.1, port 0. */
export async function startRecorder(): Promise<Recorder> {
  const requests: Recorded[] = [];
  let handler: Answer | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers: Array<[string, string]> = [];
      for (let index = 0; index < request.rawHeaders.length; index += 2) {
        headers.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
      }
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers, body });
      if (handler !== undefined) return handler(request, body, response);
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (next) => {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request's form, multipart or urlencoded, as the platform parses it. */
export async function formOf(recorded: Recorded): Promise<FormData> {
  const type = recorded.headers.find(([name]) => name.toLowerCase() === "content-type")?.[1] ?? "";
  return new Response(new Uint8Array(recorded.body), { headers: { "content-type": type } }).formData();
}

/** The value of the header `name` (first one), or undefined. */
export function header(recorded: Recorded, name: string): string | undefined {
  return recorded.headers.find(([candidate]) => candidate.toLowerCase() === name.toLowerCase())?.[1];
}
