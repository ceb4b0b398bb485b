import type { NotificationStreamEvent } from '@cbp/contracts';
import type { EventSourceFetchInit, FetchLike } from 'eventsource';

/**
 * Stands in for the `eventsource` package in every portal test (src/test/setup.ts): nothing
 * connects; a test drives a stream by hand (open, an event, an error) and can call the `fetch`
 * the portal gave it to see the request it would send.
 */
export class EventSourceDouble extends EventTarget {
  static instances: EventSourceDouble[] = [];

  static reset(): void {
    EventSourceDouble.instances = [];
  }

  /** The most recent stream the portal opened. */
  static latest(): EventSourceDouble {
    const last = EventSourceDouble.instances.at(-1);
    if (!last) throw new Error('no EventSource was opened');
    return last;
  }

  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly url: string;
  readonly fetch: FetchLike | undefined;

  constructor(url: string | URL, init?: { fetch?: FetchLike }) {
    super();
    this.url = String(url);
    this.fetch = init?.fetch;
    EventSourceDouble.instances.push(this);
  }

  close(): void {
    this.readyState = this.CLOSED;
  }

  open(): void {
    this.readyState = this.OPEN;
    this.dispatchEvent(new Event('open'));
  }

  notify(event: NotificationStreamEvent, id: string): void {
    this.dispatchEvent(new MessageEvent('notification', { data: JSON.stringify(event), lastEventId: id }));
  }

  fail(): void {
    this.dispatchEvent(new Event('error'));
  }

  /** Calls the portal's fetch as the package would; resolves with the request's headers. */
  async requestHeaders(lastEventId?: string): Promise<Headers> {
    if (!this.fetch) throw new Error('no fetch given');
    let sent: Headers | undefined;
    const original = globalThis.fetch;
    globalThis.fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent = new Headers(init?.headers);
      return new Response('', { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    try {
      const init: EventSourceFetchInit = {
        signal: undefined,
        headers: { Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
        mode: 'cors',
        cache: 'no-store',
        redirect: 'follow',
      };
      await this.fetch(this.url, init);
    } finally {
      globalThis.fetch = original;
    }
    if (!sent) throw new Error('fetch was not called');
    return sent;
  }
}
