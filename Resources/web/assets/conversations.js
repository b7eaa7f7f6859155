// Conversation list: new conversations, new messages and mode changes (a customer waiting for a person) appear without
// reloading. The page polls a small version value and, when it changes, fetches itself and swaps in the fresh list,
// marking the rows that are new or changed. Without JavaScript the list is as fresh as the last load.
(function () {
  'use strict';

  var list = document.getElementById('conversation-list');
  if (!list || !window.fetch || !window.DOMParser) { return; }
  var versionURL = list.getAttribute('data-version-url');
  var version = list.getAttribute('data-version') || '';
  var INTERVAL = 4000;
  var timer = null;

  function rowsByID(root) {
    var rows = {};
    var found = root.querySelectorAll('tr[data-conversation-id]');
    for (var i = 0; i < found.length; i++) { rows[found[i].getAttribute('data-conversation-id')] = found[i].textContent; }
    return rows;
  }

  function refresh() {
    return fetch(window.location.href, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('conversation-list');
        if (!fresh) { return; }
        var before = rowsByID(list);
        list.innerHTML = fresh.innerHTML;
        version = fresh.getAttribute('data-version') || version;
        list.setAttribute('data-version', version);
        var rows = list.querySelectorAll('tr[data-conversation-id]');
        for (var i = 0; i < rows.length; i++) {
          if (before[rows[i].getAttribute('data-conversation-id')] !== rows[i].textContent) { rows[i].classList.add('row-fresh'); }
        }
      });
  }

  function check() {
    timer = null;
    if (document.hidden) { return; }
    fetch(versionURL, { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (response) {
        // Signed out (401) or gone: stop quietly; the next navigation shows why.
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.version && answer.version !== version) { return refresh(); }
      })
      .then(schedule, function (error) { if (!/HTTP 40[13]/.test(String(error))) { schedule(); } });
  }

  function schedule() {
    if (timer === null && !document.hidden) { timer = window.setTimeout(check, INTERVAL); }
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) {
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
      check();
    }
  });
  schedule();
})();
