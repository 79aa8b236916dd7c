// Jamana offline verifier of printed 2D seals: "JM1:" + base45(zlib(COSE_Sign1)).
// After the page has loaded nothing goes to the network: the trusted seal keys are embedded in
// the page (and kept in localStorage), the ES256 signature is checked with WebCrypto.
// Format and order of the verdicts: jamana/trust/seal2d.py (read_seal). Texts: the template.
// Loaded as a module (strict, deferred, nothing global).
const $ = (id) => document.getElementById(id);
const form = $("offline-form");
const field = $("seal-text");
const region = $("offline-result");
const PREFIX = "JM1:";
const MAX_COSE = 8192;
const STORE = "jamana.trusted-seals.v1";
const DOCUMENT = -65537;

// A seal refused for a reason: an Error with the verdict of read_seal.
const reject = (verdict, problem) => Object.assign(new Error(problem), { verdict });
const malformed = (problem) => reject("malformed", problem);
const isBytes = (v) => v instanceof Uint8Array;

// base45, RFC 9285: 3 characters → 2 bytes, 2 final characters → 1 byte.
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function base45(text) {
  if (text.length % 3 === 1) throw malformed("base45 length");
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const chunk = [...text.slice(i, i + 3)].map((c) => B45.indexOf(c));
    if (chunk.includes(-1)) throw malformed("not base45");
    const [c, d, e = 0] = chunk;
    const n = c + d * 45 + e * 2025;
    if (n > (chunk.length === 3 ? 0xffff : 0xff)) throw malformed("base45 overflow");
    if (chunk.length === 3) out.push(n >> 8);
    out.push(n & 0xff);
  }
  return Uint8Array.from(out);
}

