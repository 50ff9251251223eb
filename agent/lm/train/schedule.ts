// The learning rate of a step: linear warm-up from 0, then constant or a cosine down to minLr at the last step.
// Steps count from 1 (the first update uses learningRate(1)).
export interface ScheduleOptions {
  steps: number;
  lr: number;
  warmupSteps: number;
  schedule: 'cosine' | 'constant';
  minLr: number;
}

export function learningRate(step: number, s: ScheduleOptions): number {
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  switch (s.schedule) {
    case 'constant':
      return s.lr;
    case 'cosine': {
      const span = s.steps - s.warmupSteps;
      if (span <= 0) return s.lr;
      // progress 0 right after warm-up, 1 at the last step.
      const progress = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
      return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress));
    }
    default: {
      const never: never = s.schedule;
      throw new Error(`unknown schedule ${String(never)}`);
    }
  }
}
