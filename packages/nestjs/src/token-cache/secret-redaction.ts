/**
 * Every form in which a token endpoint could echo the client secret back: as sent with
 * `client_secret_basic` (base64 of `urlencoded(id):urlencoded(secret)`, RFC 6749 §2.3.1, and of
 * `id:secret` without the form-encoding, for servers that skip it) or `client_secret_post` (the
 * form-encoded secret: `encodeURIComponent` and x-www-form-urlencoded with `+` for a space), each
 * base64 form also in base64url and without padding, and the secret itself.
 */
export function secretForms(clientId: string, clientSecret: string): string[] {
  const encodedForms = [formUrlEncode(clientSecret), encodeURIComponent(clientSecret)];
  const percentForms = encodedForms.flatMap((form) => [
    form,
    form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  ]);
  const basicPairs = [
    `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`,
    `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
    `${clientId}:${clientSecret}`,
  ];
  const base64Forms = [...basicPairs, clientSecret].flatMap((text) => {
    const bytes = Buffer.from(text, 'utf8');
    const base64 = bytes.toString('base64');
    return [base64, base64.replace(/=+$/, ''), bytes.toString('base64url')];
  });
  const forms = new Set([clientSecret, ...percentForms, ...base64Forms].filter((form) => form.length > 0));
  // Longest first, so that a form containing another is cut out whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** `text` with every one of `forms` replaced by `[redacted]`. */
export function redact(text: string, forms: readonly string[]): string {
  let redacted = text;
  for (const form of forms) redacted = redacted.split(form).join('[redacted]');
  return redacted;
}

/** x-www-form-urlencoded, as `URLSearchParams` writes it (a space as `+`). */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