// zlib (RFC 1950), at most MAX_COSE bytes out; truncated or trailing data fails the stream.
async function inflate(data) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks = [];
  try {
    for (let size = 0; ; ) {
      const { done, value } = await reader.read();
      if (done) return concat(chunks);
      if ((size += value.length) > MAX_COSE) throw malformed("too large");
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    throw error?.verdict ? error : malformed("not zlib");
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

// CBOR, RFC 8949: definite lengths; integers, byte and text strings, arrays, maps, tags
// (floats and simple values are not in this format). strict: shortest encodings only.
const utf8 = new TextDecoder("utf-8", { fatal: true });
function decode(bytes, strict) {
  let pos = 0;
  const need = (n) => {
    if (n > bytes.length - pos) throw malformed("truncated CBOR");
  };
  function argument(info) {
    if (info < 24) return info;
    const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (!size) throw malformed("indefinite length");
    need(size);
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + bytes[pos++];
    if (!Number.isSafeInteger(n)) throw malformed("integer too large");
    if (strict && n < (size === 1 ? 24 : 2 ** (4 * size))) throw malformed("non-canonical");
    return n;
  }
  function item(depth) {
    need(1);
    const major = bytes[pos] >> 5;
    if (major === 7 || depth > 8) throw malformed("unsupported CBOR");
    const n = argument(bytes[pos++] & 31);
    if (major === 0) return n;
    if (major === 1) return -1 - n;
    if (major === 2 || major === 3) {
      need(n);
      const chunk = bytes.slice(pos, (pos += n));
      return major === 2 ? chunk : utf8.decode(chunk);
    }
    if (major === 6) return { tag: n, value: item(depth + 1) };
    need(major === 4 ? n : 2 * n); // every item takes a byte at least
    if (major === 4) return Array.from({ length: n }, () => item(depth + 1));
    const map = new Map();
    for (let i = 0; i < n; i++) {
      const key = item(depth + 1);
      if (!["number", "string"].includes(typeof key) || map.has(key)) throw malformed("key");
      map.set(key, item(depth + 1));
    }
    return map;
  }
  const value = item(0);
  if (pos !== bytes.length) throw malformed("trailing CBOR");
  return value;
}

// Just enough of an encoder for the Sig_structure: arrays, text and byte strings.
function head(major, n) {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  return [m | 25, n >> 8, n & 0xff]; // under 64 KB: the COSE is at most MAX_COSE bytes
}
function encode(value) {
  if (Array.isArray(value)) {
    return concat([Uint8Array.from(head(4, value.length)), ...value.map(encode)]);
  }
  const text = typeof value === "string";
  const bytes = text ? new TextEncoder().encode(value) : value;
  return concat([Uint8Array.from(head(text ? 3 : 2, bytes.length)), bytes]);
}

// COSE_Sign1 (RFC 9052): tag 18 [protected {1: -7, 4: kid}, {}, payload, r || s].
function parseCose(cose) {
  const message = decode(cose, true);
  const parts = message?.tag === 18 && message.value;
  if (!Array.isArray(parts) || parts.length !== 4) throw malformed("not a COSE_Sign1");
  const [protectedBytes, unprotected, payload, signature] = parts;
  if (
    !(isBytes(protectedBytes) && isBytes(payload) && isBytes(signature)) ||
    !(unprotected instanceof Map && unprotected.size === 0)
  ) {
    throw malformed("COSE_Sign1 fields");
  }
  const headers = decode(protectedBytes, false);
  const kid = headers instanceof Map && headers.get(4);
  if (headers.size !== 2 || headers.get(1) !== -7 || !isBytes(kid) || kid.length !== 8) {
    throw malformed("header is not {alg: ES256, kid}");
  }
  if (signature.length !== 64) throw malformed("signature length");
  return { protectedBytes, payload, signature, kid };
}

const epoch = (v) => {
  if (!Number.isInteger(v) || v < 0) throw malformed("bad time");
  return v;
};

// CWT claims: 1 iss, 6 iat, 4 exp (optional), -65537 the document {1: 1, 2…7 texts, 8 hash}.
function readClaims(payload) {
  const claims = decode(payload, false);
  if (!(claims instanceof Map)) throw malformed("claims");
  const doc = claims.get(DOCUMENT);
  const keys = [1, 2, 3, 4, 5, 6, 7, 8];
  if (
    ![...claims.keys()].every((k) => [1, 4, 6, DOCUMENT].includes(k)) ||
    !(doc instanceof Map && doc.size === 8 && keys.every((k) => doc.has(k))) ||
    doc.get(1) !== 1
  ) {
    throw malformed("claims");
  }
  const texts = keys.slice(1, 7).map((k) => doc.get(k));
  const [hash, iss] = [doc.get(8), claims.get(1)];
  if (!texts.every((t) => typeof t === "string") || typeof iss !== "string") {
    throw malformed("text expected");
  }
  if (!isBytes(hash) || hash.length !== 32) throw malformed("PDF hash");
  const iat = epoch(claims.get(6));
  const exp = claims.has(4) ? epoch(claims.get(4)) : null;
  if (exp !== null && exp <= iat) throw malformed("exp not after iat");
  const [country, kind, number, given, family, birth] = texts;
  return { iss, iat, exp, country, kind, number, given, family, birth, hash };
}

const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const seconds = (iso) => Math.floor(Date.parse(iso) / 1000);

// read_seal's order: malformed, unknown_issuer, tampered, malformed (signed claims),
// unknown_issuer (sealed outside the key's validity), expired, valid.
async function check(text, trusted) {
  if (text.length > 4096 || !text.startsWith(PREFIX)) throw malformed("not JM1");
  const cose = parseCose(await inflate(base45(text.slice(PREFIX.length))));
  const entry = trusted.get(toBase64(cose.kid));
  if (!entry) throw reject("unknown_issuer", "unknown kid");
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const spki = fromBase64(entry.spki);
  const key = await crypto.subtle
    .importKey("spki", spki, algorithm, false, ["verify"])
    .catch(() => Promise.reject(reject("unknown_issuer", "not an ECDSA P-256 key")));
  const signed = encode(["Signature1", cose.protectedBytes, new Uint8Array(0), cose.payload]);
  if (!(await crypto.subtle.verify(algorithm, key, cose.signature, signed))) {
    throw reject("tampered", "bad signature");
  }
  const claims = readClaims(cose.payload);
  if (claims.iat < seconds(entry.not_before) || claims.iat > seconds(entry.not_after)) {
    throw reject("unknown_issuer", "sealed outside the key's validity");
  }
  const expired = claims.exp !== null && Date.now() / 1000 >= claims.exp;
  return { verdict: expired ? "expired" : "valid", claims, entry };
}

async function verify(text, trusted) {
  try {
    return await check(text, trusted);
  } catch (error) {
    // As read_seal: anything unforeseen is a seal we cannot read.
    return { verdict: error?.verdict ?? "malformed" };
  }
}

// Trusted keys: the newer of this page's list and the one kept from an earlier visit.
const FIELDS = ["kid", "spki", "organisation", "country", "not_before", "not_after"];
// Storage may be disabled or full, JSON may be broken: null then.
const attempt = (f) => {
  try {
    return f();
  } catch {
    return null;
  }
};
function parseList(json) {
  const list = attempt(() => JSON.parse(json));
  const ok =
    !Number.isNaN(Date.parse(list?.generated_at)) &&
    Array.isArray(list.keys) &&
    list.keys.every((k) => FIELDS.every((f) => typeof k?.[f] === "string"));
  return ok ? list : null;
}

function loadTrusted() {
  const embedded = parseList($("trusted-seals")?.textContent);
  const stored = parseList(attempt(() => localStorage.getItem(STORE)));
  let list = embedded;
  if (stored && (!embedded || seconds(stored.generated_at) > seconds(embedded.generated_at))) {
    list = stored;
    const note = $("offline-stored").content.cloneNode(true);
    const time = note.querySelector("time");
    time.dateTime = stored.generated_at;
    time.textContent = formatTime(seconds(stored.generated_at), true);
    $("trust-status")?.after(note);
  } else if (embedded) {
    attempt(() => localStorage.setItem(STORE, JSON.stringify(embedded)));
  }
  return new Map((list?.keys ?? []).map((k) => [k.kid, k]));
}

// Showing the verdict.
const lang = document.documentElement.lang || "fr";
function formatTime(secs, withTime) {
  const date = new Date(secs * 1000);
  const style = withTime ? { dateStyle: "long", timeStyle: "short" } : { dateStyle: "long" };
  try {
    // Mali is on UTC all year, as the server's dates are.
    return new Intl.DateTimeFormat([lang, "fr"], { ...style, timeZone: "UTC" }).format(date);
  } catch {
    return date.toISOString().slice(0, withTime ? 16 : 10).replace("T", " ");
  }
}

const kindTitles = attempt(() => JSON.parse($("document-kinds").textContent));
const kinds = new Map(Object.entries(kindTitles ?? {}));

function show({ verdict, claims, entry }) {
  const box = $("offline-verdicts")
    .content.querySelector(`[data-verdict="${verdict}"]`)
    .cloneNode(true);
  if (claims) {
    const facts = $("offline-facts").content.cloneNode(true);
    const slot = (name) => facts.querySelector(`[data-fact="${name}"]`);
    const put = (name, value) => (slot(name).textContent = value);
    const reference = /^[0-9A-Z]{9}$/.test(claims.number)
      ? claims.number.match(/.../g).join("-")
      : claims.number;
    put("holder", `${claims.given} ${claims.family}`.trim());
    put("birth_date", claims.birth);
    put("kind", kinds.get(claims.kind) ?? claims.kind);
    put("number", reference);
    put("issuer", `${entry.organisation || claims.iss} (${claims.country}) — ${claims.iss}`);
    put("issued_at", formatTime(claims.iat, true));
    const expiry = slot("expires_at");
    put("expires_at", claims.exp === null ? expiry.dataset.none : formatTime(claims.exp, false));
    if (reference !== claims.number) slot("online").href = form.dataset.online + reference;
    box.append(facts);
  }
  region.replaceChildren(box);
  region.focus({ preventScroll: true }); // then the verdict's title at the top of the screen
  region.scrollIntoView();
}

function say(message) {
  const p = document.createElement("p");
  p.className = "messages";
  p.textContent = message;
  region.replaceChildren(p);
}

const submit = $("seal-submit");
const listen = (trusted) =>
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // As the online check, surrounding white space goes (pasted line ends).
    const text = field.value.trim();
    if (!text) {
      say(form.dataset.empty);
      field.focus();
      return;
    }
    submit.disabled = true;
    try {
      show(await verify(text, trusted));
    } finally {
      submit.disabled = false;
    }
  });

