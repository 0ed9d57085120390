/**
 * Max Memory Used of an environment: the peak resident set (VmHWM) of its runtime
 * process, read from procfs through one open descriptor (pread at 0 regenerates the
 * file). A cgroup's memory.peak can replace it once environments get their own cgroup.
 */
import fs from 'node:fs';

export class PeakMemory {
  private fd = -1;
  private readonly buf = Buffer.allocUnsafe(4096);
  private peakMB = 0;

  /** Starts watching a process; without procfs the peak stays 0. */
  open(pid: number): void {
    try {
      this.fd = fs.openSync(`/proc/${pid}/status`, 'r');
    } catch {
      this.fd = -1;
    }
  }

  /** Reads the current peak (MB, rounded up) and returns the highest seen. */
  read(): number {
    if (this.fd < 0) return this.peakMB;
    try {
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, 0);
      const at = this.buf.indexOf('VmHWM:');
      if (at >= 0 && at < n) {
        const kb = Number.parseInt(this.buf.toString('latin1', at + 6, Math.min(n, at + 40)).trim(), 10);
        if (Number.isFinite(kb)) this.peakMB = Math.max(this.peakMB, Math.ceil(kb / 1024));
      }
    } catch {
      // the process is gone: keep the last value
    }
    return this.peakMB;
  }

  /** The highest value read so far. */
  get lastMB(): number {
    return this.peakMB;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}
