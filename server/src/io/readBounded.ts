/**
 * Reading a file that someone else may have chosen (a `devices:` reference in
 * a pull request, a path on the command line) without being made to hang or
 * to fill memory:
 *
 * - opened with O_NONBLOCK, so a FIFO (named pipe) opens at once instead of
 *   waiting forever for a writer;
 * - checked with fstat on the open descriptor (not a stat of the path, which a
 *   swap between check and open would defeat): only regular files are read, so
 *   /dev/zero, /dev/stdin, sockets and FIFOs are refused;
 * - read with a byte cap, counting what actually arrives (a file can grow while
 *   it is read, and /proc files report size 0).
 *
 * The sync version serves the CLI; the language server uses the async one so
 * its event loop never waits on a disk.
 */
import { formatBytes } from '../config/byteUnits';
import { closeSync, constants as fsConstants, fstatSync, openSync, promises as fsp, readSync, type Stats } from 'node:fs';

/** Bigger files are refused rather than parsed: a config is text, not a 1 GB dump. */
export const MAX_TEXT_BYTES = 64 * 2 ** 20;

export type BoundedRead = { bytes: Buffer } | { why: string };

/** O_NONBLOCK and O_NOCTTY are POSIX-only; on Windows they are undefined and FIFOs do not exist. */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOCTTY ?? 0);
/** For a reader that accepts a FIFO: opening waits for its writer (off the event loop, async only). */
const OPEN_FLAGS_WAITING = fsConstants.O_RDONLY | (fsConstants.O_NOCTTY ?? 0);

export interface ReadOptions {
  /**
   * Accept a named pipe and wait for its writer. Only for files the user named
   * themselves (a cost model in trusted settings or on the command line), and
   * only asynchronously: the wait happens on libuv's thread pool, never on the
   * event loop. Devices, folders and oversize content are still refused.
   */
  allowFifo?: boolean;
}
const CHUNK = 64 * 1024;

/** Why a non-regular file is refused, in words for a message. */
function notRegular(st: Stats, allowFifo = false): string | undefined {
  if (st.isFile() || (allowFifo && st.isFIFO())) return undefined;
  if (st.isDirectory()) return 'it is a folder, not a file';
  if (st.isFIFO()) return 'it is a named pipe (FIFO), not a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'it is a device, not a regular file';
  if (st.isSocket()) return 'it is a socket, not a regular file';
  return 'it is not a regular file';
}

/** An errno as words for a message (never the library's text, which repeats the path). */
export function errnoWords(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENXIO':
      return 'it is a device or socket that cannot be opened';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return code ? `it cannot be read (${code})` : 'it cannot be read';
  }
}

/** Reads a regular file of at most `maxBytes` bytes, or says why not. */
export function readRegularFileSync(path: string, maxBytes = MAX_TEXT_BYTES): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    return { why: errnoWords(err) };
  }
  try {
    const st = fstatSync(fd);
    const bad = notRegular(st);
    if (bad) return { why: bad };
    if (st.size > maxBytes) return { why: `it is larger than ${formatBytes(maxBytes)}` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > maxBytes) return { why: `it is larger than ${formatBytes(maxBytes)}` };
    }
    return { bytes: Buffer.concat(chunks, total) };
  } catch (err) {
    return { why: errnoWords(err) };
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the event loop (the language server). */
export async function readRegularFile(path: string, maxBytes = MAX_TEXT_BYTES, options: ReadOptions = {}): Promise<BoundedRead> {
  if (options.allowFifo) {
    // Refuse devices before opening: opening some (a tape, a terminal) has effects of its own.
    try {
      const bad = notRegular(await fsp.stat(path), true);
      if (bad) return { why: bad };
    } catch (err) {
      return { why: errnoWords(err) };
    }
  }
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, options.allowFifo ? OPEN_FLAGS_WAITING : OPEN_FLAGS);
  } catch (err) {
    return { why: errnoWords(err) };
  }
  try {
    const st = await handle.stat();
    const bad = notRegular(st, options.allowFifo);
    if (bad) return { why: bad };
    if (st.size > maxBytes) return { why: `it is larger than ${formatBytes(maxBytes)}` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { why: `it is larger than ${formatBytes(maxBytes)}` };
    }
    return { bytes: Buffer.concat(chunks, total) };
  } catch (err) {
    return { why: errnoWords(err) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
