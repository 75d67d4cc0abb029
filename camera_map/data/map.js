/* camera-map: the interactive map's behaviour (choropleth switch, legend, cameras, filters).
 * Every text that came from data is put into the page with textContent or arrives as HTML
 * that Python already escaped; nothing here builds HTML from raw data. */
function cameraMapApp(map, cfg) {
  "use strict";
  var T = cfg.text;
  var app = { map: map, cfg: cfg, layers: {}, metric: cfg.metric };

  function el(tag, cls, parent, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\/[^\s"'<>]+$/i.test(u); }
  function link(parent, href, label) {
    var a = el("a", null, parent, label);
    a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }

  /* ---------- municipalities ---------- */
  function unitStyle(feature) {
    var p = feature.properties, c = p.c[app.metric], m = cfg.metrics[app.metric];
    var fill = c >= 0 ? m.colors[c] : (c === -1 ? "url(#cm-hatch)" : "#bdbdbd");
    return { className: "cm-unit", color: p.g ? "#222" : "#555", weight: p.g ? 1.6 : 0.8,
             dashArray: p.g ? "5 4" : null, fillColor: fill, fillOpacity: c === -1 ? 1 : 0.78 };
  }
  var units = L.geoJSON(cfg.units, {
    style: unitStyle,
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.t, { sticky: true, className: "cm-tip" });
      layer.bindPopup(feature.properties.p, { maxWidth: 380, className: "cm-unit-popup" });
    }
  });
  app.layers.units = units;
  app.setMetric = function (i) {
    app.metric = i; units.setStyle(unitStyle); drawLegend();
  };

  /* ---------- small screens (an article's iframe): boxes start folded, a button unfolds */
  var compact = map.getSize().x < 700 || map.getSize().y < 520;
  if (compact) { map.getContainer().classList.add("cm-compact"); }
  function foldable(box, folded) {
    var b = el("button", "cm-fold", null);
    b.type = "button";
    function show() {
      b.textContent = box.classList.contains("cm-folded") ? "+" : "\u2212";
      b.setAttribute("aria-label", box.classList.contains("cm-folded") ? T["box.unfold"]
                                                                      : T["box.fold"]);
      b.setAttribute("aria-expanded", String(!box.classList.contains("cm-folded")));
    }
    b.addEventListener("click", function () { box.classList.toggle("cm-folded"); show(); });
    box.insertBefore(b, box.firstChild);
    if (folded) { box.classList.add("cm-folded"); }
    show();
  }

  /* ---------- title ---------- */
  var Title = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
    var box = el("div", "cm-box cm-title");
    el("h1", null, box, cfg.title);
    if (cfg.dataDate) { el("p", null, box, cfg.dataDate); }
    cfg.notes.forEach(function (n) { el("p", "cm-note", box, n); });
    if (cfg.dataDate || cfg.notes.length) { foldable(box, compact); }
    L.DomEvent.disableClickPropagation(box);
    return box;
  }});
  new Title().addTo(map);

  /* ---------- legend with metric switch ---------- */
  var legendBox;
  function drawLegend() {
    legendBox.textContent = "";
    foldable(legendBox, legendBox.classList.contains("cm-folded"));
    var m = cfg.metrics[app.metric];
    el("h2", null, legendBox, T["legend.show"]);
    cfg.metrics.forEach(function (mm, i) {
      var lab = el("label", null, legendBox);
      var r = el("input", null, lab); r.type = "radio"; r.name = "cm-metric"; r.value = mm.key;
      r.checked = i === app.metric;
      r.addEventListener("change", function () { app.setMetric(i); });
      lab.appendChild(document.createTextNode(" " + mm.label));
    });
    el("h2", "cm-legend-unit", legendBox, m.label);
    var ul = el("ul", "cm-classes", legendBox);
    m.labels.forEach(function (label, i) {
      var li = el("li", "cm-class", ul); var sw = el("span", "cm-sw", li);
      sw.style.background = m.colors[i]; li.appendChild(document.createTextNode(label));
    });
    var li = el("li", "cm-class cm-nodata", ul); el("span", "cm-sw cm-sw-none", li);
    li.appendChild(document.createTextNode(T["legend.no_data"]));
    if (m.hasUnknown) {
      li = el("li", "cm-class", ul); el("span", "cm-sw cm-sw-unknown", li);
      li.appendChild(document.createTextNode(T["legend.unknown"]));
    }
    if (cfg.hasGroups) {
      li = el("li", "cm-class", ul); el("span", "cm-sw cm-sw-group", li);
      li.appendChild(document.createTextNode(T["legend.group"]));
    }
    if (cam.n) {
      ul = el("ul", "cm-camera-legend", legendBox);
      [["#d7191c", T["camera.legend_fr"]], ["#7b3294", T["camera.legend_alpr"]],
       ["#2c7bb6", T["camera.legend_other"]]].forEach(function (d) {
        var li2 = el("li", null, ul); var dot = el("span", "cm-dot", li2);
        dot.style.background = d[0]; li2.appendChild(document.createTextNode(d[1]));
      });
    }
  }
  var Legend = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () {
    legendBox = el("div", "cm-box cm-legend" + (compact ? " cm-folded" : ""));
    L.DomEvent.disableClickPropagation(legendBox); L.DomEvent.disableScrollPropagation(legendBox);
    drawLegend();
    return legendBox;
  }});

  /* ---------- cameras ---------- */
  var cam = cfg.cameras, scale = cam.scale;
  function value(field, i) {
    var col = cam.cols[field];
    if (!col) { return ""; }
    if (col.d) { var k = col.i[i]; return k ? col.d[k - 1] : ""; }
    return col.v[i] || "";
  }
  function latlng(i) { return L.latLng(cam.lat[i] / scale, cam.lon[i] / scale); }
  /* with many cameras each marker stands for the cameras of one grid cell (cam.w) */
  function weight(i) { return cam.w ? cam.w[i] : 1; }
  var total = 0;
  for (var t = 0; t < cam.n; t++) { total += weight(t); }
  function colour(i) { var f = cam.flags[i]; return f & 1 ? "#d7191c" : (f & 2 ? "#7b3294" : "#2c7bb6"); }
  function popupFor(i) {
    var box = el("div", "cm-popup cm-camera-popup");
    el("h3", null, box, T["camera.title"] + (value("name", i) ? ": " + value("name", i) : ""));
    if (cam.w) {
      el("p", null, box, T["camera.aggregate"]
        .replace("{n}", cam.w[i].toLocaleString(cfg.locale))
        .replace("{m}", cam.cellMetres.toLocaleString(cfg.locale)));
    }
    var src = value("source", i), ref = value("source_ref", i);
    var p = el("p", null, box, T["camera.source"] + ": " + src + (ref ? " — " + ref : ""));
    var m = /^(node|way|relation)\/(\d+)$/.exec(ref);
    if (src === "osm" && m) {
      p.appendChild(document.createTextNode(" "));
      link(p, "https://www.openstreetmap.org/" + m[1] + "/" + m[2], T["camera.osm_link"]);
    }
    var table = el("table", null, box);
    cam.fields.forEach(function (f) {
      var v = value(f, i);
      if (!v) { return; }
      var tr = el("tr", null, table); el("th", null, tr, cfg.labels[f] || f);
      var td = el("td", null, tr);
      if (f === "document" && safeUrl(v)) { link(td, v, v); } else { td.textContent = v; }
    });
    return box;
  }
  var markers = new Array(cam.n);
  for (var i = 0; i < cam.n; i++) {
    var mk = L.circleMarker(latlng(i), { radius: Math.min(14, 5 + Math.sqrt(weight(i))),
                                         color: "#fff", weight: 1,
                                         fillColor: colour(i), fillOpacity: 0.9 });
    mk.cmIndex = i;
    markers[i] = mk;
  }
  var clusterOptions = { chunkedLoading: true, showCoverageOnHover: false,
                         maxClusterRadius: 50 };
  if (cam.w) {  /* a cluster counts cameras, not markers */
    clusterOptions.iconCreateFunction = function (c) {
      var n = 0;
      c.getAllChildMarkers().forEach(function (m) { n += weight(m.cmIndex); });
      var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
      return L.divIcon({ html: "<div><span>" + n.toLocaleString(cfg.locale) + "</span></div>",
                         className: "marker-cluster marker-cluster-" + size,
                         iconSize: L.point(40, 40) });
    };
  }
  var cluster = L.markerClusterGroup(clusterOptions);
  cluster.on("click", function (e) {
    var i = e.layer.cmIndex;
    if (i === undefined) { return; }
    L.popup({ maxWidth: 380 }).setLatLng(e.layer.getLatLng()).setContent(popupFor(i)).openOn(map);
  });
  app.layers.cluster = cluster;
  var heat = L.heatLayer([], { radius: 18, blur: 15, maxZoom: 15, minOpacity: 0.3,
                               max: cam.heatMax || 1 });
  app.layers.heat = heat;

  /* view cones: drawn on a canvas for the cameras in view, once zoomed in */
  var cones = L.layerGroup();
  var coneRenderer = L.canvas({ padding: 0.2 });
  app.layers.cones = cones;
  function conePolygon(ll, start, width, r) {
    var pts = [ll], steps = Math.max(2, Math.ceil(width / 5));
    var kLat = r / 111320, kLon = r / (111320 * Math.cos(ll.lat * Math.PI / 180));
    for (var s = 0; s <= steps; s++) {
      var a = (start + width * s / steps) * Math.PI / 180;
      pts.push([ll.lat + kLat * Math.cos(a), ll.lng + kLon * Math.sin(a)]);
    }
    pts.push(ll);
    return pts;
  }
  function drawCones() {
    cones.clearLayers();
    if (!map.hasLayer(cones) || map.getZoom() < cfg.coneMinZoom) { return; }
    var b = map.getBounds().pad(0.2), drawn = 0;
    for (var j = 0; j < app.shown.length && drawn < cfg.coneMax; j++) {
      var i = app.shown[j], spec = cam.cones[cam.cone[i]];
      if (!spec) { continue; }
      var ll = latlng(i);
      if (!b.contains(ll)) { continue; }
      var style = { renderer: coneRenderer, color: colour(i), weight: 1, fillOpacity: 0.25,
                    interactive: false };
      if (spec === "c") {
        cones.addLayer(L.circle(ll, L.extend({ radius: cfg.coneLength }, style)));
      } else {
        spec.forEach(function (c) {
          cones.addLayer(L.polygon(conePolygon(ll, c[0], c[1], cfg.coneLength), style));
        });
      }
      drawn++;
    }
  }
  map.on("moveend zoomend overlayadd", drawCones);

  /* filters */
  app.filter = { fr: false, alpr: false, vendor: 0, source: 0 };
  app.shown = [];
  app.applyFilter = function () {
    var f = app.filter, list = [], pts = [], vcol = cam.cols.manufacturer, scol = cam.cols.source;
    var shown = [], shownCameras = 0;
    for (var i = 0; i < cam.n; i++) {
      if (f.fr && !(cam.flags[i] & 1)) { continue; }
      if (f.alpr && !(cam.flags[i] & 2)) { continue; }
      if (f.vendor && !(vcol && vcol.d && vcol.i[i] === f.vendor)) { continue; }
      if (f.source && !(scol && scol.d && scol.i[i] === f.source)) { continue; }
      var ll = markers[i].getLatLng();
      list.push(markers[i]); pts.push([ll.lat, ll.lng, weight(i)]); shown.push(i);
      shownCameras += weight(i);
    }
    app.shown = shown;
    cluster.clearLayers(); cluster.addLayers(list); heat.setLatLngs(pts); drawCones();
    if (app.countBox) {
      app.countBox.textContent = T["filter.showing"]
        .replace("{shown}", shownCameras.toLocaleString(cfg.locale))
        .replace("{total}", total.toLocaleString(cfg.locale));
    }
  };

  function select(parent, label, col, key) {
    if (!col || !col.d || col.d.length < 1) { return; }
    var lab = el("label", null, parent, label + " ");
    var s = el("select", null, lab); s.name = key;
    el("option", null, s, T["filter.any"]).value = "0";
    col.d.forEach(function (v, i) { el("option", null, s, v).value = String(i + 1); });
    s.addEventListener("change", function () { app.filter[key] = +s.value; app.applyFilter(); });
  }
  function checkbox(parent, label, key) {
    var lab = el("label", null, parent);
    var c = el("input", null, lab); c.type = "checkbox"; c.name = key;
    c.addEventListener("change", function () { app.filter[key] = c.checked; app.applyFilter(); });
    lab.appendChild(document.createTextNode(" " + label));
  }
  var Filter = L.Control.extend({ options: { position: "bottomleft" }, onAdd: function () {
    var box = el("div", "cm-box cm-filter");
    el("h2", null, box, T["filter.title"]);
    checkbox(box, T["filter.fr"], "fr");
    checkbox(box, T["filter.alpr"], "alpr");
    select(box, T["filter.vendor"], cam.cols.manufacturer, "vendor");
    select(box, T["filter.source"], cam.cols.source, "source");
    app.countBox = el("p", "cm-note cm-count", box);
    foldable(box, compact);
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    return box;
  }});

  new Legend().addTo(map);
  if (cam.n) { new Filter().addTo(map); }
  app.applyFilter();

  cfg.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
  var bounds = units.getBounds();
  if (!bounds.isValid() && cam.n) { bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); })); }
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
  window.cameraMap = app;
  return app;
}

/* Start the map from the page's data: the JSON in <script id="cm-data"> (never HTML). */
function cameraMapStart() {
  "use strict";
  var cfg = JSON.parse(document.getElementById("cm-data").textContent);
  var map = L.map("cm-map", { center: [0, 0], zoom: 1, maxZoom: cfg.maxZoom,
                              preferCanvas: false, zoomControl: true });
  L.control.scale().addTo(map);
  var overlays = {};
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution,
                                 maxZoom: cfg.tiles.maxZoom }).addTo(map);
  }
  var app = cameraMapApp(map, cfg);
  var names = cfg.layerNames;
  var order = cfg.cameras.n ? ["units", "cluster", "heat", "cones"] : ["units"];
  var shown = { units: true, cluster: true, heat: false, cones: true };
  order.forEach(function (key) {
    var layer = app.layers[key];
    overlays[names[key]] = layer;
    if (shown[key]) { layer.addTo(map); }
  });
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  return app;
}
