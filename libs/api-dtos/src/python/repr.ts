import { pyRepr } from '@volume/domain';

/** repr() of a tuple, which is how Cinder lists valid statuses in its messages. */
export function pyTupleRepr(items: readonly unknown[]): string {
  return items.length === 1 ? `(${pyRepr(items[0])},)` : `(${items.map(pyRepr).join(', ')})`;
}
