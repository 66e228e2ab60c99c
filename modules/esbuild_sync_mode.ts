// Imported before esbuild (module evaluation follows import order): makes esbuild's buildSync run its
// binary as a child process per call instead of keeping a worker thread alive for the process's lifetime,
// which Deno's test sanitizers report as a leaked message port in whichever test synthesizes first.
import process from "node:process";

process.env.ESBUILD_WORKER_THREADS = "0";
