/* skillcard offline verification: a card's QR text checked entirely in the browser, against
   a verifier bundle (GET /api/v1/bundle) kept on the device. No network is used.

   The same pipeline as skillcard.services.verification, run backwards:
     "SC1:" + Base45 -> zlib (only when the first byte is 0x78; inflated to at most 16 KiB)
     -> COSE_Sign1 (CBOR tag 18; untagged is malformed) -> ES256, low-S only, over
     ["Signature1", protected, h'', payload]
     -> the claims map -> key window, dates, status list bit.
   Outcomes are the words of docs/contracts.md: valid, expired, not_yet_valid, suspended, revoked,
   unknown_issuer, bad_signature, malformed, stale_status. verify() never throws.

   Trust: the bundle's signatures are checked here too (the trust list by the hub key it names,
   each status list by a key the trust list gives its scheme, or the hub's), over the documents' canonical
   JSON (keys sorted, no spaces), which JSON.stringify reproduces for these documents (ASCII
   keys, integers and strings only). The hub key itself comes from the same origin over HTTPS,
   and check.js pins it on first use: it keeps the key's SHA-256 (hubFingerprint) and passes it
   to loadBundle, which refuses a bundle signed by any other hub key. `skillcard verify` on the
   command line pins the hub key with --hub-key. */
