// Durations as people write them in flags and Helm values: "90s", "15m", "6h", "1h30m".

const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses a duration into milliseconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * units[match[2] as keyof typeof units];
  }
  return total;
}

/** A compact human form, for logs and `status`: "5h59m", "42s", "-3m". */
export function formatDuration(ms: number): string {
  let seconds = Math.round(Math.abs(ms) / 1000);
  const sign = ms < 0 && seconds > 0 ? "-" : "";
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (hours > 0) return `${sign}${hours}h${minutes > 0 ? `${minutes}m` : ""}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds > 0 ? `${seconds}s` : ""}`;
  return `${sign}${seconds}s`;
}
