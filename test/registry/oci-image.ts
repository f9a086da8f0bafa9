// Builds a tiny but valid OCI image layout with Node built-ins only, so the
// registry tests need no container engine and no network to get an image.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export type OciImage = {
  /** Tag recorded in index.json, usable as `oci:<dir>:<tag>`. */
  tag: string;
  manifestDigest: string;
  layerDigest: string;
};

const sha256 = (data: Buffer): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** Writes `value` as a NUL-terminated, zero-padded octal field of `width` bytes. */
function octal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(`${value.toString(8).padStart(width - 1, "0")}\0`, offset, width, "ascii");
}

/**
 * A ustar archive with one regular file. Written by hand because Node has no
 * tar writer; a single short-named file only needs the basic header fields.
 */
export function tarOneFile(name: string, content: Buffer): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar name too long: ${name}`);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  octal(header, 100, 8, 0o644); // mode
  octal(header, 108, 8, 0); // uid
  octal(header, 116, 8, 0); // gid
  octal(header, 124, 12, content.length);
  octal(header, 136, 12, 0); // mtime fixed at epoch: keeps digests reproducible
  header.write("0", 156, 1, "ascii"); // typeflag: regular file
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  // Checksum is computed with the checksum field itself filled with spaces.
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");

  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  // Two zero blocks mark the end of the archive.
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** Writes the layout into `dir` (created if missing) and returns its digests. */
export async function writeOciImage(dir: string, tag = "1"): Promise<OciImage> {
  const tar = tarOneFile("hello.txt", Buffer.from("hello from the ecr-public-creds-helper tests\n"));
  // mtime 0 in the gzip header too, again for reproducible digests.
  const layer = gzipSync(tar, { level: 9 });
  layer.writeUInt32LE(0, 4);

  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha256(layer), size: layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha256(manifest),
        size: manifest.length,
        annotations: { "org.opencontainers.image.ref.name": tag },
      },
    ],
  };

  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  for (const blob of [layer, config, manifest]) {
    await writeFile(join(blobs, sha256(blob).slice("sha256:".length)), blob);
  }
  await writeFile(join(dir, "index.json"), JSON.stringify(index));
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return { tag, manifestDigest: sha256(manifest), layerDigest: sha256(layer) };
}
