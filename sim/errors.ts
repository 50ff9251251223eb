/** A scene description that cannot be built, with the JSON path of the offending value. */
export class SceneError extends Error {
  override readonly name = 'SceneError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** A misuse of the simulator's API (for example a control step that is not a whole number of physics steps). */
export class SimConfigError extends Error {
  override readonly name = 'SimConfigError';
}
