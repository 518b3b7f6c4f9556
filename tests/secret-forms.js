// @ts-check
'use strict';
// The tests' own way of finding a secret in any spelling: written apart from the module's Rust
// (src/redact.rs), so that each checks the other. Text is normalised in rounds (each round applies
// each decoder, one at a time, to each text of the round before: JSON/JS backslash escapes,
// percent-encoding in either case, HTML character references), white space and zero-width
// characters are dropped and ASCII letters folded to lower case; the secret is looked for as it
// is and JSON-escaped, reversed, as hex, and as standard and URL-safe base64 at each of three byte
// alignments.

const ROUNDS = 3;
const INVISIBLE = /[\s\u00AD\u034F\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/gu;
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', bsol: '\\' };

/** @param {string} text */
const fold = (text) => text.replace(INVISIBLE, '').replace(/[A-Z]+/g, (s) => s.toLowerCase());

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

/** `\uXXXX` and `\xHH` alone, even after another backslash. @param {string} text */
function decodeUnicodeEscapes(text) {
  return text.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})/g, (_, escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
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
    forms.push(fold(base), fold([...base].reverse().join('')), bytes.toString('hex'));
    for (let skip = 0; skip < 3; skip++) {
      const aligned = bytes.subarray(skip);
      const whole = aligned.subarray(0, aligned.length - (aligned.length % 3));
      forms.push(fold(whole.toString('base64')), fold(whole.toString('base64url')));
    }
  }
  return [...new Set(forms.filter(Boolean))];
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
