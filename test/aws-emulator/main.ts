// Process entry for the test environment:
//   node test/aws-emulator/main.ts --port 0 --access-key-id X --secret-access-key Y [--container-auth-token Z]
// Prints exactly one JSON line {"url": ...} on stdout once listening (the
// parent reads it to learn the port), logs requests to stderr, exits 0 on
// SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'access-key-id': { type: 'string' },
    'secret-access-key': { type: 'string' },
    'container-auth-token': { type: 'string' },
    'account-id': { type: 'string' },
  },
  strict: true,
});

function usage(message: string): never {
  process.stderr.write(`aws-emulator: ${message}\n`);
  process.exit(2);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`invalid --port ${values.port}`);
const accessKeyId = values['access-key-id'] ?? usage('--access-key-id is required');
const secretAccessKey = values['secret-access-key'] ?? usage('--secret-access-key is required');

const options: EmulatorOptions = {
  host: values.host,
  port,
  accessKeyId,
  secretAccessKey,
  log: (line) => process.stderr.write(`aws-emulator: ${line}\n`),
};
if (values['container-auth-token'] !== undefined) options.containerAuthToken = values['container-auth-token'];
if (values['account-id'] !== undefined) options.accountId = values['account-id'];

const emulator = await startEmulator(options);
process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`aws-emulator: ${signal}, shutting down\n`);
  // Exit 0 even if close() fails: the parent only needs us gone.
  void emulator.close().finally(() => process.exit(0));
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
