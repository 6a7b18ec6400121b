/**
 * GPU presets for `devices.type`. Numbers are vendor spec-sheet figures:
 * memory in bytes (decimal GB as sold, except where the driver-reported size is
 * known), HBM bandwidth in GB/s, L2 in bytes, link bandwidths in GB/s per
 * direction.
 *
 * Sources:
 * - H100 SXM5: NVIDIA H100 Tensor Core GPU datasheet (80 GB HBM3, 3.35 TB/s,
 *   50 MB L2, 132 SMs, NVLink4 900 GB/s bidirectional = 450 GB/s/dir). Memory is
 *   the driver-reported 85,017,493,504 B from models/data/h100/env.json.
 *   Network: one 400 Gb/s NDR InfiniBand NIC per GPU (DGX H100) = 50 GB/s/dir.
 * - H200 SXM: NVIDIA H200 datasheet (141 GB HBM3e, 4.8 TB/s, NVLink4 900 GB/s
 *   bidirectional); same L2, SMs and NIC as H100 SXM.
 * - A100 SXM4 80 GB / 40 GB: NVIDIA A100 datasheet (2,039 / 1,555 GB/s, 40 MB
 *   L2, 108 SMs, NVLink3 600 GB/s bidirectional = 300/dir); DGX A100 has one
 *   200 Gb/s HDR NIC per GPU = 25 GB/s/dir.
 * - V100 SXM2 32 GB: NVIDIA V100 datasheet (900 GB/s HBM2, 6 MB L2, 80 SMs,
 *   NVLink2 300 GB/s bidirectional = 150/dir); DGX-1/2 era 100 Gb/s EDR = 12.5 GB/s.
 * - L40S: NVIDIA L40S datasheet (48 GB GDDR6, 864 GB/s, 96 MB L2, 142 SMs, no
 *   NVLink: PCIe Gen4 x16 = 32 GB/s/dir); assumed 200 Gb/s NIC = 25 GB/s.
 * - host_memory_bytes (DDR per GPU, for UVM-held weights): the system memory of
 *   the vendor's 8-GPU server divided by 8: DGX H100/H200 2 TB → 256 GB;
 *   DGX A100 640 GB model 2 TB → 256 GB, 320 GB model 1 TB → 128 GB; DGX-1
 *   (V100) 512 GB → 64 GB; L40S servers vary, TorchRec's default DDR_CAP of
 *   128 GiB per rank rounded to 128 GB.
 * See also docs/research/perf-models.md §3.1.
 */
import type { DeviceSpec } from './types';

export type PresetNumbers = Omit<DeviceSpec, 'type' | 'count' | 'perHost' | 'reserve'>;

const GB = 1e9;
const MB = 1e6;

export const GPU_PRESETS: Readonly<Record<string, PresetNumbers>> = {
  'H100-80GB': { memoryBytes: 85_017_493_504, hbmGBps: 3350, l2Bytes: 50 * MB, sms: 132, nvlinkGBps: 450, networkGBps: 50, hostMemoryBytes: 256 * GB },
  'H200-141GB': { memoryBytes: 141 * GB, hbmGBps: 4800, l2Bytes: 50 * MB, sms: 132, nvlinkGBps: 450, networkGBps: 50, hostMemoryBytes: 256 * GB },
  'A100-80GB': { memoryBytes: 80 * GB, hbmGBps: 2039, l2Bytes: 40 * MB, sms: 108, nvlinkGBps: 300, networkGBps: 25, hostMemoryBytes: 256 * GB },
  'A100-40GB': { memoryBytes: 40 * GB, hbmGBps: 1555, l2Bytes: 40 * MB, sms: 108, nvlinkGBps: 300, networkGBps: 25, hostMemoryBytes: 128 * GB },
  'V100-32GB': { memoryBytes: 32 * GB, hbmGBps: 900, l2Bytes: 6 * MB, sms: 80, nvlinkGBps: 150, networkGBps: 12.5, hostMemoryBytes: 64 * GB },
  'L40S-48GB': { memoryBytes: 48 * GB, hbmGBps: 864, l2Bytes: 96 * MB, sms: 142, nvlinkGBps: 32, networkGBps: 25, hostMemoryBytes: 128 * GB },
};

/** The numbers a GPU type without a preset must give (host memory has a default). */
export const CUSTOM_GPU_FIELDS: readonly (keyof PresetNumbers)[] = ['memoryBytes', 'hbmGBps', 'l2Bytes', 'sms', 'nvlinkGBps', 'networkGBps'];
/** Host memory per GPU of a custom GPU type unless given: TorchRec's DDR_CAP default, 128 GiB per rank. */
export const CUSTOM_HOST_MEMORY_BYTES = 128 * 2 ** 30;

/** Keys a `devices:` mapping may use to override a preset number. */
export const PRESET_OVERRIDE_KEYS: Readonly<Record<keyof PresetNumbers, string>> = {
  memoryBytes: 'memory_bytes',
  hbmGBps: 'hbm_gbps',
  l2Bytes: 'l2_bytes',
  sms: 'sms',
  nvlinkGBps: 'nvlink_gbps',
  networkGBps: 'network_gbps',
  hostMemoryBytes: 'host_memory_bytes',
};
