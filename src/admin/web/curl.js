// "Copy as curl": the client's original request against this gateway, with
// its headers (credentials as environment-variable placeholders) and the body
// as a quoted heredoc, so nothing in it is expanded by the shell.

const SKIP = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'accept-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'expect']);
const CREDENTIAL = new Set(['x-api-key', 'authorization', 'x-warden-key', 'proxy-authorization', 'api-key', 'x-goog-api-key']);

/** 'it'"'"'s' quoting: safe for any text in a POSIX shell. */
export function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function placeholder(dialect) {
  return dialect === 'openai' ? '$OPENAI_API_KEY' : '$ANTHROPIC_API_KEY';
}

/** One -H argument; credentials (redacted in the record) become "$VAR" and are double-quoted. */
function headerArg(name, value, dialect) {
  const lower = name.toLowerCase();
  if (CREDENTIAL.has(lower) || String(value).includes('[redacted]')) {
    const v = placeholder(dialect);
    let text;
    if (lower === 'x-warden-key') text = `${name}: $WARDEN_KEY`;
    else if (/^bearer\b/i.test(String(value)) || lower === 'authorization') text = `${name}: Bearer ${v}`;
    else text = `${name}: ${v}`;
    // Only the placeholder may expand: escape what double quotes would interpret.
    return `"${text.replace(/["\\`]/g, '\\$&').replace(/\$(?!(ANTHROPIC_API_KEY|OPENAI_API_KEY|WARDEN_KEY)\b)/g, '\\$')}"`;
  }
  return shellQuote(`${name}: ${value}`);
}

/** The curl command for a transaction detail; `origin` is the gateway's (this page's) origin. */
export function curlCommand(detail, origin) {
  const dialect = detail.dialect || 'anthropic';
  const endpoint = detail.endpoint || (dialect === 'openai' ? '/v1/chat/completions' : '/v1/messages');
  const parts = [`curl -sS${detail.stream ? ' -N' : ''} -X POST ${shellQuote(origin + endpoint)}`];
  const headers = detail.request_headers && typeof detail.request_headers === 'object' ? detail.request_headers : {};
  let hasContentType = false;
  let hasCredential = false;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SKIP.has(lower)) continue;
    if (lower === 'content-type') hasContentType = true;
    if (CREDENTIAL.has(lower)) hasCredential = true;
    parts.push(`-H ${headerArg(name, value, dialect)}`);
  }
  if (!hasContentType) parts.push(`-H ${shellQuote('content-type: application/json')}`);
  if (!hasCredential) {
    parts.push(dialect === 'openai' ? `-H "authorization: Bearer ${placeholder(dialect)}"` : `-H "x-api-key: ${placeholder(dialect)}"`);
  }
  const original = detail.request?.original;
  const body = typeof original === 'string' ? original : JSON.stringify(original, null, 2);
  let marker = 'WARDEN_BODY';
  const bodyLines = new Set(String(body).split('\n'));
  while (bodyLines.has(marker)) marker += '_';
  parts.push(`--data-binary @- <<'${marker}'`);
  return `${parts.filter(Boolean).join(' \\\n  ')}\n${body}\n${marker}\n`;
}
