// The few parts of the `libsql` package (the synchronous driver under @libsql/client) that libsql.ts uses; it ships no types.
declare module "libsql" {
  namespace Native {
    interface Statement {
      get(args: unknown[]): Record<string, unknown> | undefined;
    }
    interface Database {
      exec(sql: string): void;
      prepare(sql: string): Statement;
      close(): void;
    }
  }
  const Native: new (path: string) => Native.Database;
  export default Native;
}
