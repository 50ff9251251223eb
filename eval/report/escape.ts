// Escaping for the report renderers: text into HTML, data into an inline <script> block, text into Markdown.

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` become \u escapes, so no string in the
 * data can close the element (`</script>`) or open a comment (`<!--`); U+2028/U+2029 are escaped too.
 * JSON.parse reads the result back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JavaScript source made safe to inline in a `<script>` element: `</script` and `<!--` cannot end or confuse the
 * element. (`<\/` means the same as `</` in a string, regular expression or comment, the only places they occur.)
 */
export function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/**
 * Text made literal in Markdown, in a table cell or in running text: backslash escapes for the characters that
 * would end a cell (`|`), open raw HTML (`<`), an entity (`&`), a code span or emphasis (`_` only at a word's edge,
 * so `not_visible` stays readable: GFM never emphasises inside a word); a line break becomes a space.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\|<>&`*]/g, '\\$&')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_');
}