// The camera, only where the browser itself reads QR codes (BarcodeDetector).
async function setUpCamera() {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  try {
    if (!(await BarcodeDetector.getSupportedFormats()).includes("qr_code")) return;
  } catch {
    return;
  }
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const ids = ["start", "stop", "box", "video"];
  const [start, stopButton, scanner, video] = ids.map((id) => $(`scan-${id}`));
  let stream = null;
  let timer = 0;
  const stop = () => {
    clearTimeout(timer);
    stream?.getTracks().forEach((track) => track.stop());
    stream = video.srcObject = null;
    scanner.hidden = true;
    start.hidden = false;
  };
  const scan = async () => {
    if (!stream) return;
    try {
      const codes = await detector.detect(video);
      // Documents also print a QR code of the online link: only the seal is taken.
      const code = codes.find((c) => c.rawValue.startsWith(PREFIX));
      if (code) {
        stop();
        field.value = code.rawValue;
        form.requestSubmit();
        return;
      }
    } catch {
      // the video is not playing yet
    }
    timer = setTimeout(scan, 250);
  };
  start.addEventListener("click", async () => {
    try {
      const camera = { video: { facingMode: "environment" } };
      stream = await navigator.mediaDevices.getUserMedia(camera);
    } catch {
      say(form.dataset.cameraError);
      return;
    }
    video.srcObject = stream;
    scanner.hidden = false;
    start.hidden = true;
    stopButton.focus();
    video.play().catch(() => {}); // scan() retries until the video plays
    scan();
  });
  stopButton.addEventListener("click", () => {
    stop();
    start.focus();
  });
  document.addEventListener("visibilitychange", () => document.hidden && stream && stop());
  start.hidden = false;
}

// Without WebCrypto (or over plain HTTP) and DecompressionStream the form posts online.
if (!(window.crypto?.subtle && typeof DecompressionStream === "function")) {
  $("offline-unsupported").hidden = false;
} else if (form) {
  listen(loadTrusted());
  setUpCamera();
}
