import Anser from 'anser';

export interface Span {
  text: string;
  cls: string;
  color?: string;
  background?: string;
}

// eslint-disable-next-line no-control-regex
const HAS_ESCAPE = /\u001b/;

/**
 * ANSI SGR sequences (16, 256 and 24-bit colours, bold, italic, underline...) to text spans with
 * anser. Colours are set through CSSOM by the caller (allowed under the strict CSP; style
 * attributes in markup would not be), the text only ever as a text node.
 */
export function ansiSpans(text: string): Span[] {
  if (!HAS_ESCAPE.test(text)) return [{ text, cls: '' }];
  return Anser.ansiToJson(text, { remove_empty: true }).map((p) => {
    const span: Span = { text: p.content, cls: (p.decorations ?? []).map((d) => `ansi-${d}`).join(' ') };
    const fg = p.fg_truecolor || p.fg;
    const bg = p.bg_truecolor || p.bg;
    if (fg) span.color = `rgb(${fg})`;
    if (bg) span.background = `rgb(${bg})`;
    return span;
  });
}
