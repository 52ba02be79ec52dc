import { pyTupleRepr } from './repr';

describe('pyTupleRepr prints a tuple as Python repr() does', () => {
  it('pyTupleRepr prints parentheses and a trailing comma for one item', () => {
    expect(pyTupleRepr(['a', 'b'])).toBe("('a', 'b')");
    expect(pyTupleRepr(['a'])).toBe("('a',)");
  });
});
