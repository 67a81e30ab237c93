// The services' handle on the engine process. One engine at a time; asking for another backend restarts it.
import { createForkedEngine, type EngineClient, type EngineProcessFactory } from '../engine/host/engine-client.js';

export type EngineFactory = (options: { backend?: string }) => EngineClient;

export function defaultEngineFactory(processFactory?: EngineProcessFactory): EngineFactory {
  return ({ backend }) => createForkedEngine({ backend, ...(processFactory ? { factory: processFactory } : {}) });
}

export class EnginePool {
  private client: EngineClient | null = null;
  private backend: string | undefined;

  constructor(private readonly factory: EngineFactory) {}

  async get(backend?: string): Promise<EngineClient> {
    if (this.client && this.backend !== backend) {
      await this.client.close();
      this.client = null;
    }
    if (!this.client) {
      this.client = this.factory({ backend });
      this.backend = backend;
    }
    return this.client;
  }

  /** The running engine, without starting one. */
  peek(): EngineClient | null {
    return this.client;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.close();
  }
}
