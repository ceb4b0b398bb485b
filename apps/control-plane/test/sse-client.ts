/**
 * A minimal Server-Sent Events reader for tests of `GET /notifications/stream`: `app.inject`
 * cannot read a response that stays open, so tests listen on an ephemeral port and read with fetch.
 */

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** Comment lines received (heartbeats). */
  comments: number;
  /** Resolves when the server ends the stream (or the connection fails). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Waits for the first event after `from` (index) that matches; rejects after `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, timeoutMs: number, from?: number): Promise<SseEvent>;
  /** Waits until `condition` holds (checked on every chunk); rejects after `timeoutMs`. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** The client goes away. */
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let ended = false;
  const stream: SseStream = {
    status: res.status,
    headers: res.headers,
    events: [],
    comments: 0,
    ended: Promise.resolve(),
    isEnded: () => ended,
    async next(match, timeoutMs, from = 0) {
      let found: SseEvent | undefined;
      await stream.until(
        () => {
          found = stream.events.slice(from).find(match);
          return found !== undefined;
        },
        timeoutMs,
        'a matching event',
      );
      if (!found) throw new Error('unreachable');
      return found;
    },
    until(condition, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (condition()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${what}: not within ${timeoutMs} ms (events: ${JSON.stringify(stream.events.map((e) => e.data.slice(0, 120)))})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      abort.abort();
    },
  };
  if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    ended = true;
    return stream;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  stream.ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              stream.comments += 1;
              continue;
            }
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            fields += 1;
            if (name === 'id') id = value;
            else if (name === 'event') event = value;
            else if (name === 'data') data.push(value);
          }
          if (fields > 0 && data.length > 0) stream.events.push({ id, event, data: data.join('\n') });
        }
        notify();
      }
    } catch {
      // aborted by the client, or the connection dropped
    } finally {
      ended = true;
      notify();
    }
  })();
  return stream;
}