(function (global) {
  "use strict";

  var PREFIX = "SC1:";
  var MAX_TEXT = PREFIX.length + 4296;
  var MAX_INFLATED = 16384;
  var SKEW_MS = 5 * 60 * 1000;
  var DAY_MS = 86400000;
  var EXPIRING_SOON_DAYS = 90;
  var MAX_DEPTH = 16;
  var MAX_ITEMS = 1000;
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  /* (n - 1) / 2 for P-256's order n: the largest s of a low-S signature (as adapters/cose.py) */
  var HALF_ORDER = [0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5,
    0x61, 0x7e, 0x31, 0x92, 0xa8];

  function Malformed(message) { this.message = message; }

  /* --- Base45, inflate, gunzip ------------------------------------------------------------ */

  function base45Decode(text) {
    var out = [], i, a, b, c, n;
    if (text.length % 3 === 1) throw new Malformed("the code's length is not a whole number of Base45 groups");
    for (i = 0; i < text.length; i += 3) {
      a = B45.indexOf(text[i]); b = B45.indexOf(text[i + 1]);
      c = i + 2 < text.length ? B45.indexOf(text[i + 2]) : null;
      if (a < 0 || b < 0 || c === -1) throw new Malformed("the code has a character outside the Base45 alphabet");
      if (c === null) {
        n = a + 45 * b;
        if (n > 0xff) throw new Malformed("the code's last Base45 group is out of range");
        out.push(n);
      } else {
        n = a + 45 * b + 2025 * c;
        if (n > 0xffff) throw new Malformed("the code has a Base45 group out of range");
        out.push(n >> 8, n & 0xff);
      }
    }
    return Uint8Array.from(out);
  }

  async function decompress(data, format, cap) {
    if (typeof DecompressionStream === "undefined") throw new Malformed("this browser cannot decompress");
    var stream = new DecompressionStream(format);
    var writer = stream.writable.getWriter();
    writer.write(data).catch(function () {});
    writer.close().catch(function () {});
    var reader = stream.readable.getReader(), parts = [], size = 0, step;
    try {
      for (;;) {
        step = await reader.read();
        if (step.done) break;
        size += step.value.length;
        if (size > cap) {
          reader.cancel().catch(function () {});
          throw new Malformed("the data inflates to more than " + cap + " bytes");
        }
        parts.push(step.value);
      }
    } catch (error) {
      if (error instanceof Malformed) throw error;
      throw new Malformed("the compressed data is damaged");
    }
    var out = new Uint8Array(size), at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }

  function unb64url(text) {
    if (typeof text !== "string") throw new Malformed("not base64url text");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  /* --- CBOR: only what COSE_Sign1 and the claims use ---------------------------------------- */

  var utf8 = new TextDecoder("utf-8", { fatal: true });

  function cborDecode(bytes) {
    var pos = 0;
    function need(n) { if (pos + n > bytes.length) throw new Malformed("the CBOR data is cut short"); }
    function head() {
      need(1);
      var initial = bytes[pos++], major = initial >> 5, info = initial & 31, value;
      if (info < 24) value = info;
      else if (info === 24) { need(1); value = bytes[pos]; pos += 1; }
      else if (info === 25) { need(2); value = (bytes[pos] << 8) | bytes[pos + 1]; pos += 2; }
      else if (info === 26) { need(4); value = ((bytes[pos] << 24) >>> 0) + (bytes[pos + 1] << 16) + (bytes[pos + 2] << 8) + bytes[pos + 3]; pos += 4; }
      else if (info === 27) {
        need(8);
        var high = ((bytes[pos] << 24) >>> 0) + (bytes[pos + 1] << 16) + (bytes[pos + 2] << 8) + bytes[pos + 3];
        var low = ((bytes[pos + 4] << 24) >>> 0) + (bytes[pos + 5] << 16) + (bytes[pos + 6] << 8) + bytes[pos + 7];
        if (high > 0x1fffff) throw new Malformed("a CBOR integer is too large");
        value = high * 4294967296 + low; pos += 8;
      } else throw new Malformed("indefinite or reserved CBOR lengths are refused");
      return [major, value];
    }
    function item(depth) {
      if (depth > MAX_DEPTH) throw new Malformed("the CBOR data is nested too deeply");
      var h = head(), major = h[0], value = h[1], i, out;
      switch (major) {
        case 0: return value;
        case 1: return -1 - value;
        case 2: need(value); out = bytes.slice(pos, pos + value); pos += value; return out;
        case 3:
          need(value);
          try { out = utf8.decode(bytes.subarray(pos, pos + value)); } catch (e) { throw new Malformed("a CBOR text is not UTF-8"); }
          pos += value; return out;
        case 4:
          if (value > MAX_ITEMS) throw new Malformed("a CBOR array is too long");
          out = [];
          for (i = 0; i < value; i++) out.push(item(depth + 1));
          return out;
        case 5:
          if (value > MAX_ITEMS) throw new Malformed("a CBOR map is too long");
          out = new Map();
          for (i = 0; i < value; i++) {
            var key = item(depth + 1);
            if (typeof key !== "number" && typeof key !== "string") throw new Malformed("a CBOR map key is not a number or text");
            if (out.has(key)) throw new Malformed("a CBOR map repeats a key");
            out.set(key, item(depth + 1));
          }
          return out;
        case 6:
          if (value !== 18) throw new Malformed("CBOR tag " + value + " is not expected");
          return { tag: 18, value: item(depth + 1) };
        default: throw new Malformed("CBOR floats and simple values are not expected");
      }
    }
    var result = item(0);
    if (pos !== bytes.length) throw new Malformed("bytes follow the CBOR data");
    return result;
  }

  function bstrHead(length) {
    if (length < 24) return [0x40 | length];
    if (length < 256) return [0x58, length];
    if (length < 65536) return [0x59, length >> 8, length & 0xff];
    return [0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
  }

  function sigStructure(protectedBytes, payload) {
    var context = [0x84, 0x6a].concat(Array.from(new TextEncoder().encode("Signature1")));
    var parts = [context, bstrHead(protectedBytes.length), protectedBytes, [0x40], bstrHead(payload.length), payload];
    var size = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  /* --- COSE_Sign1 and claims ---------------------------------------------------------------- */

  async function coseFromText(text) {
    text = String(text).trim();
    if (text.length > MAX_TEXT) throw new Malformed("the text is longer than any QR code holds");
    if (text.indexOf(PREFIX) !== 0) throw new Malformed("a skills card code starts " + PREFIX);
    var data = base45Decode(text.slice(PREFIX.length));
    if (data[0] === 0x78) return decompress(data, "deflate", MAX_INFLATED);
    if (data[0] === 0xd2) return data;
    throw new Malformed("the code holds neither a signed card nor a compressed one");
  }

  function coseDecode(bytes) {
    var top = cborDecode(bytes);
    if (!top || top.tag !== 18) throw new Malformed("not a tagged COSE_Sign1 message (CBOR tag 18)");
    top = top.value;
    if (!Array.isArray(top) || top.length !== 4) throw new Malformed("not a COSE_Sign1 message");
    var prot = top[0], unprot = top[1], payload = top[2], signature = top[3];
    if (!(prot instanceof Uint8Array) || !(unprot instanceof Map) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
      throw new Malformed("the COSE_Sign1 parts have the wrong types");
    }
    var header = prot.length ? cborDecode(prot) : new Map();
    if (!(header instanceof Map)) throw new Malformed("the protected header is not a map");
    if (header.get(1) !== -7) throw new Malformed("the signature algorithm is not ES256");
    var kid = header.has(4) ? header.get(4) : unprot.get(4);
    if (!(kid instanceof Uint8Array)) throw new Malformed("the message names no key id");
    if (signature.length !== 64) throw new Malformed("an ES256 signature is 64 bytes");
    var kidText;
    try { kidText = utf8.decode(kid); } catch (e) { throw new Malformed("the key id is not text"); }
    return { kid: kidText, protected: prot, payload: payload, signature: signature };
  }

  function text(map, key, optional) {
    var v = map.get(key);
    if (optional && v === undefined) return "";
    if (typeof v !== "string" || v.length > 200 || (!optional && !v.length)) throw new Malformed("claim " + key + " must be text");
    return v;
  }
  function uint(map, key, optional) {
    var v = map.get(key);
    if (optional && v === undefined) return null;
    if (typeof v !== "number" || v < 0 || !Number.isSafeInteger(v)) throw new Malformed("claim " + key + " must be an unsigned integer");
    return v;
  }

  function claimsFrom(raw) {
    if (!(raw instanceof Map)) throw new Malformed("the claims are not a CBOR map");
    var quals = raw.get(7);
    if (!Array.isArray(quals) || quals.length > 20 || quals.some(function (q) { return typeof q !== "string" || !q.length || q.length > 200; })) {
      throw new Malformed("qualifications must be an array of text");
    }
    var claims = {
      scheme: text(raw, 1), number: text(raw, 2), card_type_code: text(raw, 3),
      card_type_title: text(raw, 4), holder_name: text(raw, 5), occupation: text(raw, 6, true),
      qualifications: quals, issued: uint(raw, 9), expires: uint(raw, 10),
      status_index: uint(raw, 11), signed: uint(raw, 12), valid_until: uint(raw, 13, true),
    };
    if (claims.status_index >= 2147483648) throw new Malformed("status_index is out of range");
    if (claims.expires < claims.issued) throw new Malformed("the card expires before it was issued");
    if (claims.issued > 2932896 || claims.expires > 2932896 || claims.signed > 253402300799) throw new Malformed("a date is out of range");
    return claims;
  }

  /* --- the bundle --------------------------------------------------------------------------- */

  function canonical(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    return "{" + Object.keys(value).sort().filter(function (k) { return value[k] !== undefined; })
      .map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
  }

  function importKey(sec1) {
    return crypto.subtle.importKey("raw", sec1, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  }

  /* True if s <= n/2: ECDSA's (r, s) and (r, n - s) both verify, and only the first is taken. */
  function lowS(signature) {
    for (var i = 0; i < 32; i++) {
      if (signature[32 + i] !== HALF_ORDER[i]) return signature[32 + i] < HALF_ORDER[i];
    }
    return true;
  }

  function es256(key, signature, data) {
    if (signature.length !== 64 || !lowS(signature)) return Promise.resolve(false);
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
  }

  async function documentSigned(document, key) {
    var unsigned = {};
    Object.keys(document).forEach(function (k) { if (k !== "signature") unsigned[k] = document[k]; });
    try {
      return await es256(key, unb64url(document.signature), new TextEncoder().encode(canonical(unsigned)));
    } catch (e) { return false; }
  }

  /* The hex SHA-256 of the hub key a bundle names (its SEC1 bytes): what a device pins. */
  async function hubFingerprint(json) {
    var hub = json && json.trust_list && json.trust_list.hub;
    if (!hub) throw new Error("the bundle has no trust list");
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", unb64url(hub.public_key)));
    return Array.from(digest, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  /* A bundle ready to check cards with: every signature checked, keys imported, lists
     inflated. Throws Error (with a message for people) when the bundle cannot be trusted,
     including when ``pin`` (a hubFingerprint) is given and the bundle's hub key is another. */
  async function loadBundle(json, now, pin) {
    now = now || new Date();
    if (!json || json.type !== "skillcard-verifier-bundle") throw new Error("not a skillcard verifier bundle");
    var list = json.trust_list;
    if (!list || list.type !== "skillcard-trust-list" || !list.hub) throw new Error("the bundle has no trust list");
    if (pin && (await hubFingerprint(json)) !== pin) throw new Error("the card list is signed by a hub key this device does not trust");
    var hub = await importKey(unb64url(list.hub.public_key));
    if (!(await documentSigned(list, hub))) throw new Error("the trust list is not signed by the hub's key");
    var today = now.toISOString().slice(0, 10), keys = [];
    for (var i = 0; i < (list.keys || []).length; i++) {
      var entry = list.keys[i];
      if (entry.verify_until && entry.verify_until < today) continue;
      keys.push({
        kid: String(entry.kid), scheme: String(entry.scheme),
        key: await importKey(unb64url(entry.public_key)),
        from: Date.parse(entry.valid_from), until: entry.valid_until ? Date.parse(entry.valid_until) : null,
      });
    }
    var lists = {};
    for (var j = 0; j < (json.status_lists || []).length; j++) {
      var doc = json.status_lists[j], ok = false;
      var signers = keys.filter(function (k) { return k.kid === doc.kid && k.scheme === doc.scheme; });
      /* The hub signs the lists of schemes that hold their own keys: it keeps the cards'
         statuses, and its key already vouches for every key in the trust list. */
      if (doc.kid === list.kid) signers.push({ key: hub });
      for (var s = 0; s < signers.length && !ok; s++) ok = await documentSigned(doc, signers[s].key);
      if (!ok) throw new Error("the status list of " + doc.scheme + " is not signed by its scheme or the hub");
      var size = doc.entries / 8;
      var bits = await decompress(unb64url(doc.bits), "gzip", size);
      var plane = doc.suspended ? await decompress(unb64url(doc.suspended), "gzip", size) : new Uint8Array(0);
      lists[doc.scheme] = {
        scheme: doc.scheme, issued: Date.parse(doc.issued), ttl: doc.ttl, bits: bits,
        suspended: plane.some(function (b) { return b; }) ? plane : null,
      };
    }
    return { keys: keys, lists: lists, titles: await qualificationTitles(json.qualification_titles, hub) };
  }

  /* The titles of qualification codes, from the bundle's hub-signed titles document; none
     (the codes are shown) when it is missing or not signed by the hub. */
  async function qualificationTitles(doc, hub) {
    var titles = {};
    if (!doc || doc.type !== "skillcard-qualification-titles" || !doc.titles || typeof doc.titles !== "object") return titles;
    if (!(await documentSigned(doc, hub))) return titles;
    Object.keys(doc.titles).forEach(function (code) {
      if (typeof doc.titles[code] === "string") titles[code] = doc.titles[code];
    });
    return titles;
  }

  /* --- verification ------------------------------------------------------------------------- */

  function dayText(days) {
    return new Date(days * DAY_MS).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  function result(outcome, reasons, claims, warnings, kid) {
    return { outcome: outcome, valid: outcome === "valid", reasons: reasons || [], warnings: warnings || [], claims: claims || null, key_id: kid || null };
  }

  function issuerRefusal(claims, key) {
    if (key.scheme !== claims.scheme) return "The card says " + claims.scheme + " but was signed with a key of " + key.scheme + ".";
    var signed = claims.signed * 1000;
    if (signed < key.from - SKEW_MS || (key.until !== null && signed > key.until + SKEW_MS)) {
      return "The card was signed with key " + key.kid + " outside the time that key may sign.";
    }
    return "";
  }

  function decide(claims, key, bundle, nowMs) {
    var refusal = issuerRefusal(claims, key);
    if (refusal) return result("unknown_issuer", [refusal], null, [], key.kid);
    var list = bundle.lists[claims.scheme], listed = null, stale = "";
    if (!list) stale = "There is no status list for this scheme: revocation cannot be ruled out.";
    else if (claims.status_index >= list.bits.length * 8) stale = "The status list does not cover this card: revocation cannot be ruled out.";
    else {
      var mask = 0x80 >> (claims.status_index & 7), at = claims.status_index >> 3;
      if (list.bits[at] & mask) listed = list.suspended && list.suspended[at] & mask ? "suspended" : "revoked";
      if (nowMs > list.issued + list.ttl * 1000) stale = "The card list on this phone is out of date: connect to the internet to refresh it.";
    }
    var fail = function (outcome, reason) { return result(outcome, [reason], claims, [], key.kid); };
    if (listed === "revoked") return fail("revoked", "The scheme has revoked this card.");
    if (listed === "suspended" && !stale) return fail("suspended", "The scheme has suspended this card.");
    var earlyDay = Math.floor((nowMs + SKEW_MS) / DAY_MS), lateDay = Math.floor((nowMs - SKEW_MS) / DAY_MS);
    if (claims.issued > earlyDay || claims.signed * 1000 > nowMs + SKEW_MS) return fail("not_yet_valid", "The card is valid from " + dayText(claims.issued) + ".");
    if (claims.expires < lateDay) return fail("expired", "The card expired on " + dayText(claims.expires) + ".");
    if (claims.valid_until !== null && claims.valid_until * 1000 < nowMs - SKEW_MS) return fail("expired", "This phone code has timed out: ask for a fresh one.");
    if (stale) return fail("stale_status", stale);
    if (claims.expires - Math.floor(nowMs / DAY_MS) > EXPIRING_SOON_DAYS) return result("valid", [], claims, [], key.kid);
    return result("valid", ["The card expires on " + dayText(claims.expires) + "."], claims, ["expiring_soon"], key.kid);
  }

  async function verifyInner(qrText, bundle, nowMs) {
    var message = coseDecode(await coseFromText(qrText));
    var candidates = bundle.keys.filter(function (k) { return k.kid === message.kid; });
    if (!candidates.length) {
      return result("unknown_issuer", ["The card was signed with a key this checker does not know (" + message.kid.slice(0, 64) + ")."], null, [], message.kid);
    }
    var signed = sigStructure(message.protected, message.payload), claims = null, chosen = null;
    for (var i = 0; i < candidates.length; i++) {
      if (!(await es256(candidates[i].key, message.signature, signed))) continue;
      if (claims === null) claims = claimsFrom(cborDecode(message.payload));
      chosen = chosen || candidates[i];
      if (candidates.length === 1 || !issuerRefusal(claims, candidates[i])) { chosen = candidates[i]; break; }
    }
    if (claims === null) {
      return result("bad_signature", ["The signature does not match the card's details: it may have been altered."], null, [], message.kid);
    }
    return decide(claims, chosen, bundle, nowMs);
  }

  /* The outcome of checking QR text against a loaded bundle (loadBundle). Never throws. */
  async function verify(qrText, bundle, now) {
    var nowMs = (now || new Date()).getTime();
    try {
      var answer = await verifyInner(qrText, bundle, nowMs), titles = bundle.titles || {};
      if (answer.claims) {
        answer.claims.qualification_titles = answer.claims.qualifications.map(function (code) {
          return Object.prototype.hasOwnProperty.call(titles, code) ? titles[code] : code;
        });
      }
      return answer;
    } catch (error) {
      var why = error instanceof Malformed ? error.message : (error && error.name) || "error";
      return result("malformed", ["Not a readable card: " + why + "."]);
    }
  }

  global.SkillcardOffline = { verify: verify, loadBundle: loadBundle, hubFingerprint: hubFingerprint, canonical: canonical, base45Decode: base45Decode, cborDecode: cborDecode };
})(window);
