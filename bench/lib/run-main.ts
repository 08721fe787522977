/**
 * The way a bench ends: exit 0 when `main` resolves, print the error and exit 1 when it rejects
 * (servers and timers it left open must not keep the process alive).
 */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
