import { formatProblem } from '../config/load.js';
import type { Profile } from '../config/profile.js';
import { isSimError, SimError } from '../errors.js';
import { checkMqttTopics } from '../mqtt/topics.js';
import { mapRows } from './map.js';

/**
 * Rules that need a service's own model (the Modbus address map: base-address overlaps; MQTT
 * topic rules against the rail: the 256-topic limit), run
 * after the schema so `validate`, `start`, `map` and PUT /sim/v1/config report them alike, with
 * the file (or request) and the path.
 */
export function checkServices(file: string, profile: Profile): Profile {
  const issues: { path: (string | number)[]; message: string }[] = [];
  try {
    mapRows(profile);
  } catch (error) {
    const mapIssues = isSimError(error, 'PROFILE_INVALID') ? (error.context.issues as typeof issues | undefined) : undefined;
    if (!mapIssues) throw error;
    issues.push(...mapIssues);
  }
  issues.push(...checkMqttTopics(profile));
  if (issues.length > 0) {
    const problems = issues.map((i) => ({ file, path: i.path.join('.'), message: i.message }));
    throw new SimError('PROFILE_INVALID', problems.map(formatProblem).join('\n'), { context: { problems, path: problems[0]?.path ?? null } });
  }
  return profile;
}
