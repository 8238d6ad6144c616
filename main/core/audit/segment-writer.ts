import { close, closeSync, fsync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';

const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

/**
 * The open file of the segment being written. Writes are synchronous: once {@link write}
 * returns, the bytes are in the OS page cache, which survives a kill of the process (fsync is
 * for a crash of the machine). `sync()` and `close()` are queued one after the other on the
 * thread pool, so the descriptor is never closed under an fsync still running.
 */
export class SegmentWriter {
  readonly #fd: number;
  #ops: Promise<void> = Promise.resolve();
  #closed = false;
  #dirty = false;
  /** Bytes in the file. */
  size: number;

  private constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }

  /** Creates the file (which must not exist) with mode 0600. */
  static create(file: string): SegmentWriter {
    return new SegmentWriter(openSync(file, 'wx', 0o600), 0);
  }

  /** Writes `bytes` at the end of the file; throws on failure (the file may then end in a torn line). */
  write(bytes: Buffer): void {
    if (this.#closed) throw new Error('segment writer is closed');
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done);
    this.size += bytes.length;
    this.#dirty = true;
  }

  /** Flushes written bytes to the disk (no-op when nothing was written since the last sync). */
  sync(): Promise<void> {
    if (this.#closed || !this.#dirty) return this.#ops;
    this.#dirty = false;
    const op = this.#ops.then(() => fsyncAsync(this.#fd));
    // The chain itself never rejects, so one failed fsync does not block the close.
    this.#ops = op.catch(() => {});
    return op;
  }

  /** Syncs and closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return this.#ops;
    this.#closed = true;
    const fd = this.#fd;
    const op = this.#ops.then(() => fsyncAsync(fd).finally(() => closeAsync(fd)));
    this.#ops = op.catch(() => {});
    return op;
  }

  /** Closes without waiting (after a write error, the file is abandoned). */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    const fd = this.#fd;
    this.#ops = this.#ops.then(() => closeSync(fd)).catch(() => {});
  }
}
