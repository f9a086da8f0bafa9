// node --test global setup: one test environment per run, stopped at the end even when tests
// fail. An environment that was already up before the run (a developer's) is left running.
import { readState, down, up } from "./testenv/testenv.ts";

let startedHere = false;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

export async function globalSetup(): Promise<void> {
  startedHere = (await readState()) === undefined;
  const started = Date.now();
  await up(log);
  // Reported on every run: the warm start target is under 15 s.
  log(`testenv: testenv:up took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function globalTeardown(): Promise<void> {
  if (startedHere) await down(log);
}
