// A small reproducible ustar writer and a strict reader, plus gzip with a fixed header. Same entries in,
// same bytes out: sorted paths, mtime 0, uid/gid 0, no user or group names, fixed modes.
import { gunzipSync, gzipSync } from "node:zlib";
import { compareText } from "../../modules/stack_index.ts";

export interface TarEntry {
  /** Relative path, `/`-separated; directories without a trailing slash. */
  readonly path: string;
  readonly type: "file" | "directory";
  /** File content (files only). */
  readonly data?: Uint8Array;
}

const BLOCK = 512;
/** GNU tar's default record size: archives are padded to a multiple of it. */
const RECORD = 20 * BLOCK;
const FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL terminator.
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function put(header: Uint8Array, offset: number, width: number, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > width) throw new Error(`tar header field too long: ${text}`);
  header.set(bytes, offset);
}

/** ustar splits long paths into prefix (155) + name (100) at a `/`. */
function splitPath(path: string): [string, string] {
  if (encoder.encode(path).length <= 100) return ["", path];
  for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100 && name !== "") {
      return [prefix, name];
    }
  }
  throw new Error(`path too long for ustar: ${path}`);
}

function checkPath(path: string): void {
  if (
    path === "" || path.startsWith("/") ||
    path.split("/").some((part) => part === ".." || part === "" || part === ".")
  ) {
    throw new Error(`unsafe or malformed archive path: ${JSON.stringify(path)}`);
  }
}

function header(entry: TarEntry): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const directory = entry.type === "directory";
  const [prefix, name] = splitPath(directory ? `${entry.path}/` : entry.path);
  put(block, 0, 100, name);
  put(block, 100, 8, octal(directory ? DIRECTORY_MODE : FILE_MODE, 8));
  put(block, 108, 8, octal(0, 8));
  put(block, 116, 8, octal(0, 8));
  put(block, 124, 12, octal(directory ? 0 : entry.data?.length ?? 0, 12));
  put(block, 136, 12, octal(0, 12));
  put(block, 148, 8, "        ");
  put(block, 156, 1, directory ? "5" : "0");
  put(block, 257, 6, "ustar\0");
  put(block, 263, 2, "00");
  put(block, 345, 155, prefix);
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** The ustar bytes of `entries`, sorted by path (byte order); a directory entry precedes its contents. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => compareText(a.path, b.path));
  for (let i = 0; i < sorted.length; i++) {
    checkPath(sorted[i].path);
    if (i > 0 && sorted[i].path === sorted[i - 1].path) {
      throw new Error(`duplicate archive path: ${sorted[i].path}`);
    }
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const entry of sorted) {
    const head = header(entry);
    parts.push(head);
    size += head.length;
    if (entry.type === "file") {
      const data = entry.data ?? new Uint8Array();
      const padded = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
      padded.set(data);
      parts.push(padded);
      size += padded.length;
    }
  }
  const total = Math.ceil((size + 2 * BLOCK) / RECORD) * RECORD;
  const archive = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    archive.set(part, offset);
    offset += part.length;
  }
  return archive;
}

function field(block: Uint8Array, offset: number, width: number): string {
  const bytes = block.subarray(offset, offset + width);
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function octalField(block: Uint8Array, offset: number, width: number): number {
  const text = field(block, offset, width).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error(`corrupt tar header: bad number ${JSON.stringify(text)}`);
  return text === "" ? 0 : parseInt(text, 8);
}

/**
 * The entries of a ustar archive. Strict: checksums are verified, only regular files and directories are
 * accepted, and absolute paths or `..` are rejected (an archive cannot write outside its folder).
 */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const stored = octalField(block, 148, 8);
    const copy = block.slice();
    copy.fill(0x20, 148, 156);
    if (copy.reduce((total, byte) => total + byte, 0) !== stored) {
      throw new Error(`corrupt tar header at byte ${offset}: checksum mismatch`);
    }
    const prefix = field(block, 345, 155);
    const rawName = field(block, 0, 100);
    const path = (prefix ? `${prefix}/${rawName}` : rawName).replace(/\/$/, "");
    const typeFlag = String.fromCharCode(block[156] || 0x30);
    const size = octalField(block, 124, 12);
    offset += BLOCK;
    checkPath(path);
    if (typeFlag === "5") {
      entries.push({ path, type: "directory" });
    } else if (typeFlag === "0") {
      if (offset + size > archive.length) throw new Error(`truncated archive: ${path}`);
      entries.push({ path, type: "file", data: archive.slice(offset, offset + size) });
      offset += Math.ceil(size / BLOCK) * BLOCK;
    } else {
      throw new Error(
        `unsupported archive entry ${path} (type ${JSON.stringify(typeFlag)}): only files and folders`,
      );
    }
  }
  return entries;
}

/** Gzip with a reproducible header: mtime 0 (zlib's default), OS byte "unknown" (255) on every platform. */
export function gzip(data: Uint8Array): Uint8Array {
  const compressed = new Uint8Array(gzipSync(data, { level: 9 }));
  compressed[9] = 255;
  return compressed;
}

export function gunzip(data: Uint8Array): Uint8Array {
  return new Uint8Array(gunzipSync(data));
}
