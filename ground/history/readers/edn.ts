// A small EDN reader: enough of the format for histories as Jepsen and knossos print them.
// Values map onto plain JS so readers can inspect them without a wrapper API:
//   nil -> null, true/false -> boolean, integers/floats -> number, strings -> string,
//   keywords -> Keyword, symbols -> Sym, vectors/lists/sets -> arrays, maps -> EdnMap.
// Tagged literals (#inst, #uuid, records) yield their inner value; `#_` discards a form.
import { InputError } from '../../errors.js';

export class Keyword {
  private static table = new Map<string, Keyword>();
  private constructor(readonly name: string) {}
  /** Interned, so `===` compares keywords. */
  static of(name: string): Keyword {
    let k = Keyword.table.get(name);
    if (!k) Keyword.table.set(name, (k = new Keyword(name)));
    return k;
  }
  toString(): string {
    return `:${this.name}`;
  }
  toJSON(): string {
    return this.name;
  }
}

export class Sym {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
  toJSON(): string {
    return this.name;
  }
}

/** A map with its entries in source order; keyword keys are looked up by name. */
export class EdnMap {
  readonly entries: [EdnValue, EdnValue][] = [];
  get(key: string | Keyword): EdnValue | undefined {
    const k = typeof key === 'string' ? Keyword.of(key) : key;
    for (const [ek, v] of this.entries) if (ek === k) return v;
    return undefined;
  }
  has(key: string): boolean {
    const k = Keyword.of(key);
    return this.entries.some(([ek]) => ek === k);
  }
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const [k, v] of this.entries) o[k instanceof Keyword ? k.name : typeof k === 'string' ? k : JSON.stringify(k)] = v;
    return o;
  }
}

export type EdnValue = null | boolean | number | string | Keyword | Sym | EdnMap | EdnValue[];

/** A top-level form and the 1-based line it starts on. */
export interface Located {
  value: EdnValue;
  line: number;
}

const DELIMS = new Set(['(', ')', '[', ']', '{', '}', '"', ';', ',']);
const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 12;

/** Parses EDN text; throws InputError(`file:line: ...`) on malformed input. */
export class EdnParser {
  private pos = 0;
  private line: number;
  constructor(
    private readonly src: string,
    private readonly file: string,
    startLine = 1,
  ) {
    this.line = startLine;
  }

  private fail(what: string, line = this.line): never {
    throw new InputError(what, `${this.file}:${line}`);
  }

