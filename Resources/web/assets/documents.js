// Documents page: uploads with a real progress bar (XMLHttpRequest upload events), drag and drop, and live
// processing status of every row. Without JavaScript the form posts normally and the page shows the result.
(function () {
  'use strict';

  var FINAL = ['indexed', 'failed', 'needs_ocr', 'unreadable'];
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var form = document.getElementById('upload-form');
  var table = document.getElementById('documents-table');
  var template = document.getElementById('document-row-template');
  var queue = document.getElementById('upload-queue');

  function text(key) {
    var holder = document.getElementById('upload-texts');
    return holder ? (holder.getAttribute('data-' + key) || '') : '';
  }

  function isFinal(status) { return FINAL.indexOf(status) !== -1; }

  function fillRow(row, doc) {
    row.setAttribute('data-document-id', String(doc.id));
    row.setAttribute('data-status', doc.status);
    var fields = row.querySelectorAll('[data-field]');
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var name = field.getAttribute('data-field');
      if (name === 'link') {
        field.setAttribute('href', doc.url);
        field.textContent = doc.filename;
      } else if (name === 'status') {
        field.textContent = doc.status_label;
        field.className = 'badge ' + doc.status_class;
      } else if (name === 'ocr') {
        field.textContent = doc.ocr || '';
        field.className = 'badge ' + (doc.ocr_class || '');
        field.title = doc.ocr_warning || '';
        field.hidden = !doc.ocr;
      } else if (name === 'problem') {
        field.textContent = doc.problem || '';
        field.hidden = !doc.problem;
      } else if (doc[name] !== undefined && doc[name] !== null) {
        field.textContent = String(doc[name]);
      } else {
        field.textContent = '—';
      }
    }
    var busy = row.querySelectorAll('[data-when-final]');
    for (var j = 0; j < busy.length; j++) { busy[j].disabled = !isFinal(doc.status); }
    var forms = row.querySelectorAll('form[data-action]');
    for (var k = 0; k < forms.length; k++) {
      forms[k].setAttribute('action', doc.url + '/' + forms[k].getAttribute('data-action'));
    }
  }

  function rowFor(doc) {
    var existing = table ? table.querySelector('tr[data-document-id="' + doc.id + '"]') : null;
    if (existing) { fillRow(existing, doc); return existing; }
    if (!template || !table) { return null; }
    var row = template.content.firstElementChild.cloneNode(true);
    var tokens = row.querySelectorAll('input[name="csrf_token"]');
    for (var i = 0; i < tokens.length; i++) { tokens[i].value = csrf; }
    fillRow(row, doc);
    var body = table.tBodies[0];
    body.insertBefore(row, body.firstChild);
    var empty = document.getElementById('documents-empty');
    if (empty) { empty.hidden = true; }
    table.hidden = false;
    return row;
  }

  // Live status: ask only about rows that are still moving.
  var polling = null;
  function pendingIDs() {
    if (!table) { return []; }
    var rows = table.querySelectorAll('tr[data-document-id]');
    var ids = [];
    for (var i = 0; i < rows.length; i++) {
      if (!isFinal(rows[i].getAttribute('data-status'))) { ids.push(rows[i].getAttribute('data-document-id')); }
    }
    return ids;
  }

  function poll() {
    polling = null;
    var ids = pendingIDs();
    if (ids.length === 0) { return; }
    var request = new XMLHttpRequest();
    request.open('GET', table.getAttribute('data-status-url') + '?ids=' + ids.join(','));
    request.setRequestHeader('Accept', 'application/json');
    request.onload = function () {
      if (request.status === 200) {
        try {
          var answer = JSON.parse(request.responseText);
          for (var i = 0; i < answer.documents.length; i++) { rowFor(answer.documents[i]); }
        } catch (ignored) { /* a bad answer is retried on the next tick */ }
      }
      schedule(1500);
    };
    request.onerror = function () { schedule(5000); };
    request.send();
  }

  function schedule(delay) {
    if (polling === null) { polling = window.setTimeout(poll, delay); }
  }

  // Uploads: one request per file, so each file has its own progress bar and its own answer.
  function addQueueItem(file) {
    var item = document.createElement('li');
    item.className = 'upload-item';
    var name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = file.name;
    var bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    var note = document.createElement('span');
    note.className = 'upload-note';
    note.textContent = text('waiting');
    item.appendChild(name);
    item.appendChild(bar);
    item.appendChild(note);
    queue.appendChild(item);
    queue.hidden = false;
    return { item: item, bar: bar, note: note };
  }

  function uploadOne(file, view, done) {
    var data = new FormData();
    data.append('csrf_token', csrf);
    var agent = form.querySelector('[name="agent_id"]');
    if (agent && agent.value) { data.append('agent_id', agent.value); }
    data.append('files', file, file.name);
    var request = new XMLHttpRequest();
    request.open('POST', form.getAttribute('action'));
    request.setRequestHeader('Accept', 'application/json');
    request.setRequestHeader('X-CSRF-Token', csrf);
    request.upload.onprogress = function (event) {
      if (event.lengthComputable) {
        view.bar.value = Math.round((event.loaded / event.total) * 100);
        view.note.textContent = view.bar.value + '%';
      }
    };
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
      if (request.status >= 200 && request.status < 300 && answer) {
        view.bar.value = 100;
        view.item.className = 'upload-item upload-ok';
        view.note.textContent = answer.documents.length && answer.documents[0].duplicate ? text('duplicate') : text('done');
        for (var i = 0; i < answer.documents.length; i++) { rowFor(answer.documents[i]); }
        schedule(500);
      } else {
        view.item.className = 'upload-item upload-failed';
        view.note.textContent = (answer && answer.error) ? answer.error : text('failed') + ' (' + request.status + ')';
      }
      done();
    };
    request.onerror = function () {
      view.item.className = 'upload-item upload-failed';
      view.note.textContent = text('failed');
      done();
    };
    view.note.textContent = '0%';
    request.send(data);
  }

  function uploadAll(files) {
    var list = Array.prototype.slice.call(files);
    var limit = parseInt(text('max-bytes') || '0', 10);
    var views = list.map(addQueueItem);
    var index = 0;
    function next() {
      if (index >= list.length) { form.reset(); return; }
      var current = index++;
      if (limit > 0 && list[current].size > limit) {
        // Refused before sending a byte: the server would answer 413 anyway.
        views[current].item.className = 'upload-item upload-failed';
        views[current].note.textContent = text('too-large');
        next();
        return;
      }
      uploadOne(list[current], views[current], next);
    }
    next();
  }

  if (form && queue && window.FormData) {
    var input = form.querySelector('input[type="file"][name="files"]');
    form.addEventListener('submit', function (event) {
      if (!input || !input.files || input.files.length === 0) { return; }
      event.preventDefault();
      uploadAll(input.files);
    });
    var zone = document.getElementById('drop-zone');
    if (zone) {
      ['dragenter', 'dragover'].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.add('drop-active');
        });
      });
      ['dragleave', 'drop'].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.remove('drop-active');
        });
      });
      zone.addEventListener('drop', function (event) {
        if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length > 0) {
          uploadAll(event.dataTransfer.files);
        }
      });
    }
  }

  schedule(1000);
})();
