/** A small Server-Sent Events reader over fetch, for tests: parses frames as EventSource would. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Resolves with the next event, or null once the server ended the stream. */
  next(): Promise<SseMessage | null>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  const queue: SseMessage[] = [];

  function parseFrames(): void {
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      let any = false;
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') (data.push(value), (any = true));
      }
      if (any) queue.push({ id, event, data: data.join('\n') });
    }
  }

  return {
    status: res.status,
    headers: res.headers,
    async next() {
      for (;;) {
        if (queue.length) return queue.shift()!;
        if (done) return null;
        const chunk = await reader.read();
        if (chunk.done) {
          done = true;
          continue;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        parseFrames();
      }
    },
    close() {
      ac.abort();
      reader.cancel().catch(() => undefined);
    },
  };
}
