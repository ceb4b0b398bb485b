import { createSocket, type RemoteInfo } from 'node:dgram';
import dnsPacket from 'dns-packet';

/**
 * A small authoritative DNS server on loopback (UDP) for domain verification tests: it answers
 * TXT questions from a table the test fills, NXDOMAIN for names it does not know, and records
 * every question, so `DNS_RESOLVER=<address>` sends the API's real lookups here.
 */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, the value for DNS_RESOLVER. */
  address: string;
  /** Serves these TXT strings for `name` (replacing what it served before). */
  setTxt(name: string, values: string[]): void;
  /** Stops serving `name` (NXDOMAIN again). */
  remove(name: string): void;
  /** Names asked for (lower case), in order. */
  readonly questions: string[];
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const records = new Map<string, string[]>();
  const questions: string[] = [];
  const socket = createSocket('udp4');

  socket.on('message', (message: Buffer, peer: RemoteInfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return; // not DNS: ignored, as a real server would
    }
    const question = query.questions?.[0];
    const name = question?.name.toLowerCase() ?? '';
    questions.push(name);
    const values = records.get(name);
    const known = values !== undefined;
    const answers: dnsPacket.Answer[] =
      known && question?.type === 'TXT' ? values.map((value) => ({ type: 'TXT', name: question.name, ttl: 1, class: 'IN', data: value })) : [];
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      // Authoritative answer; rcode 3 (NXDOMAIN) for an unknown name, 0 otherwise.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, peer.port, peer.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    setTxt: (name, values) => records.set(name.toLowerCase(), values),
    remove: (name) => records.delete(name.toLowerCase()),
    questions,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
