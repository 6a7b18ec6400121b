/**
 * How the cost-model registry reads its files (ONNX models, sidecars,
 * calibrations): an interface, so cost/ never touches the file system itself
 * and runs the same in the language server, the CLI and tests. The edges pass
 * server/src/io/modelFiles.ts `diskModelFiles`.
 */
export interface ModelFiles {
  /**
   * A string that changes whenever the file does (path, size, modification
   * time): the registry reuses a loaded model while it stays the same.
   * Rejects (with the errno error) when the file cannot be inspected.
   */
  identity(path: string): Promise<string>;
  /**
   * The file's bytes, at most `maxBytes`, never from a device (a named pipe is
   * accepted: model paths come only from trusted settings or the command line);
   * or why not, as words ("no such file", "it is larger than 64 MiB").
   */
  read(path: string, maxBytes: number): Promise<{ bytes: Uint8Array } | { why: string }>;
}
