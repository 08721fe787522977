import { Redis } from 'ioredis';
import { ManualClock } from '@gantry/domain';
import { createPrisma, ensureTenant, insertApiKey, type Db } from '@gantry/db';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { createTestDatabase, redisTestPrefix, TEST_REDIS_URL, waitUntil, type TestDatabase } from '@gantry/testing';
import { generateApiKey } from './api-key-format';
import { KeyDirectory, type KeyDirectoryOptions } from './key-directory';

/** The per-instance key cache: what it caches, and how revocations reach every instance. */
describe('KeyDirectory', () => {
  const scope = redisTestPrefix();
  let database: TestDatabase;
  let db: Db;
  const opened: { dir: KeyDirectory; sub: Redis }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPrisma(database.url);
  });
  afterEach(async () => {
    for (const { dir, sub } of opened.splice(0)) {
      await dir.stop();
      sub.disconnect();
    }
  });
  afterAll(async () => {
    await db.$disconnect();
    await database.drop();
  });

  async function directory(ttlMs: number, extra: Partial<KeyDirectoryOptions> = {}): Promise<KeyDirectory> {
    const sub = new Redis(TEST_REDIS_URL);
    const dir = new KeyDirectory({ db, redis: scope.redis, subscriber: sub, prefix: scope.prefix, ttlMs, logger: silentLogger(), metrics: createMetricsRegistry('api', { processMetrics: false }), ...extra });
    await dir.start();
    opened.push({ dir, sub });
    return dir;
  }

  async function newKey() {
    const tenant = await ensureTenant(db, 'cache');
    const generated = generateApiKey();
    const row = await insertApiKey(db, { tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash, scopes: ['read'] });
    return { id: row.id, prefix: generated.prefix };
  }

  it('caches found keys for the TTL, and evicts them on every instance when one announces a revocation', async () => {
    const a = await directory(60_000);
    const b = await directory(60_000);
    const key = await newKey();
    expect((await a.find(key.prefix))?.revokedAt).toBeNull();
    expect((await b.find(key.prefix))?.revokedAt).toBeNull();
    const revokedOnB: string[] = [];
    b.onRevoked((id) => revokedOnB.push(id));

    // Changed behind the directories' backs: both still serve the cached row.
    const at = new Date();
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: at } });
    expect((await b.find(key.prefix))?.revokedAt).toBeNull();

    await a.announceRevocation(key.id, at);
    expect((await a.find(key.prefix))?.revokedAt).toEqual(at); // at once on the announcing instance
    await waitUntil(async () => ((await b.find(key.prefix))?.revokedAt ? true : undefined), 15_000, 50);
    expect(revokedOnB).toEqual([key.id]);
  });

  it('remembers unknown keys for the negative TTL only, apart from known ones', async () => {
    const clock = new ManualClock(1_000_000);
    const metrics = createMetricsRegistry('api', { processMetrics: false });
    const dir = await directory(60_000, { negativeTtlMs: 2000, maxEntries: 3, clock, metrics });
    const lookups = async (result: string) => (await metrics.getSingleMetric('gantry_auth_key_lookups_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    const known = await newKey();
    expect(await dir.find(known.prefix)).not.toBeNull();

    const generated = generateApiKey();
    expect(await dir.find(generated.prefix)).toBeNull();
    const tenant = await ensureTenant(db, 'cache');
    await insertApiKey(db, { tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash, scopes: ['read'] });
    // Within the negative TTL the key is still unknown here, without a query.
    clock.advance(1999);
    expect(await dir.find(generated.prefix)).toBeNull();
    expect(await lookups('unknown_hit')).toBe(1);
    clock.advance(1);
    expect(await dir.find(generated.prefix)).not.toBeNull();

    // A flood of unknown keys evicts unknown keys, never the known ones.
    for (let i = 0; i < 10; i++) expect(await dir.find(generateApiKey().prefix)).toBeNull();
    const missesBefore = await lookups('miss');
    expect(await dir.find(known.prefix)).not.toBeNull();
    expect(await lookups('miss')).toBe(missesBefore);
  });

  it('never caches unknown keys without a negative TTL, and caches nothing with a TTL of 0', async () => {
    const dir = await directory(60_000);
    const generated = generateApiKey();
    expect(await dir.find(generated.prefix)).toBeNull();
    const tenant = await ensureTenant(db, 'cache');
    await insertApiKey(db, { tenantId: tenant.id, prefix: generated.prefix, hash: generated.hash, scopes: ['read'] });
    expect(await dir.find(generated.prefix)).not.toBeNull();

    const uncached = await directory(0);
    const key = await newKey();
    expect((await uncached.find(key.prefix))?.revokedAt).toBeNull();
    await db.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    expect((await uncached.find(key.prefix))?.revokedAt).not.toBeNull();
  });

  it('tells listeners when a grace period ends, not before', async () => {
    const dir = await directory(60_000);
    const key = await newKey();
    const seen: string[] = [];
    dir.onRevoked((id) => seen.push(id));
    await dir.announceRevocation(key.id, new Date(Date.now() + 3_600_000));
    expect(seen).toEqual([]);
    await dir.announceRevocation(key.id, new Date(Date.now() + 200));
    await waitUntil(async () => (seen.length > 0 ? true : undefined), 15_000, 20);
    expect(seen).toEqual([key.id]);
  });
});
