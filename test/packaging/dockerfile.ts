// A small Dockerfile reader: enough to replay the steps of a stage without a container
// engine (none here) and to check what the final image runs.
import { existsSync } from "node:fs";
import { cp, readFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Stages in order, each with its instructions; comments dropped, continuations joined. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  const stages: Array<{ from: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: match?.[1] ?? args, name: match?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

export function stage(stages: readonly Stage[], name: string | undefined): Stage {
  const found = name === undefined ? stages.at(-1) : stages.find((s) => s.name === name);
  if (!found) throw new Error(`Dockerfile has no stage ${name ?? "(final)"}`);
  return found;
}

export function argsOf(s: Stage, keyword: string): string[] {
  return s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/**
 * Replays a stage's COPY and RUN lines on this machine: `dirs` maps each stage name ("final"
 * for the last) to a folder that stands for its WORKDIR. COPY sources come from `context`, or
 * with --from=STAGE from that stage's folder; RUN lines go to `run` in the stage's folder.
 */
export async function replayStage(
  stages: readonly Stage[],
  name: string | undefined,
  context: string,
  dirs: Readonly<Record<string, string>>,
  run: (line: string, cwd: string) => Promise<void>,
  options: { runLines: boolean } = { runLines: true },
): Promise<void> {
  const s = stage(stages, name);
  const own = folder(dirs, s);
  for (const { keyword, args } of s.instructions) {
    if (keyword === "COPY") {
      const from = /^--from=(\S+)\s+/.exec(args)?.[1];
      const sources = args.replace(/^--from=\S+\s+/, "").split(/\s+/);
      const dest = sources.pop() ?? ".";
      for (const source of sources) {
        const origin = from === undefined ? join(context, source) : inStage(stages, dirs, from, source);
        // Like Docker: into a folder when the destination ends with "/" or there are several sources.
        const target = dest.endsWith("/") || sources.length > 1 ? join(own, dest, basename(source)) : join(own, dest);
        const filter = from === undefined ? await contextFilter(context) : (): boolean => true;
        await cp(origin, target, { recursive: true, filter: (path) => filter(relative(context, path)) });
      }
    } else if (keyword === "RUN" && options.runLines) {
      await run(args, own);
    }
  }
}

function folder(dirs: Readonly<Record<string, string>>, s: Stage): string {
  const dir = dirs[s.name ?? "final"];
  if (!dir || argsOf(s, "WORKDIR").length !== 1) throw new Error(`stage ${s.name ?? "final"}: need exactly one WORKDIR and a folder for it`);
  return dir;
}

/** An absolute path under another stage's WORKDIR, as a path in that stage's folder. */
function inStage(stages: readonly Stage[], dirs: Readonly<Record<string, string>>, name: string, path: string): string {
  const other = stage(stages, name);
  const workdir = argsOf(other, "WORKDIR")[0] ?? "";
  if (!path.startsWith(`${workdir}/`)) throw new Error(`COPY --from=${name} ${path}: not under its WORKDIR ${workdir}`);
  return join(folder(dirs, other), path.slice(workdir.length + 1));
}

/**
 * What .dockerignore lets into the build context, as a filter on context-relative paths: the
 * last matching pattern wins, "!" lets back in, and a pattern matching a folder covers all
 * inside it (as Docker's own matcher does).
 */
export async function contextFilter(context: string): Promise<(path: string) => boolean> {
  const file = join(context, ".dockerignore");
  const patterns = existsSync(file)
    ? (await readFile(file, "utf8"))
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
    : [];
  return (path) => {
    const chain = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
    let included = true;
    for (const raw of patterns) {
      const negated = raw.startsWith("!");
      const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, "");
      const regex = globRegExp(pattern);
      if (chain.some((p) => regex.test(p))) included = negated;
    }
    return included;
  };
}

/** Docker's glob: `**` any depth, `*` and `?` within one name, dotfiles not special. */
function globRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*" && pattern[i + 1] === "*") {
      out += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
