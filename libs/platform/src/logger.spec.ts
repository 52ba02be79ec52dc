import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger } from './logger';

function capture(level: string) {
  const lines: { level: number; msg: string; context?: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, nest: new PinoNestLogger(pino({ level }, sink)) };
}

describe('PinoNestLogger', () => {
  it("keeps Nest's start-up chatter (modules, routes) out of info and lets the rest through", () => {
    const { lines, nest } = capture('info');
    nest.log('Mapped {/v3/volumes, GET} route', 'RouterExplorer');
    nest.log('ApiModule dependencies initialized', 'InstanceLoader');
    nest.log('VolumesController {/v3/volumes}:', 'RoutesResolver');
    nest.log('Nest application successfully started', 'NestApplication');
    nest.warn('careful', 'Somewhere');
    expect(lines.map((l) => l.msg)).toEqual(['Nest application successfully started', 'careful']);
  });

  it('shows the start-up chatter at debug', () => {
    const { lines, nest } = capture('debug');
    nest.log('Mapped {/v3/volumes, GET} route', 'RouterExplorer');
    expect(lines).toEqual([expect.objectContaining({ level: 20, msg: 'Mapped {/v3/volumes, GET} route', context: 'RouterExplorer' })]);
  });
});
