/** Listener bookkeeping shared by the transports (a tiny typed emitter: one event each). */
export class TransportEvents {
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly lostListeners: ((error: Error) => void)[] = [];

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onLost(listener: (error: Error) => void): void {
    this.lostListeners.push(listener);
  }

  emitData(chunk: Buffer): void {
    for (const listener of this.dataListeners) listener(chunk);
  }

  emitLost(error: Error): void {
    for (const listener of this.lostListeners) listener(error);
  }
}
