/**
 * The cost-model registry's file access on disk (cost/modelFiles.ts): what the
 * language server, the CLI and tests hand `loadCostModel` as `files`.
 */
import { promises as fs } from 'node:fs';
import type { ModelFiles } from '../cost/modelFiles';
import { readRegularFile } from './readBounded';

export const diskModelFiles: ModelFiles = {
  async identity(path) {
    const st = await fs.stat(path);
    return `${path}:${st.size}:${st.mtimeMs}`;
  },
  read(path, maxBytes) {
    return readRegularFile(path, maxBytes, { allowFifo: true });
  },
};
