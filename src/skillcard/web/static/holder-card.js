/* The holder-bound phone card (domain/holder_binding.py), in the holder's browser.

   Setting up (the card's page, /my/cards/{number}/phone, with signal): the phone makes a P-256
   key pair with WebCrypto, not extractable, keeps it in IndexedDB, and sends only the public
   key; the scheme signs a device credential for it, which is kept beside the key.
   Showing (/my/phone, with or without signal): every 30 seconds the phone signs
   CBOR ["SkillcardPresentation", now in seconds, SHA-256(device credential)] and shows
     "SC2:" + Base45(CBOR [device credential, now, signature])
   as a QR code, alphanumeric mode, error correction L (a screen is not scuffed, and L keeps
   the code at version 24 with a typical 640-byte thumbnail, 29 at most with a 1 KB one and
   the longest texts; M would be 27 to 32). A checker accepts it for about a minute. */
(function () {
  "use strict";

  var DB = "skillcard-holder", STORE = "cards", RENEW_MS = 30000;
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  var CONTEXT = "SkillcardPresentation";
  var $ = function (id) { return document.getElementById(id); };

  function supported() {
    return !!(window.crypto && crypto.subtle && window.indexedDB && window.isSecureContext !== false);
  }

  /* --- IndexedDB: one record per card number {number, keys, credential, valid_until, card} */

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "number" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out.result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function allCards() { return tx("readonly", function (s) { return s.getAll(); }); }
  function keep(record) { return tx("readwrite", function (s) { return s.put(record); }); }

  /* --- bytes ---------------------------------------------------------------------------- */

  function b64urlBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    return [(major << 5) | 26, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  }

  function concat(parts) {
    var size = 0, at = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size);
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function base45(bytes) {
    var out = "";
    for (var i = 0; i + 1 < bytes.length; i += 2) {
      var n = bytes[i] * 256 + bytes[i + 1];
      out += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
    }
    if (bytes.length % 2) {
      var last = bytes[bytes.length - 1];
      out += B45[last % 45] + B45[Math.floor(last / 45)];
    }
    return out;
  }

  /* The QR text of a presentation made at ``seconds`` (since 1970 UTC). */
  async function presentation(record, seconds) {
    var credential = b64urlBytes(record.credential);
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", credential));
    var context = new TextEncoder().encode(CONTEXT);
    var signed = concat([Uint8Array.of(0x83), Uint8Array.from(head(3, context.length)), context,
      Uint8Array.from(head(0, seconds)), Uint8Array.from(head(2, 32)), digest]);
    var signature = new Uint8Array(await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" }, record.keys.privateKey, signed));
    var envelope = concat([Uint8Array.of(0x83), Uint8Array.from(head(2, credential.length)), credential,
      Uint8Array.from(head(0, seconds)), Uint8Array.from(head(2, 64)), signature]);
    return "SC2:" + base45(envelope);
  }

  /* --- setting up, on the card's page --------------------------------------------------- */

  async function enrol(box) {
    var status = $("enrol-status"), button = $("enrol-button");
    button.disabled = true;
    status.textContent = "Setting up this phone…";
    try {
      var keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
      var jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
      var answer = await fetch("/my/cards/" + encodeURIComponent(box.dataset.number) + "/device", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
        body: JSON.stringify({ jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }),
      });
      var body = await answer.json();
      if (!answer.ok) throw new Error(body.error ? body.error.message : "the server said no");
      await keep({ number: body.card.number, keys: keys, credential: body.credential,
        valid_until: body.valid_until, key: body.key, card: body.card });
      status.textContent = "This phone is set up. Your card now shows with no signal, until " +
        new Date(body.valid_until).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" }) + ".";
      $("offline-link").hidden = false;
      button.textContent = "Set up this phone again";
    } catch (error) {
      status.textContent = "This phone could not be set up: " + error.message + ". Try again with signal.";
    }
    button.disabled = false;
  }

  function setUpEnrol(box) {
    if (!supported()) return;  /* the server-signed code below still works with signal */
    box.hidden = false;
    allCards().then(function (cards) {
      var mine = cards.filter(function (c) { return c.number === box.dataset.number; })[0];
      if (mine) {
        $("enrol-status").textContent = "This phone is set up for this card.";
        $("offline-link").hidden = false;
        $("enrol-button").textContent = "Set up this phone again";
      }
    }).catch(function () {});
    $("enrol-button").addEventListener("click", function () { enrol(box); });
  }

  /* --- showing the card, with or without signal ----------------------------------------- */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dayText(iso) {
    return new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  function showFace(record) {
    var card = record.card, face = $("holder-face");
    face.replaceChildren();
    var band = el("div", { "class": "band", "data-colour": card.colour || "" });
    band.appendChild(el("span", { "class": "scheme" }, card.scheme));
    band.appendChild(el("span", { "class": "type" }, card.card_type_title));
    face.appendChild(band);
    var body = el("div", { "class": "body phone-body" });
    if (card.portrait) body.appendChild(el("img", { "class": "phone-photo", src: "data:image/jpeg;base64," + card.portrait, alt: "Your photo" }));
    var text = el("div");
    text.appendChild(el("p", { "class": "holder" }, card.holder_name));
    if (card.occupation) text.appendChild(el("p", { "class": "occupation" }, card.occupation));
    var facts = el("dl", { "class": "facts" });
    [["Card number", card.number], ["Expires", dayText(card.expires)]].forEach(function (f) {
      var row = el("div");
      row.appendChild(el("dt", {}, f[0]));
      row.appendChild(el("dd", {}, f[1]));
      facts.appendChild(row);
    });
    text.appendChild(facts);
    body.appendChild(text);
    face.appendChild(body);
    face.setAttribute("aria-label", card.scheme + " card " + card.number);
    face.hidden = false;
  }

  function draw(text) {
    var qr = window.qrcode(0, "L");
    qr.addData(text, "Alphanumeric");
    qr.make();
    var count = qr.getModuleCount(), quiet = 4, cell = Math.max(4, Math.floor(800 / (count + 2 * quiet)));
    var canvas = $("holder-qr-canvas"), size = (count + 2 * quiet) * cell;
    canvas.width = canvas.height = size;
    var g = canvas.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, size, size);
    g.fillStyle = "#000";
    for (var r = 0; r < count; r++) {
      for (var c = 0; c < count; c++) if (qr.isDark(r, c)) g.fillRect((c + quiet) * cell, (r + quiet) * cell, cell, cell);
    }
    canvas.dataset.version = String((count - 17) / 4);
    canvas.dataset.text = text;
  }

  var timer = null;

  async function renew(record) {
    if (timer) clearTimeout(timer);
    var now = Date.now();
    if (Date.parse(record.valid_until) < now) {
      $("holder-qr").hidden = true;
      $("holder-status").textContent = "This phone's copy of your card ran out on " + dayText(record.valid_until) +
        ". With signal, sign in and open your card to set this phone up again.";
      return;
    }
    var text = await presentation(record, Math.floor(now / 1000));
    draw(text);
    $("holder-qr").hidden = false;
    $("holder-status").textContent = navigator.onLine ? "" : "No signal needed: this code is made on your phone.";
    $("holder-qr-note").textContent = "Made at " + new Date(now).toLocaleTimeString("en-GB") +
      ". A fresh code every 30 seconds; a checker accepts each for about a minute, so a screenshot is no use later.";
    timer = setTimeout(function () { renew(record); }, RENEW_MS - (now % RENEW_MS));
  }

  function setUpCard() {
    var status = $("holder-status");
    if (!supported() || !window.qrcode) {
      status.textContent = "This browser cannot make your card's code with no signal. With signal, open your card from MyCard instead.";
      return;
    }
    allCards().then(function (cards) {
      var wanted = new URLSearchParams(location.search).get("card");
      var record = cards.filter(function (c) { return !wanted || c.number === wanted; })[0];
      if (!record) {
        status.textContent = "This phone has no card set up yet. With signal, sign in, open your card in MyCard and choose \u201cSet up this phone\u201d.";
        return;
      }
      showFace(record);
      renew(record);
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") renew(record);
      });
    }).catch(function (error) {
      status.textContent = "Your card could not be opened on this phone (" + error.message + ").";
    });
  }

  function setUp() {
    var box = $("phone-enrol");
    if (box) setUpEnrol(box);
    if ($("holder-card")) setUpCard();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  window.SkillcardHolder = { presentation: presentation, allCards: allCards };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
