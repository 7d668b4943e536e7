// A fuzz worker thread: runs the cases its pool sends, one at a time, and says before each step
// what it is doing, so that the pool can name the case and command of a worker it had to stop.
import { parentPort, workerData } from "worker_threads";
import { runCase } from "./run-case";
import type { WorkerConfig, WorkerReply, WorkerRequest } from "./pool";

const config = workerData as WorkerConfig;
const port = parentPort!;

port.on("message", (request: WorkerRequest) => {
  const { caseNumber } = request;
  const result = runCase({
    ...config,
    caseNumber,
    progress: (step) => port.postMessage({ type: "progress", caseNumber, ...step } satisfies WorkerReply),
  });
  port.postMessage({ type: "result", result } satisfies WorkerReply);
});
port.postMessage({ type: "ready" } satisfies WorkerReply);
