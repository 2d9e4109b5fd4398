/**
 * Framework-neutral HTTP routes that plugins mount (webhooks). The kernel serves them; the plugin
 * sees the raw body bytes so it can check signatures over exactly what was sent.
 */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string>;
  params: Record<string, string>;
  rawBody: Buffer;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute path, e.g. `/hooks/github`; `:name` segments become params. */
  path: string;
  /** Bodies larger than this are refused with 413 before the handler runs. Default 25 MB. */
  maxBodyBytes?: number;
  handler(req: HttpRequest): Promise<HttpResponse>;
}

export interface PluginHttp {
  route(route: HttpRoute): void;
}
