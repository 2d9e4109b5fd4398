import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HeliosError } from '@helios-ci/sdk';

/** The JSON envelope every Vault answer carries (sdk/logical/translate_response.go). */
export interface VaultEnvelope {
  data?: Record<string, unknown> | null;
  auth?: VaultAuthBlock | null;
  errors?: string[];
  warnings?: string[] | null;
}

export interface VaultAuthBlock {
  client_token: string;
  lease_duration: number;
  renewable: boolean;
  policies?: string[];
}

export interface VaultResponse {
  status: number;
  body: VaultEnvelope;
}

export interface VaultHttpOptions {
  /** `https://vault.example.org:8200` (no trailing /v1). */
  address: string;
  /** Enterprise namespace sent as X-Vault-Namespace on every request. */
  namespace?: string;
  /** PEM CA bundle that signs Vault's certificate (replaces the system roots). */
  ca?: string;
  timeoutMs: number;
}

/**
 * The one HTTP call secrets-vault makes: JSON in, the Vault envelope out, bounded by a timeout
 * that covers connecting, waiting and reading (a Vault that accepts and never answers cannot hold
 * a job). node:http(s) directly, so a CA bundle is a plain `ca` option and there is no dependency.
 */
export class VaultHttp {
  private readonly base: URL;

  constructor(private readonly options: VaultHttpOptions) {
    this.base = new URL(options.address);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new HeliosError('E_VAULT_CONFIG', `secrets-vault: address ${options.address} must be an http:// or https:// URL`);
    }
  }

  /** `path` is relative to /v1/ and already percent-encoded per segment. */
  call(method: 'GET' | 'POST', path: string, init: { token?: string; body?: unknown; query?: Record<string, string> } = {}): Promise<VaultResponse> {
    const url = new URL(`${this.base.pathname.replace(/\/$/, '')}/v1/${path}`, this.base);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const body = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.token) headers['x-vault-token'] = init.token;
    if (this.options.namespace) headers['x-vault-namespace'] = this.options.namespace;
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const what = `${method} ${url.pathname}`;
    return new Promise<VaultResponse>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method, headers, ...(url.protocol === 'https:' && this.options.ca ? { ca: this.options.ca } : {}) }, (res) => {
        readJson(res, what).then(resolve, reject);
      });
      const timer = setTimeout(() => {
        req.destroy(new HeliosError('E_VAULT_TIMEOUT', `Vault did not answer ${what} within ${this.options.timeoutMs} ms`, { retryable: true }));
      }, this.options.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => {
        clearTimeout(timer);
        if (err instanceof HeliosError) return reject(err);
        const code = (err as NodeJS.ErrnoException).code ?? err.message;
        reject(new HeliosError('E_VAULT_UNAVAILABLE', `Vault at ${this.base.origin} cannot be reached for ${what} (${code})${/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? '; set caBundle to the CA that signed Vault\'s certificate' : ''}`, { cause: err, retryable: true }));
      });
      req.end(body);
    });
  }
}

function readJson(res: IncomingMessage, what: string): Promise<VaultResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      // Nothing Helios reads is near this; a bigger answer is not Vault's.
      if (size > 8 * 1024 * 1024) res.destroy(new HeliosError('E_VAULT_INVALID_RESPONSE', `Vault's answer to ${what} is over 8 MB`));
      else chunks.push(c);
    });
    res.on('error', reject);
    res.on('end', () => {
      const status = res.statusCode ?? 0;
      const text = Buffer.concat(chunks).toString('utf8');
      if (status === 204 || text.trim() === '') return resolve({ status, body: {} });
      try {
        const body = JSON.parse(text) as unknown;
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
        resolve({ status, body: body as VaultEnvelope });
      } catch {
        // Never quote the body: it may hold a secret.
        reject(new HeliosError('E_VAULT_INVALID_RESPONSE', `Vault answered ${what} with HTTP ${status} and a body that is not a JSON object`, { upstreamStatus: status }));
      }
    });
  });
}

/** Vault's `errors` list, joined, without the multierror decoration ("1 error occurred:\n\t* ..."). */
export function vaultErrors(body: VaultEnvelope): string {
  const list = Array.isArray(body.errors) ? body.errors : [];
  return list.map((e) => String(e).replace(/^\d+ errors? occurred:\s*/, '').replace(/\s*\*\s*/g, ' ').trim()).filter(Boolean).join('; ') || 'no detail';
}
