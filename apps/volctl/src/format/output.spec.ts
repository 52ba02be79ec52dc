import { UsageError } from '../exit-codes';
import { Column, renderList, renderOne } from './output';

interface Row {
  id: string;
  rate: number | null;
}
const COLUMNS: Column<Row>[] = [
  { name: 'ID', value: (r) => r.id },
  { name: 'Rate', value: (r) => r.rate, human: (r) => (r.rate === null ? '' : `${r.rate} B/s`) },
];
const ROWS: Row[] = [
  { id: 'a', rate: 10 },
  { id: 'b', rate: null },
];

describe("openstackclient's formatters", () => {
  it('when a list is asked as JSON, then the column names are the keys and values stay raw', () => {
    expect(JSON.parse(renderList(ROWS, COLUMNS, { format: 'json' }))).toEqual([
      { ID: 'a', Rate: 10 },
      { ID: 'b', Rate: null },
    ]);
  });

  it('when a list is asked as values, then each row is one line of raw values', () => {
    expect(renderList(ROWS, COLUMNS, { format: 'value' })).toBe('a 10\nb ');
    expect(renderList(ROWS, COLUMNS, { format: 'value', columns: ['ID'] })).toBe('a\nb');
  });

  it('when a list is asked as a table, then it has the headings and the human cells', () => {
    const table = renderList(ROWS, COLUMNS, { format: 'table' });
    expect(table.split('\n')[1]).toMatch(/│ ID\s+│ Rate\s+│/);
    expect(table).toContain('10 B/s');
  });

  it('when -c names columns, then only those show, in that order; an unknown one is a usage error naming the choices', () => {
    expect(JSON.parse(renderList(ROWS, COLUMNS, { format: 'json', columns: ['Rate', 'ID'] }))[0]).toEqual({ Rate: 10, ID: 'a' });
    expect(Object.keys(JSON.parse(renderList(ROWS, COLUMNS, { format: 'json', columns: ['Rate', 'ID'] }))[0])).toEqual(['Rate', 'ID']);
    expect(() => renderList(ROWS, COLUMNS, { format: 'table', columns: ['Nope'] })).toThrow(new UsageError("no column 'Nope'; choose from: ID, Rate"));
  });

  it('when one resource is shown, then it is a Field/Value table, an object, or values one a line, fields sorted', () => {
    const record = { status: 'running', id: 'm1', basis: { migrations: 3 } };
    expect(renderOne(record, { format: 'table' })).toMatch(/Field\s+│ Value[\s\S]*basis\s+│ {"migrations":3}[\s\S]*id\s+│ m1[\s\S]*status\s+│ running/);
    expect(JSON.parse(renderOne(record, { format: 'json' }))).toEqual(record);
    expect(renderOne(record, { format: 'value', columns: ['id', 'status'] })).toBe('m1\nrunning');
  });
});
