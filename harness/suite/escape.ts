// XML/HTML text escaping for junit.xml and index.html, dropping the control characters XML 1.0
// forbids (an anomaly message quoting a raw value must not make the file unparseable).
export function esc(s: string): string {
  return s
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}
