import { migrationPhase, MigrationRowStatus, resourceStatusOf, rowStatusesOf } from './migration-resource';

describe('the words of the volume-migrations resource', () => {
  it('when a row is under way (starting, migrating, completing), then its status is running; the others keep their word', () => {
    const rows: MigrationRowStatus[] = ['starting', 'migrating', 'completing', 'success', 'error', 'cancelling', 'cancelled'];
    expect(rows.map(resourceStatusOf)).toEqual(['running', 'running', 'running', 'success', 'error', 'cancelling', 'cancelled']);
    expect(rowStatusesOf('running')).toEqual(['starting', 'migrating', 'completing']);
    expect(rowStatusesOf('cancelled')).toEqual(['cancelled']);
  });

  it.each([
    ['starting', null, 'scheduling', 'scheduling'],
    ['migrating', null, 'scheduling', 'scheduling'],
    ['migrating', 'host-assisted', 'scheduling', 'creating-destination'],
    ['migrating', 'host-assisted', 'creating-destination', 'creating-destination'],
    ['migrating', 'host-assisted', 'copying', 'copying'],
    ['migrating', 'driver-assisted', 'scheduling', 'copying'],
    ['migrating', 'compute-swap', 'copying', 'swapping'],
    ['completing', 'host-assisted', 'copying', 'completing'],
    ['cancelling', 'host-assisted', 'copying', 'copying'],
    ['success', 'host-assisted', 'copying', 'done'],
    ['error', 'compute-swap', 'swapping', 'done'],
    ['cancelled', 'host-assisted', 'copying', 'done'],
  ] as const)('when the row is %s, mode %s, recorded phase %s, then the phase is %s', (status, mode, phase, expected) => {
    expect(migrationPhase({ status, mode, phase })).toBe(expected);
  });
});
