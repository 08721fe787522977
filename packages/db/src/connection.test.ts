import { parseDatabaseUrl, quoteIdent, withDatabase } from './connection.js';

describe('parseDatabaseUrl', () => {
  it('splits off Prisma-only parameters and decodes the database name', () => {
    const parsed = parseDatabaseUrl('postgresql://u:p@db:5433/my%20db?schema=tenant_a&connection_limit=5&pool_timeout=2&connect_timeout=3&sslmode=require');
    expect(parsed).toEqual({
      connectionString: 'postgresql://u:p@db:5433/my%20db?sslmode=require',
      database: 'my db',
      schema: 'tenant_a',
    });
  });

  it('refuses URLs that are not PostgreSQL or name no database', () => {
    expect(() => parseDatabaseUrl('mysql://localhost/x')).toThrow(/Not a PostgreSQL URL/);
    expect(() => parseDatabaseUrl('postgresql://localhost')).toThrow(/names no database/);
  });
});

it('withDatabase swaps only the database', () => {
  expect(withDatabase('postgresql://postgres@127.0.0.1:5432/gantry?schema=x', 'postgres')).toBe(
    'postgresql://postgres@127.0.0.1:5432/postgres?schema=x',
  );
});

it('quoteIdent doubles embedded quotes', () => {
  expect(quoteIdent('a"b')).toBe('"a""b"');
});
