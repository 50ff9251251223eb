// The machine a benchmark ran on, as every report states it.
import * as os from 'node:os';

export function machine(): { node: string; platform: string; cpus: number; availableParallelism: number; cpuModel: string } {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
  };
}
