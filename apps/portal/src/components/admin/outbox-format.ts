/** A piece of a mail's text: plain, or a web address to render as a link. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// Stops before whitespace and the brackets or quotes that often wrap a link in plain text.
const url = /https?:\/\/[^\s<>"'()[\]]+/g;
// A sentence's full stop or comma after a link is not part of it.
const trailing = /[.,;:!?]+$/;

/** Splits plain text into text and http(s) links, so links in a mail body can be clicked. */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(url)) {
    const start = match.index;
    const href = match[0].replace(trailing, '');
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', text: href, href });
    last = start + href.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}
