import { startStack } from '@gantry/testing';
void (async () => {
  const stack = await startStack({ gpus: 2, stepMs: 60 });
  console.log(JSON.stringify({ url: stack.url, key: stack.adminKey }));
  process.on('SIGTERM', async () => { await stack.close(); process.exit(0); });
  setInterval(() => {}, 1000);
})();
