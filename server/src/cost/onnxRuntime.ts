/**
 * onnxruntime-node, loaded so that it writes nothing. When its native library
 * starts it records a device id for Microsoft's telemetry in a database under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ (the strings `deviceid` and
 * `DeveloperTools/.onnxruntime` are in libonnxruntime.so 1.30.0): a file outside
 * the extension's storage and the user's files. The library reads the
 * environment variable ORT_DISABLE_TELEMETRY when it loads; set to 1 it skips
 * that. ShardLens sends no telemetry of its own, so it is always off, whatever
 * VS Code's telemetry setting says.
 */
import { loadOnnxRuntime, type OnnxRuntime } from './learnedModel';

export function loadOnnxRuntimeWithoutTelemetry(env: NodeJS.ProcessEnv = process.env): OnnxRuntime {
  // Before the first require: the native library reads it as it loads.
  env.ORT_DISABLE_TELEMETRY = '1';
  return loadOnnxRuntime();
}
