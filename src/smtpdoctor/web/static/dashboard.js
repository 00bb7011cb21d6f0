// smtpdoctor dashboard: live updates and "diagnose now" without reloading.
// Served as a file (the CSP allows no inline script). Every server string is
// put into the page with textContent, never as markup.
"use strict";
(function () {
  var meta = function (name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  };
  var csrf = meta("csrf-token");
  var every = parseFloat(meta("refresh-seconds") || "0") * 1000;

  function setStatus(cell, status) {
    var pill = cell.querySelector('[data-field="status"]');
    if (!pill) return;
    pill.textContent = status;
    pill.className = "pill " + status;
  }

  // A target added or removed (a config reload) changes the rows themselves:
  // then the whole table is fetched again rather than patched.
  function sameTargets(table, targets) {
    var rows = table.querySelectorAll("tr[data-target]");
    if (rows.length !== targets.length) return false;
    var names = {};
    rows.forEach(function (tr) { names[tr.getAttribute("data-target")] = true; });
    return targets.every(function (t) { return names[t.target] === true; });
  }

  // The overview page again, parsed inert (no script runs in a DOMParser
  // document); its table and counts replace the old ones.
  function reloadOverview() {
    fetch("/", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["overview", "counts"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        });
      })
      .catch(function () { /* the next round tries again */ });
  }

  // Overview: each row's verdict, why and since, from /api/overview.
  function refreshOverview() {
    var table = document.getElementById("overview");
    if (!table) return;
    fetch("/api/overview", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (!doc) return;
        if (!sameTargets(table, doc.targets)) { reloadOverview(); return; }
        var counts = { ok: 0, warning: 0, failure: 0 };
        doc.targets.forEach(function (t) {
          counts[t.status] = (counts[t.status] || 0) + 1;
          var row = null;
          table.querySelectorAll("tr[data-target]").forEach(function (tr) {
            if (tr.getAttribute("data-target") === t.target) row = tr;
          });
          if (!row) return;
          setStatus(row, t.status);
          var why = row.querySelector('[data-field="summary"]');
          if (why && why.firstChild) why.firstChild.textContent = t.summary;
          row.setAttribute("data-updated", String(doc.time));
        });
        var c = document.getElementById("counts");
        if (c) {
          c.firstChild.textContent = doc.targets.length + " targets: " + counts.ok + " ok, " +
            counts.warning + " warning, " + counts.failure + " failure. ";
        }
        var u = document.querySelector('[data-field="updated"]');
        if (u) u.textContent = new Date(doc.time * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
      })
      .catch(function () { /* the next round tries again */ });
  }

  // Target page: replace the latest-probe section with the server's fresh one.
  function reloadLatest(name) {
    return fetch("/target?part=latest&name=" + encodeURIComponent(name), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        // Parsed inert (no script runs in a DOMParser document), then adopted.
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("latest");
        var old = document.getElementById("latest");
        if (fresh && old && fresh.getAttribute("data-time") !== old.getAttribute("data-time")) {
          old.replaceWith(document.adoptNode(fresh));
        }
      });
  }

  function pollJob(id, name, out, button) {
    fetch("/api/job/" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.status === "running") {
          setTimeout(function () { pollJob(id, name, out, button); }, 500);
          return;
        }
        button.disabled = false;
        if (job.status === "done") {
          out.textContent = "Done: " + job.verdict.status + " — " + job.verdict.summary;
          out.setAttribute("data-status", job.verdict.status);
          reloadLatest(name);
        } else {
          out.textContent = "Could not diagnose: " + job.error;
          out.setAttribute("data-status", "error");
        }
      })
      .catch(function () { button.disabled = false; out.textContent = "Lost contact with the monitor."; });
  }

  function wireDiagnose() {
    var form = document.getElementById("diagnose-form");
    if (!form) return;
    var out = document.getElementById("job");
    var button = document.getElementById("diagnose-now");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var name = form.querySelector('input[name="name"]').value;
      button.disabled = true;
      out.textContent = "Diagnosing " + name + "…";
      out.removeAttribute("data-status");
      fetch("/diagnose", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                   "X-CSRF-Token": csrf },
        body: new URLSearchParams({ name: name, csrf: csrf }).toString()
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) { pollJob(job.id, name, out, button); })
        .catch(function (status) { button.disabled = false; out.textContent = "Refused (" + status + ")."; });
    });
  }

  function refreshTarget() {
    var h = document.querySelector("h1[data-target]");
    if (h) reloadLatest(h.getAttribute("data-target")).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireDiagnose();
    if (every > 0) {
      setInterval(function () { refreshOverview(); refreshTarget(); }, every);
    }
  });
})();
