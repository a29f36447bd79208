import { readFileSync } from 'node:fs';
import { ConfigError } from '@hub/config';
import { DeploymentMapping, deploymentMappingSchema } from '@hub/newstore';

/** Reads and validates the mapping file; every problem is reported with its JSON path. */
export function loadMappingFile(path: string): DeploymentMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('enricher', [
      { variable: 'ENRICHER_MAPPING_FILE', message: `cannot read ${path}: ${(error as Error).message}` },
    ]);
  }
  const parsed = deploymentMappingSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      'enricher',
      parsed.error.issues.map((issue) => ({
        variable: 'ENRICHER_MAPPING_FILE',
        message: `${path} at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      })),
    );
  }
  return parsed.data;
}
