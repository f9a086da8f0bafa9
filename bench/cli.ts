// npm run bench [-- sync|controller [options]]: both benchmarks, each in a testenv of its own
// (bench/sync.ts, bench/controller.ts), or the one named with its own options.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const benches = { sync: "sync.ts", controller: "controller.ts" } as const;
type Bench = keyof typeof benches;
const isBench = (word: string | undefined): word is Bench => word !== undefined && Object.hasOwn(benches, word);

const [first, ...rest] = process.argv.slice(2);
if (first !== undefined && !isBench(first)) {
  process.stderr.write(`error: unknown benchmark '${first}'; use one of: ${Object.keys(benches).join(", ")}\n`);
  process.exit(2);
}
const runs: Array<[Bench, string[]]> = isBench(first)
  ? [[first, rest]]
  : [
      ["sync", []],
      ["controller", []],
    ];
for (const [bench, args] of runs) {
  process.stdout.write(`== npm run bench -- ${bench} ${args.join(" ")}\n`);
  const result = spawnSync(process.execPath, [join(import.meta.dirname, benches[bench]), ...args], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