  private skipWs(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 10) {
        this.line++;
        this.pos++;
      } else if (isWs(c)) this.pos++;
      else if (c === 59 /* ; */) {
        while (this.pos < s.length && s.charCodeAt(this.pos) !== 10) this.pos++;
      } else if (c === 35 /* # */ && s.charCodeAt(this.pos + 1) === 95 /* _ */) {
        this.pos += 2;
        this.read(); // #_ discards the next form
      } else if (c === 35 && s.charCodeAt(this.pos + 1) === 33 /* #! */) {
        while (this.pos < s.length && s.charCodeAt(this.pos) !== 10) this.pos++;
      } else break;
    }
  }

  atEnd(): boolean {
    this.skipWs();
    return this.pos >= this.src.length;
  }

  /** Every top-level form with its starting line. */
  readAll(): Located[] {
    const out: Located[] = [];
    while (!this.atEnd()) {
      const line = this.line;
      out.push({ value: this.read(), line });
    }
    return out;
  }

  /** The elements of a top-level vector or list with their lines (a whole history as one form). */
  readSeqElements(): Located[] {
    this.skipWs();
    const open = this.src[this.pos];
    const close = open === '[' ? ']' : ')';
    const startLine = this.line;
    this.pos++;
    const out: Located[] = [];
    for (;;) {
      this.skipWs();
      if (this.pos >= this.src.length) this.fail(`the ${open} opened on line ${startLine} is not closed; expected ${close}`);
      if (this.src[this.pos] === close) {
        this.pos++;
        break;
      }
      const line = this.line;
      out.push({ value: this.read(), line });
    }
    if (!this.atEnd()) this.fail(`unexpected text after the history's closing ${close}; expected the end of the file`);
    return out;
  }

  peekChar(): string | undefined {
    this.skipWs();
    return this.src[this.pos];
  }

  read(): EdnValue {
    this.skipWs();
    const s = this.src;
    if (this.pos >= s.length) this.fail('unexpected end of input; expected an EDN value');
    const c = s[this.pos];
    switch (c) {
      case '[':
      case '(':
        return this.readSeq(c === '[' ? ']' : ')');
      case '{':
        return this.readMap();
      case '"':
        return this.readString();
      case ']':
      case ')':
      case '}':
        this.fail(`unexpected ${c}; expected a value`);
      case '\\':
        return this.readChar();
      case '#': {
        const n = s[this.pos + 1];
        if (n === '{') {
          this.pos++;
          return this.readSeq('}');
        }
        // a tagged literal: #tag value -> value
        this.pos++;
        const tag = this.readToken();
        if (tag === '' || !/^[A-Za-z]/.test(tag)) this.fail(`bad tag #${tag}; expected #name value`);
        return this.read();
      }
      default:
        return this.readAtom();
    }
  }

  private readSeq(close: string): EdnValue[] {
    const startLine = this.line;
    this.pos++;
    const out: EdnValue[] = [];
    for (;;) {
      this.skipWs();
      if (this.pos >= this.src.length) this.fail(`the collection opened on line ${startLine} is not closed; expected ${close}`);
      const c = this.src[this.pos];
      if (c === close) {
        this.pos++;
        return out;
      }
      if (c === ')' || c === ']' || c === '}') this.fail(`unexpected ${c}; expected ${close} to close the collection opened on line ${startLine}`);
      out.push(this.read());
    }
  }

  private readMap(): EdnMap {
    const startLine = this.line;
    this.pos++;
    const m = new EdnMap();
    for (;;) {
      this.skipWs();
      if (this.pos >= this.src.length) this.fail(`the map opened on line ${startLine} is not closed; expected }`);
      const c = this.src[this.pos];
      if (c === '}') {
        this.pos++;
        return m;
      }
      if (c === ')' || c === ']') this.fail(`unexpected ${c}; expected } to close the map opened on line ${startLine}`);
      const k = this.read();
      this.skipWs();
      if (this.pos >= this.src.length) this.fail(`the map opened on line ${startLine} is not closed; expected a value and }`);
      if (this.src[this.pos] === '}') this.fail(`the map opened on line ${startLine} has a key with no value; expected key value pairs`);
      m.entries.push([k, this.read()]);
    }
  }

  private readString(): string {
    const s = this.src;
    const startLine = this.line;
    let out = '';
    let i = this.pos + 1;
    let chunk = i;
    for (;;) {
      if (i >= s.length) this.fail(`the string opened on line ${startLine} is not closed; expected "`);
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === 10) this.line++;
      if (c === 92 /* \ */) {
        out += s.slice(chunk, i);
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'u': {
            const hex = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`bad \\u escape in a string; expected 4 hex digits`);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.fail(`bad escape \\${e ?? ''} in a string; expected one of \\n \\t \\r \\" \\\\ \\uXXXX`);
        }
        chunk = i;
        continue;
      }
      i++;
    }
    out += s.slice(chunk, i);
    this.pos = i + 1;
    return out;
  }

  private readChar(): string {
    this.pos++;
    const tok = this.readToken();
    const named: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f' };
    if (tok.length === 0) {
      // `\(` and friends: the character itself is a delimiter
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unexpected end of input after \\; expected a character');
      this.pos++;
      return c;
    }
    if (tok.length === 1) return tok;
    if (named[tok] !== undefined) return named[tok];
    if (/^u[0-9a-fA-F]{4}$/.test(tok)) return String.fromCharCode(parseInt(tok.slice(1), 16));
    this.fail(`bad character literal \\${tok}; expected a single character or a name like \\newline`);
  }

  private readToken(): string {
    const s = this.src;
    const start = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (isWs(c) || DELIMS.has(s[this.pos])) break;
      this.pos++;
    }
    return s.slice(start, this.pos);
  }

  private readAtom(): EdnValue {
    const line = this.line;
    const tok = this.readToken();
    if (tok === '') this.fail(`unexpected character ${JSON.stringify(this.src[this.pos])}; expected an EDN value`, line);
    if (tok === 'nil') return null;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    const c = tok.charCodeAt(0);
    if (c === 58 /* : */) {
      const name = tok.slice(1);
      if (name === '' || name.startsWith(':') || /[^\w*+!\-?<>=./$%&'#|]/.test(name)) this.fail(`bad keyword ${tok}; expected :name`, line);
      return Keyword.of(name);
    }
    if ((c >= 48 && c <= 57) || ((c === 43 || c === 45) && tok.length > 1 && /[0-9]/.test(tok[1]))) {
      // integers (with optional N suffix) and floats (with optional M suffix)
      const m = /^([+-]?\d+)N?$/.exec(tok);
      if (m) return Number(m[1]);
      if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(tok)) return Number(tok.replace(/M$/, ''));
      const r = /^([+-]?\d+)\/(\d+)$/.exec(tok);
      if (r) return Number(r[1]) / Number(r[2]);
      this.fail(`bad number ${tok}; expected an integer or a float`, line);
    }
    if (/^[A-Za-z*+!\-_?<>=./$%&|][\w*+!\-?<>=./$%&:#'|]*$/.test(tok)) return new Sym(tok);
    this.fail(`unexpected ${JSON.stringify(tok.length > 20 ? tok.slice(0, 20) + '…' : tok)}; expected an EDN value`, line);
  }
}

/** Parses one EDN value from a string (the value column of a jepsen log line). */
export function parseEdnValue(text: string, file: string, line: number): EdnValue {
  const p = new EdnParser(text, file, line);
  const v = p.read();
  if (!p.atEnd()) throw new InputError(`unexpected text after ${text.trim().slice(0, 30)}; expected one value`, `${file}:${line}`);
  return v;
}
