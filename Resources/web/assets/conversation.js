// Thread view: new messages, delivery statuses and the conversation's mode appear without reloading, by server-sent
// events, or by polling a JSON endpoint where EventSource is missing or keeps failing.
(function () {
  'use strict';

  var thread = document.getElementById('thread');
  if (!thread) { return; }
  var eventsURL = thread.getAttribute('data-events-url');
  var pollURL = thread.getAttribute('data-poll-url');
  var lastID = parseInt(thread.getAttribute('data-last-id') || '0', 10);
  var since = thread.getAttribute('data-since') || '';
  var template = document.getElementById('message-template');

  function findMessage(id) { return thread.querySelector('[data-message-id="' + id + '"]'); }

  function fill(node, message) {
    node.setAttribute('data-message-id', String(message.id));
    node.className = 'message message-' + message.direction + ' author-' + message.author;
    var fields = node.querySelectorAll('[data-field]');
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].getAttribute('data-field');
      var value = message[name];
      fields[i].textContent = value === undefined || value === null ? '' : String(value);
      if (name === 'status_label' || name === 'media_label') { fields[i].hidden = !value; }
    }
  }

  function apply(message) {
    var existing = findMessage(message.id);
    if (existing) {
      fill(existing, message);
    } else if (template) {
      var node = template.content.firstElementChild.cloneNode(true);
      fill(node, message);
      thread.appendChild(node);
      node.scrollIntoView({ block: 'end' });
      var empty = document.getElementById('thread-empty');
      if (empty) { empty.hidden = true; }
    }
    if (message.id > lastID) { lastID = message.id; }
    if (message.updated_at && message.updated_at > since) { since = message.updated_at; }
  }

  function applyConversation(state) {
    var badge = document.getElementById('conversation-mode');
    if (badge) {
      badge.textContent = state.mode_label;
      badge.className = 'badge mode-' + state.mode;
    }
    var takeover = document.getElementById('takeover-form');
    var release = document.getElementById('release-form');
    if (takeover) { takeover.hidden = state.mode === 'human'; }
    if (release) { release.hidden = state.mode !== 'human'; }
  }

  function applyBatch(batch) {
    for (var i = 0; i < batch.messages.length; i++) { apply(batch.messages[i]); }
    if (batch.conversation) { applyConversation(batch.conversation); }
  }

  // Polling fallback.
  var pollTimer = null;
  function poll() {
    var request = new XMLHttpRequest();
    request.open('GET', pollURL + '?after=' + lastID + (since ? '&since=' + encodeURIComponent(since) : ''));
    request.setRequestHeader('Accept', 'application/json');
    request.onload = function () {
      if (request.status === 200) {
        try { applyBatch(JSON.parse(request.responseText)); } catch (ignored) { /* retried next tick */ }
      }
      pollTimer = window.setTimeout(poll, 2000);
    };
    request.onerror = function () { pollTimer = window.setTimeout(poll, 5000); };
    request.send();
  }

  function startPolling() {
    if (pollTimer === null) { pollTimer = window.setTimeout(poll, 1000); }
  }

  if (!window.EventSource || !eventsURL) { startPolling(); return; }

  var failures = 0;
  function connect() {
    var source = new EventSource(eventsURL + '?after=' + lastID + (since ? '&since=' + encodeURIComponent(since) : ''));
    source.addEventListener('message', function (event) {
      failures = 0;
      try { apply(JSON.parse(event.data)); } catch (ignored) { /* skip a bad event */ }
    });
    source.addEventListener('conversation', function (event) {
      try { applyConversation(JSON.parse(event.data)); } catch (ignored) { /* skip a bad event */ }
    });
    source.addEventListener('error', function () {
      // The server ends each stream after a while; reconnect from where we are, or poll after repeated failures.
      source.close();
      failures += 1;
      if (failures >= 3) { startPolling(); } else { window.setTimeout(connect, 1000 * failures); }
    });
    source.addEventListener('open', function () { failures = 0; });
  }
  connect();
})();
