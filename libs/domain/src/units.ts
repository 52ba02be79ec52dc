/** Cinder sizes volumes in GiB; bytes are what the copies and the progress count. */
export const GIB = 1024 ** 3;
