// @ts-check
'use strict';
// The tests' own way of finding a secret in any spelling: written apart from the module's Rust
// (src/redact.rs), so that each checks the other. Text is normalised in rounds (each round applies
// each decoder, one at a time, to each text of the round before: JSON/JS backslash escapes,
// percent-encoding in either case, quoted-printable, HTML character references), then folded:
// decomposed (NFKD), with everything that draws nothing (marks, controls, format characters,
// separators, Hangul fillers) and ASCII punctuation dropped, and in lower case. The secret is looked
// for as it is and JSON-escaped, reversed, in ROT13, as hex, decimal bytes and UTF-16 hex, and as
// standard and URL-safe base64 (once and twice), UTF-16 base64 and base32 at each byte alignment.

const ROUNDS = 3;
const HIDDEN = /[\p{M}\p{C}\p{Z}\p{White_Space}\u115F\u1160\u3164\uFFA0\u2800]|[!-/:-@[-`{-~]/gu;
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', bsol: '\\' };

/** @param {string} text */
const fold = (text) => text.normalize('NFKD').replace(HIDDEN, '').toLowerCase();

/** @param {string} text */
function decodeBackslash(text) {
  return text.replace(/\\(u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_, escape) => {
    if (escape.length === 11) return String.fromCharCode(parseInt(escape.slice(1, 5), 16), parseInt(escape.slice(7), 16));
    if (escape.length > 1) return String.fromCharCode(parseInt(escape.slice(1), 16));
    /** @type {Record<string, string>} */
    const single = { n: '\n', t: '\t', r: '\r', b: ' ', f: ' ', v: ' ', 0: ' ' };
    return single[escape] ?? escape;
  });
}

/** `\uXXXX`, `\u{H...}` and `\xHH` alone, even after another backslash. @param {string} text */
function decodeUnicodeEscapes(text) {
  return text.replace(/\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})/g, (whole, escape) => {
    const code = parseInt(escape.replace(/[u{}x]/g, ''), 16);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Quoted-printable `=HH` and soft line breaks. @param {string} text */
function decodeQuotedPrintable(text) {
  return decodePercent(text.replace(/=\r?\n/g, '').replace(/%/g, '%25').replace(/=/g, '%'));
}

/** @param {string} text */
function decodePercent(text) {
  if (!text.includes('%')) return text;
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** @param {string} text */
function decodeHtml(text) {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z]{2,6});?/g, (whole, name) => {
    const code = name[0] !== '#' ? undefined : /^#[xX]/.test(name) ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    return NAMED[/** @type {keyof typeof NAMED} */ (name.toLowerCase())] ?? whole;
  });
}

const DECODERS = [
  { applies: (/** @type {string} */ t) => t.includes('\\'), decode: decodeBackslash },
  { applies: (/** @type {string} */ t) => t.includes('\\'), decode: decodeUnicodeEscapes },
  { applies: (/** @type {string} */ t) => t.includes('%'), decode: decodePercent },
  { applies: (/** @type {string} */ t) => t.includes('='), decode: decodeQuotedPrintable },
  { applies: (/** @type {string} */ t) => t.includes('&'), decode: decodeHtml },
];

/**
 * The spellings of `secret` to look for in folded text.
 *
 * @param {string} secret
 * @returns {string[]}
 */
function secretForms(secret) {
  const json = JSON.stringify(secret).slice(1, -1);
  /** @type {string[]} */
  const forms = [];
  // As it is, and as it appears JSON-escaped in a request body that a transform may encode.
  for (const base of new Set([secret, json, json.replace(/\//g, '\\/')])) {
    const bytes = Buffer.from(base);
    const rot13 = base.replace(/[a-z]/gi, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c < 'a' ? 65 : 97)));
    forms.push(base, [...base].reverse().join(''), rot13, bytes.toString('hex'), [...bytes].join(''));
    for (const once of base64Forms(bytes)) forms.push(once, ...base64Forms(Buffer.from(once)));
    forms.push(...base32Forms(bytes));
    for (const wide of [Buffer.from(base, 'utf16le'), Buffer.from(base, 'utf16le').swap16()]) {
      forms.push(wide.toString('hex'), ...base64Forms(wide));
    }
  }
  return [...new Set(forms.map(fold).filter((form) => form.length >= 8))];
}

/** Base64 and base64url of `bytes` at each of the three alignments (whole groups). @param {Buffer} bytes */
function base64Forms(bytes) {
  const forms = [];
  for (let skip = 0; skip < 3; skip++) {
    const aligned = bytes.subarray(skip);
    const whole = aligned.subarray(0, aligned.length - (aligned.length % 3));
    forms.push(whole.toString('base64'), whole.toString('base64url'));
  }
  return forms;
}

/** Base32 of `bytes` at each of the five alignments (whole groups). @param {Buffer} bytes */
function base32Forms(bytes) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const forms = [];
  for (let skip = 0; skip < 5; skip++) {
    const aligned = bytes.subarray(skip);
    const whole = aligned.subarray(0, aligned.length - (aligned.length % 5));
    const bits = [...whole].map((b) => b.toString(2).padStart(8, '0')).join('');
    forms.push((bits.match(/.{5}/g) ?? []).map((group) => alphabet[parseInt(group, 2)]).join(''));
  }
  return forms;
}

/**
 * Every normalised (and folded) reading of `text`.
 *
 * @param {string} text
 * @returns {string[]}
 */
function readings(text) {
  const seen = new Set([text]);
  let layer = [text];
  for (let round = 0; round < ROUNDS && layer.length > 0; round++) {
    /** @type {string[]} */
    const next = [];
    for (const current of layer) {
      for (const { applies, decode } of DECODERS) {
        if (!applies(current)) continue;
        const decoded = decode(current);
        if (!seen.has(decoded)) {
          seen.add(decoded);
          next.push(decoded);
        }
      }
    }
    layer = next;
  }
  return [...seen].map(fold);
}

/**
 * Which of `secrets` appear in `text` in any spelling.
 *
 * @param {string} text
 * @param {string[]} secrets
 * @returns {string[]}
 */
function secretsIn(text, secrets) {
  const all = readings(text);
  return secrets.filter((secret) => secretForms(secret).some((form) => all.some((reading) => reading.includes(form))));
}

module.exports = { secretForms, secretsIn, readings };
