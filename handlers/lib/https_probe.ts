// One HTTPS GET of a health URL with the application's host name as TLS SNI and Host header (the ALB's
// certificate is for the app name, not the ALB's DNS name), certificate verified, under a timeout.
// Written on node:tls rather than node:https: Deno's node:https ignores `servername` and `ca`, so the
// tests could not run the code Lambda runs; and global fetch cannot set SNI.
import tls from "node:tls";
import { HttpStatusError, TimeoutError } from "./errors.ts";

export interface ProbeRequest {
  /** https URL to GET (host = the ALB's DNS name). */
  readonly url: string;
  /** Host name the certificate is for: SNI and Host header. */
  readonly hostname: string;
  readonly timeoutMs: number;
}

export interface ProbeResponse {
  readonly status: number;
}

/** Resolves with the status line of the answer (any status); rejects on transport or TLS failure. */
export type Probe = (request: ProbeRequest) => Promise<ProbeResponse>;

export interface TlsProbeOptions {
  /** Extra trusted CA (PEM); default: Node's store plus NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
}

const MAX_HEAD_BYTES = 16 * 1024;

export function tlsProbe(options: TlsProbeOptions = {}): Probe {
  return ({ url, hostname, timeoutMs }) =>
    new Promise<ProbeResponse>((resolve, reject) => {
      const target = new URL(url);
      let head = "";
      let settled = false;
      const socket = tls.connect({
        host: target.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: Number(target.port || 443),
        servername: hostname,
        ca: options.ca,
        rejectUnauthorized: true,
        ALPNProtocols: ["http/1.1"],
      });
      const finish = (error: Error | undefined, response?: ProbeResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else resolve(response!);
      };
      const timer = setTimeout(() => finish(new TimeoutError(`GET ${url}`, timeoutMs)), timeoutMs);
      // Deno's node:tls signals secureConnect before its lazy handshake ran; writing a tick later lets the
      // read side report a certificate failure by name instead of an opaque write error. No-op in Node.
      socket.once("secureConnect", () =>
        setTimeout(() => {
          if (settled) return;
          socket.write(
            `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${hostname}\r\n` +
              "User-Agent: dr-app-health\r\nAccept: */*\r\nConnection: close\r\n\r\n",
          );
        }, 0));
      socket.on("data", (chunk: Uint8Array) => {
        head += new TextDecoder("latin1").decode(chunk);
        const lineEnd = head.indexOf("\r\n");
        if (lineEnd >= 0) {
          const match = /^HTTP\/1\.[01] (\d{3})/.exec(head.slice(0, lineEnd));
          if (match) finish(undefined, { status: Number(match[1]) });
          else finish(new Error(`GET ${url}: not an HTTP/1.1 status line: ${head.slice(0, 80)}`));
        } else if (head.length > MAX_HEAD_BYTES) {
          finish(new Error(`GET ${url}: no status line in the first ${MAX_HEAD_BYTES} bytes`));
        }
      });
      socket.once("error", (error: Error) => finish(error));
      socket.once("close", () => {
        const error = new Error(`GET ${url}: connection closed before a status line`);
        finish(Object.assign(error, { code: "ECONNRESET" }));
      });
    });
}

/** A probe answer that is not 2xx, as the error a check reports. */
export function statusError(url: string, status: number): HttpStatusError | undefined {
  return status >= 200 && status < 300 ? undefined : new HttpStatusError(status, url);
}
