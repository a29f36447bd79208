/** One problem with one environment variable. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * Thrown when the environment does not describe a valid configuration. The
 * message names every variable at fault, so an operator can fix them in one go.
 */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `Invalid configuration for ${service}:\n` +
        problems.map((problem) => `  - ${problem.variable}: ${problem.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
