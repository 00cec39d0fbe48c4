/**
 * #17 item 5: the CI recipes in examples/ci (and docs/ci.md, which shows them verbatim) are
 * pipelines their CI accepts and use only what the image and the CLI provide: the YAML parses,
 * the keys each recipe relies on are there, every IOTHINX_SIM_* name is one the CLI reads with a
 * value it accepts, the health command is the image's, and every shell script parses (bash -n).
 * What ran on this machine and what did not is in docs/ci.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseStart } from '../../src/cli/args.js';
import { ALLOWED_HOSTS_ENV, FLEET_ENV, parseWithEnv, START_ENV } from '../../src/cli/env.js';

const root = new URL('../../', import.meta.url);
const text = (path: string) => readFileSync(new URL(path, root), 'utf8');
const GITHUB = 'examples/ci/github-actions.yml';
const GITLAB = 'examples/ci/gitlab-ci.yml';
const TESTCONTAINERS = 'examples/ci/testcontainers.test.mjs';

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string };
type Service = { image: string; ports?: string[]; env?: Record<string, string>; options?: string } & Record<string, unknown>;
type GithubJob = { 'runs-on': string; services?: Record<string, Service>; steps: Step[] };
type GitlabService = { name: string; alias: string; command?: string[]; variables?: Record<string, string> };
type GitlabJob = { stage: string; image: string; services?: GitlabService[]; variables?: Record<string, string>; script: string[]; after_script?: string[] };

/** bash -n: the script parses as the runner's shell would take it. */
function bashParses(script: string): void {
  execFileSync('bash', ['-n'], { input: script });
}

/** The image's health command: the path the Dockerfile copies deploy/container/healthcheck.cjs to. */
function imageHealthcheck(): string {
  const m = /COPY deploy\/container\/healthcheck\.cjs (\S+)/.exec(text('Dockerfile'));
  expect(m, 'the Dockerfile copies the health check').not.toBeNull();
  return m![1]!;
}

/** The variables are ones `start` reads, and their values parse as its flags would. */
function startAccepts(env: Record<string, string>): void {
  for (const name of Object.keys(env)) expect(Object.keys(START_ENV).concat(ALLOWED_HOSTS_ENV), name).toContain(name);
  expect(() => parseWithEnv([], START_ENV, parseStart, env)).not.toThrow();
}

describe('docs/ci.md', () => {
  it('shows each example file as it is', () => {
    const doc = text('docs/ci.md');
    for (const file of [GITHUB, GITLAB, TESTCONTAINERS]) expect(doc, file).toContain(`\n${text(file)}\`\`\`\n`);
  });
});

describe('GitHub Actions recipe', () => {
  const workflow = parse(text(GITHUB)) as { name: string; on: unknown; jobs: Record<string, GithubJob> };

  it('is a workflow: on, jobs with runs-on and steps that each run or use one thing', () => {
    expect(workflow.on).toEqual(['push', 'pull_request']);
    expect(Object.keys(workflow.jobs)).toEqual(['service-container', 'npx']);
    for (const [id, job] of Object.entries(workflow.jobs)) {
      expect(job['runs-on'], id).toBe('ubuntu-latest');
      for (const step of job.steps) {
        expect(Number(step.run !== undefined) + Number(step.uses !== undefined), `${id}: ${JSON.stringify(step)}`).toBe(1);
        if (step.run !== undefined) bashParses(step.run);
      }
    }
  });

  it('gives the service container only keys GitHub takes (no command), the image’s variables and its health check', () => {
    const service = workflow.jobs['service-container']!.services!.iothinx!;
    // jobs.<id>.services.<id>: image, credentials, env, ports, volumes, options; nothing else.
    for (const key of Object.keys(service)) expect(['image', 'credentials', 'env', 'ports', 'volumes', 'options']).toContain(key);
    expect(service.ports).toEqual(['502:502', '8080:80', '1883:1883', '161:161/udp']);
    startAccepts(service.env!);
    expect(service.options).toContain(`--health-cmd "node ${imageHealthcheck()}"`);
  });

  it('starts the npm package in a step with a ready file, then waits on the readiness route', () => {
    const step = workflow.jobs.npx!.steps.find((s) => s.name === 'Start a virtual ioThinx 4510')!;
    const line = step.run!.split('\n').find((l) => l.startsWith('npx iothinx-sim start'))!;
    const argv = line.replace(/\s*>.*$/, '').split(/\s+/).slice(3).map((a) => a.replace(/^"|"$/g, ''));
    const options = parseStart(argv);
    expect(options.readyFile).toBe('$RUNNER_TEMP/iothinx.json');
    expect(options).toMatchObject({ clock: 'manual', mqtt: 'embedded' });
    // The later steps use the addresses `start` defaults to.
    expect(options.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(options.modbus).toEqual({ host: '127.0.0.1', port: 5020 });
    expect(step.run).toContain('http://127.0.0.1:8080/sim/v1/health/ready');
  });
});

describe('GitLab CI recipe', () => {
  const pipeline = parse(text(GITLAB)) as Record<string, unknown> & { stages: string[] };
  const jobs = Object.fromEntries(Object.entries(pipeline).filter(([key]) => key !== 'stages')) as Record<string, GitlabJob>;

  it('is a pipeline: stages, and jobs with a stage, an image and a script', () => {
    expect(pipeline.stages).toEqual(['test']);
    expect(Object.keys(jobs)).toEqual(['test-with-service', 'test-with-npx']);
    for (const [id, job] of Object.entries(jobs)) {
      expect(job.stage, id).toBe('test');
      expect(job.image, id).toBe('node:20');
      bashParses([...job.script, ...(job.after_script ?? [])].join('\n'));
    }
  });

  it('runs a fleet as the service, reached by its alias, which the Host guard is told about', () => {
    const [service] = jobs['test-with-service']!.services!;
    expect(service).toMatchObject({ alias: 'iothinx', command: ['fleet', '--count', '10', '--gateway', '0.0.0.0:502'] });
    for (const name of Object.keys(service!.variables!)) expect(Object.keys(FLEET_ENV).concat(ALLOWED_HOSTS_ENV), name).toContain(name);
    expect(service!.variables![ALLOWED_HOSTS_ENV]!.split(',')).toContain(service!.alias);
    expect(jobs['test-with-service']!.script.join('\n')).toContain(`http://${service!.alias}/fleet/v1/health`);
  });

  it('starts the npm package in the script with a ready file', () => {
    const line = jobs['test-with-npx']!.script.find((l) => l.startsWith('npx iothinx-sim start'))!;
    const argv = line.replace(/\s*>.*$/, '').split(/\s+/).slice(3);
    expect(parseStart(argv)).toMatchObject({ readyFile: '/tmp/iothinx.json', clock: 'manual', mqtt: 'embedded' });
  });
});
