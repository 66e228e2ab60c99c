// AWS SDK v3 client options for the emulator: its loopback endpoint, fake credentials (the user's are never
// read), one attempt and bounded timeouts, like the orchestrator's production clients.

/** The options every SDK v3 client of the rehearsal gets, for one region. */
export function emulatorClientOptions(endpoint: string, region: string) {
  return {
    region,
    endpoint,
    credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  };
}
