/**
 * Writes a file so that readers see the old or the new content, never half of
 * it: write a temp file in the same folder, fsync, rename over the original
 * (rename is atomic within one filesystem on POSIX). And never damages what it
 * replaces:
 *
 * - a symlink is written through: its target gets the new content and the
 *   link stays a link;
 * - a read-only file (no write bit in its mode; checked on the bits, since
 *   root may write anything) is refused unless `force`, and keeps its mode;
 * - anything but a regular file (a FIFO, a device, a folder) is refused;
 * - a signal (Ctrl-C, SIGTERM, SIGHUP) during the write cannot leave the temp
 *   file behind: the write is synchronous, so the signal is handled after it,
 *   and the handler then ends the process as the signal would have. Temp files
 *   of writes that were killed outright (SIGKILL) are removed by the next write
 *   in that folder;
 * - failures are WriteErrors whose message says what is wrong in words.
 */
import {
  chmodSync,
  closeSync,
  constants as fsConstants,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import * as path from 'node:path';

/** A write that did not happen; the message says why, for the user (nothing was changed). */
export class WriteError extends Error {}

export interface WriteOptions {
  /** Replace a read-only file too. */
  force?: boolean;
  /** The option that sets `force`, named in the refusal (e.g. '--force'); absent = none to offer. */
  forceOption?: string;
}

/** The signals a user or a CI runner sends to stop a command. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let signalsHooked = false;

/**
 * From the first write to the end of the process, a stop signal ends the
 * process as it would have without a handler, but only after a write in
 * progress has finished (or been cleaned up). The handler stays installed: one
 * removed right after a write could swallow a signal that arrived during it.
 */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of STOP_SIGNALS) {
    process.on(sig, function resend() {
      for (const s of STOP_SIGNALS) process.removeAllListeners(s);
      process.kill(process.pid, sig);
    });
  }
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files of earlier writes of `file` whose process is gone (killed with SIGKILL, power loss). */
function removeStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      /* someone else did */
    }
  }
}

function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** Why a write failed, in words (errno codes, not the library's text). */
function failure(err: unknown, file: string, step: 'folder' | 'file'): WriteError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const dir = path.dirname(file);
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? step === 'folder'
        ? `the folder ${dir} is not writable (permission denied)`
        : 'permission denied'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'EDQUOT'
            ? 'the disk quota is exceeded'
            : code === 'ENOENT'
              ? `the folder ${dir} does not exist`
              : code === 'EXDEV'
                ? 'the temp file and the target are on different file systems'
                : `it cannot be written (${code ?? (err instanceof Error ? err.message : String(err))})`;
  return new WriteError(`cannot write ${file}: ${why}; nothing was changed.`);
}

/** Where the bytes of `file` really go (through symlinks), after checking it may be replaced. */
function target(file: string, options: WriteOptions): { real: string; stats?: Stats } {
  let link: Stats | undefined;
  try {
    link = lstatSync(file);
  } catch {
    /* a new file */
  }
  if (!link) return { real: file };
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new WriteError(`cannot write ${file}: it is a symbolic link to a file that does not exist; nothing was changed.`);
  }
  const stats = statSync(real);
  if (!stats.isFile()) throw new WriteError(`cannot write ${file}: it is not a regular file; nothing was changed.`);
  const readOnly = (stats.mode & 0o222) === 0;
  if (readOnly && !options.force) {
    const force = options.forceOption ? ` or pass ${options.forceOption} to replace it anyway` : '';
    throw new WriteError(`cannot write ${file}: it is read-only (mode ${modeText(stats.mode)}); nothing was changed. Make it writable (chmod u+w)${force}.`);
  }
  return { real, stats };
}

export function writeFileAtomic(file: string, data: string | Uint8Array, options: WriteOptions = {}): void {
  const { real, stats } = target(file, options);
  hookSignals();
  removeStaleTemps(real);
  const tmp = tempName(real);
  const mode = stats ? stats.mode & 0o7777 : 0o644;
  let fd: number;
  try {
    // O_EXCL: never write into a file someone else put at the temp name.
    fd = openSync(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode | 0o200);
  } catch (err) {
    throw failure(err, file, 'folder');
  }
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (stats) {
      // The temp file was created writable (so it could be written); give it the original's exact mode.
      try {
        chmodSync(tmp, mode);
      } catch {
        /* best effort: the content matters more than the bits */
      }
    }
    renameSync(tmp, real);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err instanceof WriteError ? err : failure(err, file, 'file');
  }
}
