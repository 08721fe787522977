import type { PrismaClient } from '../generated/client.js';

/** The database handle every repository takes: a Prisma client or a transaction of one. */
export type Db = PrismaClient;
