import { request as httpRequest } from "node:http";

/**
 * A minimal fetch-compatible transport over node:http (plain HTTP only, no
 * redirects). Unlike Fetch it returns a 407 as a response instead of a network
 * error, and a truncated body surfaces as a stream error.
 */
export async function rawFetch(input: Request): Promise<Response> {
  const url = new URL(input.url);
  const body = input.body === null ? undefined : Buffer.from(await input.arrayBuffer());
  return new Promise<Response>((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: input.method, headers: Object.fromEntries(input.headers), signal: input.signal },
      (incoming) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (Array.isArray(value)) for (const item of value) headers.append(name, item);
          else if (value !== undefined) headers.set(name, value);
        }
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            incoming.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
            incoming.on("end", () => controller.close());
            incoming.on("error", (error) => controller.error(error));
          },
          cancel() {
            incoming.destroy();
          },
        });
        const status = incoming.statusCode ?? 0;
        const empty = status === 204 || status === 304 || input.method === "HEAD";
        resolve(new Response(empty ? null : stream, { status, headers }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
