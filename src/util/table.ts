// Columns padded to their widest cell, two spaces apart, the last one unpadded: kubectl's
// table look, for --dry-run plans and `status`.
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n`;
}
