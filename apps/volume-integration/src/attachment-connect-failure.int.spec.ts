import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

const INSTANCE = '7c2e9a41-5d3b-4f6a-8e1c-0b9d2a4f6e83';

// os-brick's way of attaching (attachment_create with the connector in one call) when the volume's
// host does not answer: the caller gets a 503 and no attachment id, so nothing may stay behind.

describe('attachment create with a connector whose connect fails (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when the volume host does not answer the connect, then the create is a 503 and the volume is available again with no attachment', async () => {
    const id = await stack.createVolume({ size: 1 });
    const [{ host }] = await stack.sql(`SELECT host FROM volumes WHERE id = $1`, [id]);
    // A host nobody serves: the connect's NATS call has no responder, as while a worker is away.
    await stack.sql(`UPDATE volumes SET host = 'host-gone@file#pool1' WHERE id = $1`, [id]);
    try {
      const res = await stack.request('POST', `/v3/${PROJECT}/attachments`, {
        headers: ADMIN,
        version: '3.44',
        body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'writer' } } },
      });
      const [volume] = await stack.sql(`SELECT status, attach_status FROM volumes WHERE id = $1`, [id]);
      const attachments = await stack.sql(`SELECT id, attach_status FROM volume_attachments WHERE volume_id = $1`, [id]);
      expect({ status: res.status, fault: Object.keys(res.body ?? {}), volume, attachments }).toEqual({
        status: 503,
        fault: ['serviceUnavailable'],
        volume: { status: 'available', attach_status: 'detached' },
        attachments: [],
      });
    } finally {
      await stack.sql(`UPDATE volumes SET host = $2 WHERE id = $1`, [id, host]);
    }
  });
});
