// npm run testenv:up | testenv:down
import { down, up } from "./testenv.ts";
import { statePaths } from "./paths.ts";

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const command = process.argv[2];

try {
  if (command === "up") {
    const started = Date.now();
    const state = await up(log);
    log(`testenv: up in ${((Date.now() - started) / 1000).toFixed(1)} s; API server ${state.apiserverUrl}, AWS emulator ${state.emulatorUrl}`);
    log(`testenv: source ${statePaths.env} to use it (KUBECONFIG, AWS_ENDPOINT_URL_*, test keys)`);
  } else if (command === "down") {
    await down(log);
  } else {
    log("usage: node test/testenv/cli.ts up|down");
    process.exitCode = 2;
  }
} catch (error) {
  log(`testenv: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
