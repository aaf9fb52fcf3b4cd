/* 智诊 front end: questionnaire autosave with an offline queue, scoring progress, live devices, charts. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var T = JSON.parse(document.getElementById("i18n").textContent);
  function esc(text) { return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }

  /* ---- a long <select> narrowed by typing (the organisations of a city): matching options are kept, the
     rest taken out (phones ignore hidden options); one match is chosen; clearing the box restores all ---- */
  Array.prototype.forEach.call(document.querySelectorAll("input.select-filter"), function (box) {
    var select = box.form.querySelector('select[name="' + box.dataset.filters + '"]');
    if (!select) { return; }
    var all = Array.prototype.map.call(select.children, function (node) { return node.cloneNode(true); });
    box.hidden = false;
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      var chosen = select.value;
      var kept = [];
      select.textContent = "";
      all.forEach(function (node) {
        var copy = node.cloneNode(true);
        if (copy.tagName === "OPTGROUP") {
          Array.prototype.slice.call(copy.children).forEach(function (o) {
            if (q && o.textContent.toLowerCase().indexOf(q) < 0) { copy.removeChild(o); } else { kept.push(o); }
          });
          if (copy.children.length) { select.appendChild(copy); }
        } else if (!q || !copy.value) {
          select.appendChild(copy);  // the empty choice stays
        }
      });
      if (q && kept.length === 1) { select.value = kept[0].value; }
      else if (Array.prototype.some.call(select.options, function (o) { return o.value === chosen; })) { select.value = chosen; }
    });
  });

  /* ---- an old link to a requirement or sub-domain (…/questionnaire#req-X) opens the page that holds it ---- */
  var qHead = document.getElementById("q-head");
  var openHeld = function () {
    var wanted = /^#(req|sub)-([A-Za-z0-9_.-]{1,32})$/.exec(window.location.hash);
    if (wanted && !document.getElementById(window.location.hash.slice(1))) {
      window.location.replace(window.location.pathname + "?" + wanted[1] + "=" + encodeURIComponent(wanted[2]) + window.location.hash);
    }
  };
  if (qHead) { openHeld(); window.addEventListener("hashchange", openHeld); }

  /* ---- questionnaire: every answer is POSTed as typed (debounced); unsent ones wait in localStorage ---- */
  var form = document.getElementById("questionnaire");
  if (form) {
    var url = form.dataset.url;
    var key = "diagnose.pending." + form.dataset.order;
    var stateEl = document.getElementById("save-state");
    var timers = {};
    var sending = false;
    var pending = function () { try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return {}; } };
    var store = function (p) { localStorage.setItem(key, JSON.stringify(p)); };
    var show = function (state) {
      stateEl.dataset.state = state;
      stateEl.textContent = T[state] + (state === "pending" ? " (" + Object.keys(pending()).length + ")" : "");
    };
    var collect = function (box) {
      return {
        requirement_id: box.dataset.requirement,
        rating: box.querySelector('[name="rating"]').value,
        evidence_note: box.querySelector('[name="evidence_note"]').value,
        tailor_reason: box.querySelector('[name="tailor_reason"]').value
      };
    };
    var flush = function () {
      var queue = pending();
      var ids = Object.keys(queue);
      if (!ids.length) { show("saved"); return; }
      if (sending) { return; }
      sending = true;
      show("saving");
      var body = queue[ids[0]];
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(body)
      }).then(function (r) {
        sending = false;
        var now = pending();
        if (r.status === 503 || r.status === 429) {
          // The database is busy (lock contention): keep the answer queued and try again after Retry-After.
          var wait = Math.min(60, Math.max(1, parseInt(r.headers.get("Retry-After") || "5", 10) || 5));
          show("pending");
          stateEl.textContent = T.busy;
          setTimeout(flush, wait * 1000);
          return;
        }
        if (r.ok || r.status === 422) {
          // Delivered (or refused for good): drop it unless it was edited again meanwhile.
          if (JSON.stringify(now[body.requirement_id]) === JSON.stringify(body)) { delete now[body.requirement_id]; store(now); }
          var mark = document.querySelector('.req-state[data-for="' + body.requirement_id + '"]');
          if (mark) { mark.textContent = r.ok ? "✓" : "✗"; }
          progress();
          flush();
        } else { show("pending"); setTimeout(flush, 5000); }
      }).catch(function () { sending = false; show("pending"); setTimeout(flush, 5000); });
    };
    var progress = function () {
      // The page holds one sub-domain: the answers of the others are counted by the server (data-elsewhere).
      var here = 0;
      form.querySelectorAll('.req [name="rating"]').forEach(function (sel) { if (sel.value) { here += 1; } });
      var done = here + (parseInt(form.dataset.elsewhere || "0", 10) || 0);
      var n = document.getElementById("q-answered"), bar = document.getElementById("q-progress-bar");
      if (n) { n.textContent = done; } if (bar) { bar.value = done; }
      var count = document.querySelector('[data-sub-count="' + form.dataset.sub + '"]');
      if (count) {
        count.textContent = here + "/" + count.dataset.total;
        count.classList.toggle("q-complete", String(here) === count.dataset.total);
      }
    };
    var changed = function (ev) {
      if (ev.target.type === "file") { return; }   // photos go through their own upload form
      var box = ev.target.closest(".req");
      if (!box) { return; }
      var id = box.dataset.requirement;
      var q = pending(); q[id] = collect(box); store(q);   // saved locally at once, so nothing is lost
      show("pending");
      clearTimeout(timers[id]);
      timers[id] = setTimeout(flush, 600);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    window.addEventListener("online", flush);
    // Answers typed offline before a reload are put back into the page, then sent.
    var left = pending();
    Object.keys(left).forEach(function (id) {
      var box = document.querySelector('.req[data-requirement="' + id + '"]');
      if (!box) { return; }
      ["rating", "evidence_note", "tailor_reason"].forEach(function (n) { box.querySelector('[name="' + n + '"]').value = left[id][n] || ""; });
    });
    progress();
    flush();
  }

  /* ---- a photo taken with the camera is uploaded as soon as it is chosen ---- */
  document.querySelectorAll("input[type=file][data-autosubmit]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.files.length && input.form) { input.form.submit(); }
    });
  });

  /* ---- destructive actions ask first (the form also requires a reason) ---- */
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.dataset.confirm)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
    });
  });

  /* ---- select all / none for bulk actions ---- */
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (c) { c.checked = all.checked; });
    });
  });

  /* ---- scoring: a long action with visible progress ---- */
  var scoreBtn = document.getElementById("run-scoring");
  if (scoreBtn) {
    scoreBtn.addEventListener("click", function () {
      var bar = document.getElementById("scoring-progress");
      var msg = document.getElementById("scoring-message");
      scoreBtn.disabled = true; bar.hidden = false; msg.textContent = T.scoring;
      fetch(scoreBtn.dataset.url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          bar.hidden = true; scoreBtn.disabled = false;
          if (res.ok) { window.location.href = res.body.url; } else { msg.textContent = T.failed + ": " + res.body.error; }
        })
        .catch(function () { bar.hidden = true; scoreBtn.disabled = false; msg.textContent = T.failed; });
    });
  }

  /* ---- live device state on the provider's devices page ---- */
  var devTable = document.getElementById("plant-devices");
  if (devTable) {
    setInterval(function () {
      fetch(devTable.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        j.devices.forEach(function (d) {
          var row = devTable.querySelector('[data-device-id="' + d.id + '"]');
          if (!row) { return; }
          var state = row.querySelector(".live-state");
          state.textContent = d.last_state ? (T.states[d.last_state] || d.last_state) : "—";
          state.className = "live-state state state-" + (d.last_state || "none");
          row.querySelector(".live-seen").textContent = d.last_seen_cn || "—";   // China time, from the server
          row.querySelector(".live-online").textContent = d.online ? T.online : T.offline;
        });
      }).catch(function () {});
    }, 5000);
  }

  /* ---- the connection check: its lists reload every few seconds (server-rendered, escaped there) ---- */
  var live = document.querySelector("[data-live-src]");
  if (live) {
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(live.dataset.liveSrc, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { live.innerHTML = html; } })
        .catch(function () {});
    }, 1000 * (parseInt(live.dataset.refreshS, 10) || 3));
  }

  /* ---- long form posts (issuing a report): visible progress, no double submit ---- */
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector('button[type="submit"]');
      if (button) { button.disabled = true; }
      var bar = document.createElement("progress");
      var note = document.createElement("span");
      note.className = "busy-note";
      note.textContent = " " + form.dataset.busy;
      form.appendChild(bar);
      form.appendChild(note);
    });
  });

  /* ---- charts (Apache ECharts, vendored) ---- */
  if (!window.echarts) { return; }
  var data = function (id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var chart = echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    var kind = el.dataset.chart;
    if (kind === "radar") {
      var r = data("radar-data");
      var doms = r.domains;
      chart.setOption({
        tooltip: {},
        radar: { indicator: doms.map(function (d) { return { name: r.lang === "zh" ? d.name_zh : d.name_en, max: 1 }; }), radius: "65%" },
        series: [{ type: "radar", areaStyle: { opacity: 0.25 }, data: [{ name: T.radar, value: doms.map(function (d) { return d.overall || 0; }) }] }]
      });
    } else if (kind === "timeline") {
      var t = data("timeline-data");
      var order = ["created", "assigned", "scheduled", "on_site", "submitted", "returned", "accepted", "cancelled"];
      // China time whatever the browser's zone: shift to UTC+8 and let the chart read the axis as UTC.
      var pts = t.events.filter(function (e) { return e.to; }).map(function (e) { return [Date.parse(e.at) + 8 * 3600 * 1000, order.indexOf(e.to)]; });
      chart.setOption({
        useUTC: true,
        tooltip: { trigger: "axis" },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "time", axisLabel: { hideOverlap: true, formatter: "{MM}-{dd} {HH}:{mm}" } },
        yAxis: { type: "category", data: order.map(function (s) { return t.labels[s]; }) },
        series: [{ type: "line", step: "end", data: pts, symbolSize: 8 }]
      });
    } else if (kind === "oee") {
      fetch(el.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (j) {
        chart.setOption({
          // A day below the OEE card's minimum has no point: the tooltip says why (数据不足 …), as the page does.
          tooltip: { trigger: "axis", formatter: function (ps) { var p = j.points[ps[0].dataIndex]; return esc(p.day) + "<br>" + esc(p.text); } },
          xAxis: { type: "category", data: j.points.map(function (p) { return p.day; }) },
          yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
          series: [{ type: "line", name: T.oee, connectNulls: false, data: j.points.map(function (p) { return p.oee; }) }]
        });
      }).catch(function () {});
    }
  });
})();
