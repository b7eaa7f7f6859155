/*
 * Balcão web chat widget: <script src="https://HOST/widget.js" data-agent="vendas" async></script>
 * Optional: data-language="pt-BR|en|es", data-position="right|left".
 * Drawn inside a Shadow DOM, styled only by widget.css; data only ever reaches the page as text (textContent).
 */
(function () {
  "use strict";

  // ---- Finding our own <script> tag; running once ------------------------------------------------

  let script = document.currentScript;
  if (!script || !script.getAttribute || !script.getAttribute("data-agent")) {
    script = document.querySelector('script[src*="widget.js"][data-agent]');
  }
  if (!script || window.__balcaoWidgetLoaded) return;
  const AGENT = (script.getAttribute("data-agent") || "").trim();
  let BASE;
  try {
    BASE = new URL(script.src, location.href).origin;
  } catch (_) {
    return;
  }
  if (!AGENT) return;
  window.__balcaoWidgetLoaded = true;

  const POSITION = script.getAttribute("data-position") === "left" ? "left" : "right";
  const LANGUAGE_OVERRIDE = (script.getAttribute("data-language") || "").trim();
  const MAX_LENGTH = 2000;
  const HANDOFF = "balcao:handoff";
  const AUTHORS = ["customer", "assistant", "operator"];

  // ---- Strings ----------------------------------------------------------------------------------

  const STRINGS = {
    "pt-BR": {
      open: "Abrir chat",
      close: "Fechar chat",
      handoff: "Falar com uma pessoa",
      handoffText: "Quero falar com uma pessoa",
      placeholder: "Escreva sua mensagem…",
      input: "Mensagem",
      send: "Enviar",
      typing: "digitando…",
      greeting: "Olá! Como podemos ajudar?",
      agent: "Atendente",
      sources: "Fonte",
      messages: "Mensagens",
      tooMany: "Muitas mensagens seguidas. Aguarde um momento.",
      sendFailed: "Não foi possível enviar. Tente novamente.",
      contactName: "Seu nome",
      contactValue: "E-mail ou telefone",
      contactSend: "Enviar",
      contactDismiss: "Agora não",
      contactBad: "Informe um e-mail ou telefone válido.",
      contactThanks: "Obrigado! Vamos responder em breve pelo contato informado."
    },
    en: {
      open: "Open chat",
      close: "Close chat",
      handoff: "Talk to a person",
      handoffText: "I'd like to talk to a person",
      placeholder: "Write your message…",
      input: "Message",
      send: "Send",
      typing: "typing…",
      greeting: "Hi! How can we help?",
      agent: "Agent",
      sources: "Source",
      messages: "Messages",
      tooMany: "Too many messages. Please wait a moment.",
      sendFailed: "Could not send. Please try again.",
      contactName: "Your name",
      contactValue: "E-mail or phone",
      contactSend: "Send",
      contactDismiss: "Not now",
      contactBad: "Please enter a valid e-mail or phone number.",
      contactThanks: "Thank you! We'll get back to you soon at the contact you left."
    },
    es: {
      open: "Abrir chat",
      close: "Cerrar chat",
      handoff: "Hablar con una persona",
      handoffText: "Quiero hablar con una persona",
      placeholder: "Escribe tu mensaje…",
      input: "Mensaje",
      send: "Enviar",
      typing: "escribiendo…",
      greeting: "¡Hola! ¿Cómo podemos ayudar?",
      agent: "Agente",
      sources: "Fuente",
      messages: "Mensajes",
      tooMany: "Demasiados mensajes. Espera un momento.",
      sendFailed: "No se pudo enviar. Inténtalo de nuevo.",
      contactName: "Tu nombre",
      contactValue: "Correo o teléfono",
      contactSend: "Enviar",
      contactDismiss: "Ahora no",
      contactBad: "Escribe un correo o teléfono válido.",
      contactThanks: "¡Gracias! Te responderemos pronto en el contacto que dejaste."
    }
  };

  /** "pt-BR" for any pt*, "es" for es*, "en" otherwise. */
  function pickLanguage(tag) {
    const t = String(tag || "").toLowerCase();
    if (t.indexOf("pt") === 0) return "pt-BR";
    if (t.indexOf("es") === 0) return "es";
    return "en";
  }

  // ---- Small helpers ----------------------------------------------------------------------------

  function storageGet(kind, key) {
    try {
      return window[kind].getItem(key);
    } catch (_) {
      return null;
    }
  }

  function storageSet(kind, key, value) {
    try {
      window[kind].setItem(key, value);
    } catch (_) {
      /* storage blocked: keep going in memory */
    }
  }

  /** The visitor's token: kept per agent in localStorage, or in memory when storage is blocked. */
  function visitorToken() {
    const key = "balcao-visitor:" + AGENT;
    let token = storageGet("localStorage", key);
    if (token && /^[A-Za-z0-9_-]{16,128}$/.test(token)) return token;
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    token = Array.prototype.map.call(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
    storageSet("localStorage", key, token);
    return token;
  }

  function url(path, params) {
    const u = new URL(path, BASE);
    Object.keys(params || {}).forEach((k) => { u.searchParams.set(k, String(params[k])); });
    return u.toString();
  }

  /** Every request: no cookies, CORS, never cached. */
  function request(path, params, options) {
    return fetch(url(path, params), Object.assign({ credentials: "omit", mode: "cors", cache: "no-store" }, options));
  }

  function getJSON(path, params) {
    return request(path, params).then((r) => {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function parse(text) {
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" ? value : null;
    } catch (_) {
      return null;
    }
  }

  function el(tag, className, attributes, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    Object.keys(attributes || {}).forEach((k) => { node.setAttribute(k, attributes[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  /** An inline SVG icon, built node by node. */
  function icon(className, paths) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "bw-icon " + className);
    paths.forEach((d) => {
      const path = document.createElementNS(NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  function whenBody(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn, { once: true });
  }

  /** Whitespace-insensitive text, to match a pending message with the server's (trimmed) copy. */
  function same(text) {
    return String(text || "").replace(/\s+/g, " ").trim();
  }

  // ---- Start: the configuration decides whether the widget exists at all ------------------------

  getJSON("/widget/v1/config", { agent: AGENT }).then(
    (config) => {
      whenBody(() => { start(config); });
    },
    () => {
      // A refused origin (403 without CORS headers rejects as a TypeError) or an unknown agent: draw nothing.
      console.warn("Balcão widget: not available on this page (origin not allowed or unknown agent \"" + AGENT + "\").");
    }
  );

  function start(config) {
    const lang = pickLanguage(LANGUAGE_OVERRIDE || config.language || navigator.language);
    const t = STRINGS[lang];
    const showSources = config.showSources === true;
    const title = typeof config.title === "string" && config.title.trim() ? config.title.trim() : "Chat";
    const visitor = visitorToken();
    const openKey = "balcao-open:" + AGENT;
    const contactKey = "balcao-contact-sent:" + AGENT;

    // State
    let isOpen = false;
    let lastId = 0;
    let unread = 0;
    const messages = new Map(); // id -> { node, signature }
    const pending = []; // { text, node, confirmed }
    const answered = new Set(); // ids of messages whose buttons were used
    let noticeTimer = 0;
    let contactDone = storageGet("sessionStorage", contactKey) !== null; // sent or "not now": never again this session
    let contactBusy = false;

    // ---- DOM ----

    const host = el("div", null, { id: "balcao-widget" });
    const shadow = host.attachShadow({ mode: "open" });
    const root = el("div", "bw-root bw-" + POSITION, { lang: lang });
    root.hidden = true; // shown once the stylesheet has loaded, so nothing flashes unstyled
    const link = el("link", null, { rel: "stylesheet", href: BASE + "/widget.css" });
    const reveal = () => { root.hidden = false; };
    link.addEventListener("load", reveal);
    link.addEventListener("error", reveal);

    const panel = el("section", "bw-panel", { id: "bw-panel", role: "dialog", "aria-label": title });
    panel.hidden = true;

    const header = el("header", "bw-header");
    const heading = el("h2", "bw-title", null, title);
    const handoff = el("button", "bw-handoff", { type: "button", "aria-label": t.handoff }, t.handoff);
    const close = el("button", "bw-close", { type: "button", "aria-label": t.close, title: t.close });
    close.appendChild(icon("bw-icon-stroke", ["M6 6l12 12M18 6L6 18"]));
    const headingBox = el("div", "bw-heading");
    headingBox.append(heading, handoff);
    header.append(headingBox, close);

    const scroller = el("div", "bw-scroll");
    const greeting = el("p", "bw-greeting", null, t.greeting);
    const log = el("div", "bw-log", { role: "log", "aria-live": "polite", "aria-label": t.messages });
    const typing = el("div", "bw-typing", { role: "status" });
    typing.hidden = true;
    typing.append(el("span", "bw-dot"), el("span", "bw-dot"), el("span", "bw-dot"), el("span", "bw-sr", null, t.typing));
    scroller.append(greeting, log, typing);

    const notice = el("div", "bw-notice", { role: "status" });
    notice.hidden = true;

    const form = el("form", "bw-form");
    const input = el("textarea", "bw-input", {
      rows: "1",
      maxlength: String(MAX_LENGTH),
      placeholder: t.placeholder,
      "aria-label": t.input
    });
    const sendButton = el("button", "bw-send", { type: "submit", "aria-label": t.send, title: t.send });
    sendButton.appendChild(icon("bw-icon-fill", ["M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87z"]));
    form.append(input, sendButton);

    // Asking for a way to answer later, when no person can answer now (after the business's privacy notice).
    const contact = el("form", "bw-contact");
    contact.hidden = true;
    const contactNotice = el("p", "bw-contact-notice", { id: "bw-contact-notice" });
    const contactName = el("input", "bw-contact-name", {
      id: "bw-contact-name", type: "text", maxlength: "100", autocomplete: "name", required: ""
    });
    const contactValue = el("input", "bw-contact-value", {
      id: "bw-contact-value", type: "text", maxlength: "120", autocomplete: "email", required: "",
      "aria-describedby": "bw-contact-error"
    });
    const contactError = el("p", "bw-contact-error", { id: "bw-contact-error", role: "alert" });
    contactError.hidden = true;
    const contactSend = el("button", "bw-contact-send", { type: "submit" }, t.contactSend);
    const contactDismiss = el("button", "bw-contact-dismiss", { type: "button" }, t.contactDismiss);
    const field = (label, input) => {
      const box = el("div", "bw-contact-field");
      box.append(el("label", "bw-contact-label", { for: input.id }, label), input);
      return box;
    };
    const contactActions = el("div", "bw-contact-actions");
    contactActions.append(contactSend, contactDismiss);
    contact.append(
      contactNotice,
      field(t.contactName, contactName),
      field(t.contactValue, contactValue),
      contactError,
      contactActions
    );

    panel.append(header, scroller, contact, notice, form);

    const bubble = el("button", "bw-bubble", { type: "button", "aria-label": t.open, "aria-controls": "bw-panel", "aria-expanded": "false" });
    const badge = el("span", "bw-badge", { "aria-hidden": "true" });
    badge.hidden = true;
    bubble.append(
      icon("bw-icon-fill bw-icon-chat", ["M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z"]),
      icon("bw-icon-stroke bw-icon-down", ["M6 9l6 6 6-6"]),
      badge
    );

    root.append(panel, bubble);
    shadow.append(link, root);
    document.body.appendChild(host);

    // ---- Opening and closing ----

    function setOpen(open, byUser) {
      isOpen = open;
      panel.hidden = !open;
      root.classList.toggle("bw-open", open);
      bubble.setAttribute("aria-expanded", String(open));
      bubble.setAttribute("aria-label", open ? t.close : t.open);
      storageSet("sessionStorage", openKey, open ? "1" : "0");
      if (open) {
        unread = 0;
        updateBadge();
        scrollToEnd();
        if (byUser) input.focus();
      } else if (byUser) {
        bubble.focus();
      }
      if (mode === "poll") schedulePoll(open ? 0 : 15000);
    }

    bubble.addEventListener("click", () => { setOpen(!isOpen, true); });
    close.addEventListener("click", () => { setOpen(false, true); });
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && isOpen) {
        e.stopPropagation();
        setOpen(false, true);
      }
    });

    function updateBadge() {
      badge.hidden = unread === 0;
      badge.textContent = unread > 9 ? "9+" : String(unread);
    }

    // ---- Notices ----

    function showNotice(text, ms) {
      notice.textContent = text;
      notice.hidden = false;
      clearTimeout(noticeTimer);
      noticeTimer = setTimeout(clearNotice, ms);
    }

    function clearNotice() {
      clearTimeout(noticeTimer);
      notice.hidden = true;
      notice.textContent = "";
    }

    // ---- Drawing messages ----

    function nearEnd() {
      return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    }

    function scrollToEnd() {
      scroller.scrollTop = scroller.scrollHeight;
    }

    /** Runs a change to the list, keeping the view pinned to the end when it was there. */
    function change(fn, force) {
      const stick = force || nearEnd();
      fn();
      greeting.hidden = messages.size + pending.length > 0;
      if (stick) scrollToEnd();
    }

    function sourceLine(sources) {
      const line = el("div", "bw-sources");
      line.appendChild(document.createTextNode(t.sources + ": "));
      const seen = new Set();
      sources.forEach((s) => {
        if (!s || typeof s !== "object") return;
        const href = typeof s.url === "string" && /^https?:\/\//i.test(s.url) ? s.url : null;
        const name = typeof s.title === "string" && s.title.trim() ? s.title.trim() : href;
        if (!name || seen.has(name + "\n" + href)) return;
        seen.add(name + "\n" + href);
        if (seen.size > 1) line.appendChild(document.createTextNode(", "));
        if (href) {
          line.appendChild(el("a", "bw-source-link", { href: href, target: "_blank", rel: "noopener noreferrer" }, name));
        } else {
          line.appendChild(el("span", "bw-source", null, name));
        }
      });
      return seen.size ? line : null;
    }

    function optionButtons(id, buttons) {
      const group = el("div", "bw-options", { role: "group" });
      buttons.forEach((b) => {
        if (!b || typeof b.id !== "string" || typeof b.title !== "string" || !b.title.trim()) return;
        const button = el("button", "bw-option", { type: "button", "data-button": b.id }, b.title);
        button.disabled = answered.has(id);
        button.addEventListener("click", () => {
          if (answered.has(id)) return;
          answered.add(id);
          setDisabled(group, true);
          send(b.title, b.id).then((ok) => {
            if (!ok) {
              answered.delete(id);
              setDisabled(group, false);
            }
          });
        });
        group.appendChild(button);
      });
      return group.children.length ? group : null;
    }

    function setDisabled(group, disabled) {
      Array.prototype.forEach.call(group.querySelectorAll("button"), (b) => { b.disabled = disabled; });
    }

    function renderMessage(id, author, text, m) {
      const node = el("div", "bw-message bw-from-" + author, { "data-author": author, "data-id": String(id) });
      if (author === "operator") node.appendChild(el("div", "bw-label", null, t.agent));
      const body = el("div", "bw-text", null, text);
      node.appendChild(body);
      if (showSources && author !== "customer" && Array.isArray(m.sources) && m.sources.length) {
        const line = sourceLine(m.sources);
        if (line) node.appendChild(line);
      }
      if (author !== "customer" && Array.isArray(m.buttons) && m.buttons.length) {
        const group = optionButtons(id, m.buttons);
        if (group) node.appendChild(group);
      }
      return node;
    }

    /** Adds or replaces one server message (by id); `live` when it arrived after the first load. */
    function upsert(m, live) {
      if (!m || typeof m !== "object") return;
      const id = Number(m.id);
      if (!Number.isFinite(id)) return;
      if (id > lastId) lastId = id;
      const author = AUTHORS.indexOf(m.author) >= 0 ? m.author : "assistant";
      const text = typeof m.text === "string" ? m.text : "";
      const signature = JSON.stringify([author, text, m.sources || null, m.buttons || null]);
      const known = messages.get(id);
      if (known && known.signature === signature) return; // a re-send: nothing new
      const node = renderMessage(id, author, text, m);
      if (known) {
        known.node.replaceWith(node);
      } else {
        log.insertBefore(node, placeFor(id));
        if (author === "customer") {
          confirmPending(text);
        } else {
          if (live && !isOpen) unread++;
          setTyping(false);
        }
      }
      messages.set(id, { node: node, signature: signature });
    }

    /** Server messages stay in id order, before the visitor's pending ones. */
    function placeFor(id) {
      const children = log.children;
      for (let i = 0; i < children.length; i++) {
        const child = children[i];
        if (child.classList.contains("bw-pending") || Number(child.getAttribute("data-id")) > id) return child;
      }
      return null;
    }

    function addPending(text) {
      const node = el("div", "bw-message bw-from-customer bw-pending pending", { "data-author": "customer" });
      node.appendChild(el("div", "bw-text", null, text));
      const entry = { text: same(text), node: node, confirmed: false };
      change(() => {
        pending.push(entry);
        log.appendChild(node);
      }, true);
      return entry;
    }

    function dropPending(entry) {
      const index = pending.indexOf(entry);
      if (index >= 0) pending.splice(index, 1);
      entry.node.remove();
    }

    /** The server's copy of a visitor message arrived: its pending bubble goes. */
    function confirmPending(text) {
      const key = same(text);
      for (let i = 0; i < pending.length; i++) {
        if (pending[i].text === key) {
          pending[i].confirmed = true;
          dropPending(pending[i]);
          return;
        }
      }
    }

    function setTyping(on) {
      if (typing.hidden === !on) return;
      change(() => { typing.hidden = !on; });
    }

    /** A poll answer, or the history: `{"messages":[…], "typing":bool}`. */
    function applyBatch(data, live) {
      if (!data || typeof data !== "object") return 0;
      const list = Array.isArray(data.messages) ? data.messages.slice() : [];
      list.sort((a, b) => { return Number(a && a.id) - Number(b && b.id); });
      change(() => { list.forEach((m) => { upsert(m, live); }); });
      if (typeof data.typing === "boolean") setTyping(data.typing);
      askContact(data.askContact === true, data.contactNotice);
      updateBadge();
      return list.length;
    }

    // ---- Sending ----

    /** Posts one visitor message; resolves true when the server accepted it. */
    function send(text, buttonId) {
      text = String(text || "").trim().slice(0, MAX_LENGTH);
      if (!text) return Promise.resolve(false);
      const entry = addPending(text);
      const body = { agent: AGENT, visitor: visitor, text: text };
      if (buttonId) body.button = buttonId;
      const failed = (message, ms) => {
        if (entry.confirmed) return true; // the stream already showed it: it went through
        change(() => { dropPending(entry); });
        showNotice(message, ms);
        return false;
      };
      return request("/widget/v1/messages", null, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }).then(
        (r) => {
          if (r.ok) {
            clearNotice();
            if (mode === "poll") schedulePoll(500);
            return true;
          }
          if (r.status === 429) {
            const wait = parseInt(r.headers.get("Retry-After"), 10);
            return failed(t.tooMany, Math.min(Math.max(isNaN(wait) ? 5 : wait, 3), 60) * 1000);
          }
          return failed(t.sendFailed, 8000);
        },
        () => failed(t.sendFailed, 8000)
      );
    }

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.value = "";
      send(text).then((ok) => {
        if (ok) return;
        // Nothing the visitor wrote is lost: it goes back into the box.
        input.value = input.value.trim() ? text + "\n" + input.value : text;
      });
      input.focus();
    });

    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        if (form.requestSubmit) form.requestSubmit();
        else form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });

    handoff.addEventListener("click", () => {
      handoff.disabled = true;
      send(t.handoffText, HANDOFF).then(() => { handoff.disabled = false; });
    });

    // ---- Leaving a contact ----

    /** The server wants (or no longer wants) the contact form; `text` is its privacy notice, shown as text. */
    function askContact(ask, text) {
      if (typeof text === "string") {
        contactNotice.textContent = text.trim();
        contactNotice.hidden = !text.trim();
      }
      const show = ask && !contactDone;
      if (contact.hidden === !show) return;
      if (!show && contact.contains(shadow.activeElement)) input.focus();
      change(() => { contact.hidden = !show; });
    }

    /** Sent, or "not now": the form goes for the rest of this session. */
    function closeContact(how) {
      contactDone = true;
      storageSet("sessionStorage", contactKey, how);
      askContact(false);
    }

    function showContactError(text, badField) {
      contactError.textContent = text || "";
      contactError.hidden = !text;
      if (badField) contactValue.setAttribute("aria-invalid", "true");
      else contactValue.removeAttribute("aria-invalid");
    }

    contactValue.addEventListener("input", () => { contactValue.removeAttribute("aria-invalid"); });

    contactDismiss.addEventListener("click", () => { closeContact("dismissed"); });

    contact.addEventListener("submit", (e) => {
      e.preventDefault();
      if (contactBusy) return;
      const name = contactName.value.trim();
      const value = contactValue.value.trim();
      if (!name || !value) {
        // Only spaces: emptied, so the browser's own "required" message shows.
        if (!name) contactName.value = "";
        if (!value) contactValue.value = "";
        contact.reportValidity();
        return;
      }
      // Busy, not disabled: a disabled button would drop the keyboard focus.
      contactBusy = true;
      contactSend.setAttribute("aria-disabled", "true");
      showContactError(null);
      let hold = 0; // after a 429, the button waits as long as the server asked
      request("/widget/v1/contact", null, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ agent: AGENT, visitor: visitor, name: name, contact: value })
      }).then(
        (r) => {
          if (r.ok) {
            closeContact("sent");
            change(() => { log.appendChild(el("p", "bw-contact-thanks", null, t.contactThanks)); }, true);
            return;
          }
          if (r.status === 429) {
            const wait = parseInt(r.headers.get("Retry-After"), 10);
            hold = Math.min(Math.max(isNaN(wait) ? 5 : wait, 3), 60) * 1000;
            showContactError(t.tooMany);
            return;
          }
          return r.json().catch(() => null).then((d) => {
            const bad = r.status === 400 && !!d && !!d.error && d.error.code === "bad_contact";
            showContactError(bad ? t.contactBad : t.sendFailed, bad);
            if (bad) contactValue.focus();
          });
        },
        () => { showContactError(t.sendFailed); }
      ).then(() => {
        setTimeout(() => {
          contactBusy = false;
          contactSend.removeAttribute("aria-disabled");
          if (hold) showContactError(null);
        }, hold);
      });
    });

    // ---- Receiving: a stream, or polling; never both ----

    let mode = "none"; // "stream" | "poll"
    let source = null;
    let streamErrors = 0; // errors in a row with neither an open nor an event between them
    let reopenTimer = 0;
    let pollTimer = 0;
    let polling = false;
    let pollFailures = 0;

    function startStream() {
      if (typeof window.EventSource !== "function") return startPolling();
      mode = "stream";
      try {
        source = new EventSource(url("/widget/v1/events", { agent: AGENT, visitor: visitor, after: lastId }));
      } catch (_) {
        return startPolling();
      }
      const healthy = () => { streamErrors = 0; };
      source.onopen = healthy;
      source.addEventListener("message", (e) => {
        healthy();
        const m = parse(e.data);
        if (!m) return;
        change(() => { upsert(m, true); });
        updateBadge();
      });
      source.addEventListener("typing", (e) => {
        healthy();
        const d = parse(e.data);
        if (d) setTyping(d.typing === true);
      });
      source.addEventListener("contact", (e) => {
        healthy();
        const d = parse(e.data);
        if (d) askContact(d.ask === true, d.notice);
      });
      source.onerror = () => {
        streamErrors++;
        if (streamErrors >= 3) return startPolling();
        // The browser reconnects by itself unless the stream was refused outright; then we try again.
        if (source && source.readyState === EventSource.CLOSED) {
          stopStream();
          mode = "stream";
          reopenTimer = setTimeout(startStream, 2000 * streamErrors);
        }
      };
    }

    function stopStream() {
      clearTimeout(reopenTimer);
      if (source) {
        source.onerror = null;
        source.close();
        source = null;
      }
    }

    function startPolling() {
      stopStream();
      mode = "poll";
      schedulePoll(0);
    }

    function schedulePoll(delay) {
      if (mode !== "poll") return;
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, delay);
    }

    function poll() {
      if (polling) return; // the running poll schedules the next one
      polling = true;
      getJSON("/widget/v1/messages", { agent: AGENT, visitor: visitor, after: lastId })
        .then((data) => {
          pollFailures = 0;
          applyBatch(data, true);
        }, () => {
          pollFailures++;
        })
        .then(() => {
          polling = false;
          const every = isOpen ? 3000 : 15000;
          schedulePoll(Math.min(every * Math.pow(2, pollFailures), 60000)); // back off while the server is unreachable
        });
    }

    /** The conversation so far (pages of up to 200 messages), then live updates. */
    function loadHistory(pages) {
      return getJSON("/widget/v1/messages", { agent: AGENT, visitor: visitor, after: lastId }).then((data) => {
        const count = applyBatch(data, false);
        if (count >= 200 && pages > 1) return loadHistory(pages - 1);
      });
    }

    // ---- Go ----

    change(() => {}, true);
    if (storageGet("sessionStorage", openKey) === "1") setOpen(true, false); // restored: no focus stealing
    loadHistory(10)
      .catch(() => { /* no history yet: the stream or the polls will bring it */ })
      .then(() => {
        scrollToEnd();
        startStream();
      });
  }
})();
