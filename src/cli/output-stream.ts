import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Buffered text output to a file or stdout ('-' / undefined). Batches small writes into
 * 64 KiB chunks and honours back-pressure, so exporting millions of rows stays fast.
 */
export class TextOutput {
  private readonly stream: NodeJS.WritableStream;
  private readonly ownsStream: boolean;
  private buf: string[] = [];
  private bufLen = 0;

  constructor(path?: string) {
    if (!path || path === '-') {
      this.stream = process.stdout;
      this.ownsStream = false;
    } else {
      this.stream = createWriteStream(path);
      this.ownsStream = true;
    }
  }

  async line(text: string): Promise<void> {
    this.buf.push(text);
    this.bufLen += text.length + 1;
    if (this.bufLen >= 65536) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    this.bufLen = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.ownsStream) {
      const ws = this.stream as WriteStream;
      await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
  }
}
