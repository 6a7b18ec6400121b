// The processes of a code-server run (its process group) as Linux shows them in /proc: which
// one is the language server, the extension host, and which native libraries they mapped.
import { readFileSync, readdirSync } from 'node:fs';

/**
 * Processes in process group `pgid`, with their command line and the paths of the files
 * they mapped whose name contains `libFilter`.
 * @param {number} pgid @param {string} libFilter
 * @returns {{ pid: number, cmd: string, role: string, libs: string[] }[]}
 */
export function groupProcesses(pgid, libFilter) {
  const out = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after "(comm)": state ppid pgrp …
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const libs = [
        ...new Set(
          readFileSync(`/proc/${pid}/maps`, 'utf8')
            .split('\n')
            .map((l) => l.slice(l.indexOf('/')))
            .filter((p) => p.startsWith('/') && p.includes(libFilter)),
        ),
      ];
      const role = /extensionHost/.test(cmd) ? 'extension host' : /cli\.js/.test(cmd) ? 'language server' : cmd.slice(0, 60);
      out.push({ pid: Number(pid), cmd, role, libs });
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}
