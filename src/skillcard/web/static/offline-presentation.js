/* A phone's holder-bound presentation (domain/holder_binding.py, docs/contracts.md), checked
   on this device with no network, with offline-verify.js's pipeline (loaded before this file):

     "SC2:" + Base45 -> CBOR [device credential, time, the phone's signature]
     -> the scheme's ES256 over the device credential (trust list, key windows, as for SC1:)
     -> the phone's ES256 (either form of s: WebCrypto does not normalise it) over
        CBOR ["SkillcardPresentation", time, SHA-256(device credential)]
     -> the device's status entry, the card's dates, the credential's period (5 minutes' skew)
     -> the time within WINDOW_MS of this device's clock (no skew added: a screenshot would
        pass for five minutes). */
(function (global) {
  "use strict";

  var P = global.SkillcardOffline.parts;
  var Malformed = P.Malformed, base45Decode = P.base45Decode, decompress = P.decompress;
  var cborDecode = P.cborDecode, coseDecode = P.coseDecode, claimsFrom = P.claimsFrom;
  var vouched = P.vouched, decide = P.decide, result = P.result, importKey = P.importKey;
  var dayText = P.dayText, MAX_TEXT = P.MAX_TEXT, MAX_INFLATED = P.MAX_INFLATED, SKEW_MS = P.SKEW_MS;
  var PRESENTATION_PREFIX = "SC2:";
  var WINDOW_MS = 60 * 1000;  /* the server's default phone_presentation_window_seconds */

  /* A device credential's claims: the card's, with the device's entry under 17 (and no 11),
     and the phone's key, a P-256 COSE_Key, under 15. */
  function deviceFrom(raw) {
    if (!(raw instanceof Map) || raw.has(11) || !raw.has(17) || !raw.has(15)) throw new Malformed("not a device credential's claims");
    var card = new Map(raw), key = raw.get(15);
    card.set(11, raw.get(17));
    var x = key instanceof Map ? key.get(-2) : null, y = key instanceof Map ? key.get(-3) : null;
    if (!(key instanceof Map) || key.get(1) !== 2 || key.get(-1) !== 1 || !(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
      throw new Malformed("the device key is not a P-256 COSE_Key");
    }
    var claims = claimsFrom(card);
    if (claims.valid_until === null) throw new Malformed("a device credential must say when its period ends");
    var point = new Uint8Array(65);
    point[0] = 4; point.set(x, 1); point.set(y, 33);
    return { card: claims, deviceKey: point };
  }

  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    return [(major << 5) | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  }

  async function phoneSigned(credential, seconds, signature, point) {
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", credential));
    var context = new TextEncoder().encode("SkillcardPresentation");
    var parts = [[0x83], cborHead(3, context.length), context, cborHead(0, seconds), cborHead(2, 32), digest];
    var size = 0, at = 0;
    parts.forEach(function (p) { size += p.length; });
    var signed = new Uint8Array(size);
    parts.forEach(function (p) { signed.set(p, at); at += p.length; });
    try {
      var key = await importKey(point);
      /* either form of s: WebCrypto does not normalise it (see adapters/presentation.py) */
      return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, signed);
    } catch (e) { return false; }
  }

  async function verifyPresentation(qrText, bundle, nowMs) {
    var text = String(qrText).trim();
    if (text.length > MAX_TEXT) throw new Malformed("the text is longer than any QR code holds");
    var data = base45Decode(text.slice(PRESENTATION_PREFIX.length));
    if (data[0] === 0x78) data = await decompress(data, "deflate", MAX_INFLATED);
    if (data[0] !== 0x83) throw new Malformed("not a phone presentation (an array of three)");
    var parts = cborDecode(data);
    if (!Array.isArray(parts) || parts.length !== 3 || !(parts[0] instanceof Uint8Array) || typeof parts[1] !== "number" ||
        !(parts[2] instanceof Uint8Array) || parts[2].length !== 64 || parts[1] > 253402300799) {
      throw new Malformed("not a phone presentation");
    }
    var found = await vouched(coseDecode(parts[0]), bundle, deviceFrom);
    if (found.refused) return found.refused;
    var device = found.claims, key = found.key;
    if (!(await phoneSigned(parts[0], parts[1], parts[2], device.deviceKey))) {
      return result("bad_signature", ["The code was not signed by the phone this card was given to: it may be a copy."], null, [], key.kid);
    }
    var card = Object.assign({}, device.card, { valid_until: null });
    var answer = decide(card, key, bundle, nowMs);
    answer.claims = device.card;
    if (answer.outcome === "revoked") answer.reasons = ["The scheme has revoked this card, or this phone's copy of it."];
    if (answer.outcome !== "valid" && answer.outcome !== "stale_status") return answer;
    var fail = function (outcome, reason) { return result(outcome, [reason], device.card, [], key.kid); };
    if (device.card.valid_until * 1000 + SKEW_MS < nowMs) {
      return fail("expired", "This phone's copy of the card ran out on " + dayText(Math.floor(device.card.valid_until / 86400)) + ": the holder must open MyCard with signal to renew it.");
    }
    var age = Math.floor(nowMs / 1000) - parts[1];
    if (age * 1000 > WINDOW_MS) return fail("expired", "This code was made " + age + " seconds ago; a phone makes a fresh one every 30 seconds: this is a screenshot, or a clock is wrong.");
    if (-age * 1000 > WINDOW_MS) return fail("not_yet_valid", "This code says it was made " + (-age) + " seconds from now: the phone's clock or this device's is wrong.");
    return answer;
  }

  global.SkillcardPresentation = { verify: verifyPresentation };
})(window);
