import { Redis } from 'ioredis';
import { FileAccessError } from '@mixnsqueeze/core/errors';
import { type QueueUrl, redactUrls } from './queue-url.ts';

/**
 * Connects once, without retrying, and pings: a wrong host, port or password is an error now,
 * with the URL shown without its password, instead of a coordinator or worker that retries forever.
 */
export async function reachQueue(url: QueueUrl): Promise<void> {
  const client = new Redis({ ...url.connection, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 10_000 });
  // Errors come back through connect()/ping(); the event would only repeat them.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const secrets = url.connection.password ? [url.connection.password] : [];
    throw new FileAccessError(`cannot use the queue at ${url.display}: ${redactUrls((e as Error).message, secrets)}; check the URL, the password and that redis-server runs there.`);
  } finally {
    client.disconnect();
  }
}
