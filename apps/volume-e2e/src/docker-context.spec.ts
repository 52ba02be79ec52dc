import ignore from '@balena/dockerignore';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The image's build context is the repository root. BuildKit reads deploy/Dockerfile.dockerignore, the
 * legacy builder (Debian's docker-compose 1.29) only the root .dockerignore: both must keep a
 * developer's node_modules, dist and .data (gigabytes of volume files) out, and both must let in what
 * deploy/Dockerfile copies. @balena/dockerignore matches as Docker does.
 */
const ROOT = resolve(__dirname, '../../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const patternsOf = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

const FILES = { legacy: '.dockerignore', buildkit: 'deploy/Dockerfile.dockerignore' };

/** The sources of deploy/Dockerfile's COPY instructions that read the context (not another stage). */
function copiedFromContext(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

describe('the Docker build context (repository root)', () => {
  const copied = copiedFromContext(read('deploy/Dockerfile'));

  it('when read by either builder, then the root .dockerignore and deploy/Dockerfile.dockerignore hold the same patterns', () => {
    expect(patternsOf(read(FILES.legacy))).toEqual(patternsOf(read(FILES.buildkit)));
  });

  it.each(Object.entries(FILES))('when the %s builder reads %s, then what the Dockerfile copies goes in and no build output, dependency or volume data does', (_builder, file) => {
    const ig = ignore().add(patternsOf(read(file)));
    expect([...new Set(copied)].sort()).toEqual(['apps', 'libs', 'nx.json', 'package-lock.json', 'package.json', 'tsconfig.base.json']);
    expect(copied.filter((path) => ig.ignores(path))).toEqual([]);
    expect(['apps/volume-api/src/main.ts', 'libs/domain/src/index.ts', 'deploy/Dockerfile'].filter((path) => ig.ignores(path))).toEqual([]);
    const heavy = ['.data/volumes/host-a/volume-1', 'node_modules/nx/package.json', 'apps/volume-api/node_modules/x/index.js', 'dist/apps/volume-api/main.js', '.git/HEAD', '.nx/cache/x', 'coverage/lcov.info', 'npm-debug.log'];
    expect(heavy.filter((path) => !ig.ignores(path))).toEqual([]);
  });
});
