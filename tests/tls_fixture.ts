// Test TLS material made by openssl in a temporary folder: a CA and server certificates it signs (rustls
// clients refuse a self-signed CA used as the server's own certificate), plus loopback HTTPS servers.

export interface Certificate {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly caCertificate: string;
  readonly caCertificatePath: string;
  /** A server certificate for `dnsName` (and `ipAddress`, when given), signed by the CA. */
  issue(dnsName: string, ipAddress?: string): Certificate;
  remove(): void;
}

function openssl(args: string[]): void {
  const result = new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!result.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(result.stderr)}`);
}

export function createTestPki(): TestPki {
  const dir = Deno.makeTempDirSync({ prefix: "dr-pki-" });
  const caPath = `${dir}/ca.crt`;
  const caKeyPath = `${dir}/ca.key`;
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"];
  openssl(["req", "-x509", ...key, "-subj", "/CN=DR test CA", "-keyout", caKeyPath, "-out", caPath]);
  let serial = 0;
  return {
    caCertificate: Deno.readTextFileSync(caPath),
    caCertificatePath: caPath,
    issue(dnsName, ipAddress) {
      const base = `${dir}/server-${++serial}`;
      openssl([
        "req",
        "-x509",
        ...key,
        "-subj",
        `/CN=${dnsName}`,
        "-CA",
        caPath,
        "-CAkey",
        caKeyPath,
        "-addext",
        `subjectAltName=DNS:${dnsName}${ipAddress ? `,IP:${ipAddress}` : ""}`,
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "extendedKeyUsage=serverAuth",
        "-keyout",
        `${base}.key`,
        "-out",
        `${base}.crt`,
      ]);
      return { cert: Deno.readTextFileSync(`${base}.crt`), key: Deno.readTextFileSync(`${base}.key`) };
    },
    remove: () => Deno.removeSync(dir, { recursive: true }),
  };
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Requests seen: Host header and path. */
  readonly requests: Array<{ host: string | null; path: string }>;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 answering every request with `respond` (which may hang until abort). */
export function startHttpsServer(
  certificate: Certificate,
  respond: (request: Request) => Response | Promise<Response>,
): TestServer {
  const requests: Array<{ host: string | null; path: string }> = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: certificate.cert, key: certificate.key, onListen() {} },
    (request) => {
      requests.push({ host: request.headers.get("host"), path: new URL(request.url).pathname });
      return respond(request);
    },
  );
  const port = server.addr.port;
  return { url: `https://127.0.0.1:${port}`, port, requests, close: () => server.shutdown() };
}

/** Answers only after the client went away: a server that hangs past any timeout. */
export function hang(request: Request): Promise<Response> {
  return new Promise((resolve) => {
    request.signal.addEventListener("abort", () => resolve(new Response("too late", { status: 200 })));
  });
}

/** A loopback port with nothing listening (connection refused). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
