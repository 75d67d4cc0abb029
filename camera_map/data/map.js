/* camera-map: the interactive map's behaviour (choropleth switch, legend, cameras, filters).
 * Every text that came from data is put into the page with textContent or arrives as HTML
 * that Python already escaped; nothing here builds HTML from raw data.
 * Flags, class numbers, colours and filter columns come from cfg.contract, written by
 * camera_map/render/contract.py: this script holds none of its own. */
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
  app.el = el;
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\/[^\s"'<>]+$/i.test(u); }
  function link(parent, href, label) {
    var a = el("a", null, parent, label);
    a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }
  app.safeUrl = safeUrl; app.link = link;

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
    b.addEventListener("click", function () {
      box.classList.toggle("cm-folded"); show();
      if (compact && !box.classList.contains("cm-folded")) {
        /* a small screen shows one open box at a time, so boxes never cover each other */
        var boxes = map.getContainer().querySelectorAll(".cm-box");
        for (var i = 0; i < boxes.length; i++) {
          var other = boxes[i];
          if (other !== box && other.cmShowFold && !other.classList.contains("cm-folded")) {
            other.classList.add("cm-folded"); other.cmShowFold();
          }
        }
      }
      if (app.labels) { app.labels.place(); }
    });
    box.insertBefore(b, box.firstChild);
    box.cmShowFold = show;
    if (folded) { box.classList.add("cm-folded"); }
    show();
  }
  app.compact = compact; app.foldable = foldable;

  var units = cameraMapUnits(app);
  cameraMapTitle(app);
  var Legend = cameraMapLegend(app);
  cameraMapCameras(app);
  var Filter = cameraMapFilters(app);
  var cam = cfg.cameras, markers = app.markers, focus = app.focusIds;

  new Legend().addTo(map);
  if (cam.n) { new Filter().addTo(map); }
  app.applyFilter();

  cfg.attribution.forEach(function (a) { map.attributionControl.addAttribution(a); });
  var bounds = units.getBounds();
  if (cfg.focus) {  /* a town page opens on its town */
    var fb = L.latLngBounds([]);
    units.eachLayer(function (l) { if (focus[l.feature.properties.id]) { fb.extend(l.getBounds()); } });
    if (fb.isValid()) { bounds = fb; }
  }
  if (!bounds.isValid() && cam.n) { bounds = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); })); }
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
  window.cameraMap = app;
  return app;
}

/* ---------------------------------------------------------------- municipalities
 * The choropleth: each unit filled by its class of the metric shown (cfg.contract's class
 * numbers and colours), its tooltip and popup (HTML Python escaped). */
function cameraMapUnits(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, K = cfg.contract, el = app.el;
  /* the choropleth fades as one zooms in, so that streets and cameras show through */
  var FADE = { 11: 1, 12: 0.8, 13: 0.6, 14: 0.42, 15: 0.3, 16: 0.22 };
  app.fade = function () {
    var z = Math.round(map.getZoom());
    return z <= 11 ? 1 : (FADE[z] || 0.18);
  };
  var focus = app.focusIds = {};
  (cfg.focus || []).forEach(function (id) { focus[id] = true; });
  function unitStyle(feature) {
    var p = feature.properties, c = p.c[app.metric], m = cfg.metrics[app.metric];
    var none = c === K.klass.noEvidence, U = K.unitColours;
    var fill = c >= 0 ? m.colors[c] : (none ? "url(#cm-hatch)" : U.unknown);
    var style = { className: "cm-unit", color: p.g ? U.groupEdge : U.edge,
                  weight: p.g ? 1.6 : 0.8, dashArray: p.g ? "5 4" : null, fillColor: fill,
                  fillOpacity: (none ? 1 : 0.78) * app.fade(), opacity: 1 };
    if (cfg.focus) {  /* a town page: the town stands out, its neighbours step back */
      if (focus[p.id]) { style.weight = 3; style.color = "#111"; }
      else { style.fillOpacity *= 0.35; style.opacity = 0.5; }
    }
    return style;
  }
  /* popups fit the screen: at most 380 px wide, and never wider or taller than the map */
  app.popupOptions = function (extra) {
    var size = map.getSize();
    return L.extend({ maxWidth: Math.max(160, Math.min(380, size.x - 80)),
                      minWidth: Math.min(200, size.x - 60),
                      maxHeight: Math.max(120, size.y - 90),
                      autoPanPadding: [8, 8] }, extra || {});
  };
  var units = L.geoJSON(cfg.units, {
    style: unitStyle,
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.t, { sticky: true, className: "cm-tip" });
      layer.bindPopup(feature.properties.p, app.popupOptions({ className: "cm-unit-popup" }));
    }
  });
  app.layers.units = units;
  app.setMetric = function (i) {
    app.metric = i; units.setStyle(unitStyle); app.drawLegend();
  };
  map.on("zoomend", function () { units.setStyle(unitStyle); });
  map.on("resize", function () {
    units.eachLayer(function (l) { var pp = l.getPopup(); if (pp) { L.setOptions(pp, app.popupOptions()); } });
  });
  return units;
}

/* ---------------------------------------------------------------- title box */
function cameraMapTitle(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, K = cfg.contract, el = app.el;
  var safeUrl = app.safeUrl, foldable = app.foldable, compact = app.compact;
  var Title = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
    var box = el("div", "cm-box cm-title");
    el("h1", null, box, cfg.title);
    if (cfg.dataDate) { el("p", null, box, cfg.dataDate); }
    cfg.notes.forEach(function (n) { el("p", "cm-note", box, n); });
    /* figures about the whole country, assigned to no unit, each with its document */
    var context = cfg.context || [];
    if (context.length) { el("p", "cm-note cm-context-title", box, T["context.title"]); }
    context.forEach(function (c) {
      var p = el("p", "cm-note cm-context", box, c.text + " (" + c.caveat + ": ");
      if (safeUrl(c.url)) {
        var a = el("a", null, p, c.title);
        a.href = c.url; a.target = "_blank"; a.rel = "noopener noreferrer";
      } else { p.appendChild(document.createTextNode(c.title)); }
      p.appendChild(document.createTextNode(")"));
    });
    if (cfg.dataDate || cfg.notes.length || context.length) { foldable(box, compact); }
    L.DomEvent.disableClickPropagation(box);
    return box;
  }});
  new Title().addTo(map);
}

/* ---------------------------------------------------------------- legend
 * Classes of the metric shown, a switch between metrics, the no-data, unknown and city
 * swatches and the camera colours (all colours from cfg.contract). */
function cameraMapLegend(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, K = cfg.contract, el = app.el;
  var foldable = app.foldable, compact = app.compact;
  var legendBox, cam = cfg.cameras;
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
    var U = K.unitColours;
    var li = el("li", "cm-class cm-nodata", ul);
    el("span", "cm-sw cm-sw-none", li).style.background = "repeating-linear-gradient(45deg, " +
      U.noData + " 0 3px, " + U.noDataHatch + " 3px 4px)";
    li.appendChild(document.createTextNode(T["legend.no_data"]));
    if (m.hasUnknown) {
      li = el("li", "cm-class", ul);
      el("span", "cm-sw cm-sw-unknown", li).style.background = U.unknown;
      li.appendChild(document.createTextNode(T["legend.unknown"]));
    }
    if (cfg.hasGroups) {
      li = el("li", "cm-class", ul); el("span", "cm-sw cm-sw-group", li);
      li.appendChild(document.createTextNode(T["legend.group"]));
    }
    if (cam.n) {
      ul = el("ul", "cm-camera-legend", legendBox);
      var C = K.cameraColours;
      [[C.fr, T["camera.legend_fr"]], [C.alpr, T["camera.legend_alpr"]],
       [C.other, T["camera.legend_other"]]].forEach(function (d) {
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
  app.drawLegend = drawLegend;
  return Legend;
}

/* ---------------------------------------------------------------- cameras
 * Markers (coloured by cfg.contract's flags), clusters, heat map, view cones, popups. */
function cameraMapCameras(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, K = cfg.contract, el = app.el;
  var link = app.link, safeUrl = app.safeUrl;
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
  /* what a camera can do, from its flags: { fr: true/false, alpr: true/false } */
  function can(i) {
    var out = {};
    Object.keys(K.flags).forEach(function (k) { out[k] = (cam.flags[i] & K.flags[k]) !== 0; });
    return out;
  }
  app.can = can;
  function colour(i) {
    var c = can(i), C = K.cameraColours;
    return c.fr ? C.fr : (c.alpr ? C.alpr : C.other);
  }
  app.colour = colour;
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
    L.popup(app.popupOptions()).setLatLng(e.layer.getLatLng()).setContent(popupFor(i)).openOn(map);
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

  app.markers = markers; app.weight = weight; app.total = total; app.drawCones = drawCones;
}

/* ---------------------------------------------------------------- filters
 * Face recognition, ALPR (cfg.contract's flag bits), vendor and source (its filter
 * columns); markers, heat map and cones show only the cameras that pass. */
function cameraMapFilters(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, K = cfg.contract, el = app.el;
  var cam = cfg.cameras, markers = app.markers, weight = app.weight, total = app.total;
  var cluster = app.layers.cluster, heat = app.layers.heat, drawCones = app.drawCones;
  var foldable = app.foldable, compact = app.compact;
  app.filter = { fr: false, alpr: false, vendor: 0, source: 0 };
  app.shown = [];
  app.applyFilter = function () {
    var f = app.filter, list = [], pts = [];
    var vcol = cam.cols[K.filterFields.vendor], scol = cam.cols[K.filterFields.source];
    var shown = [], shownCameras = 0;
    for (var i = 0; i < cam.n; i++) {
      if (f.fr && !(cam.flags[i] & K.flags.fr)) { continue; }
      if (f.alpr && !(cam.flags[i] & K.flags.alpr)) { continue; }
      if (f.vendor && !(vcol && vcol.d && vcol.i[i] === f.vendor)) { continue; }
      if (f.source && !(scol && scol.d && scol.i[i] === f.source)) { continue; }
      var ll = markers[i].getLatLng();
      list.push(markers[i]); pts.push([ll.lat, ll.lng, weight(i)]); shown.push(i);
      shownCameras += weight(i);
    }
    app.shown = shown;
    cluster.clearLayers(); cluster.addLayers(list); heat.setLatLngs(pts); drawCones();
    if (app.labels) { app.labels.place(); }
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
    select(box, T["filter.vendor"], cam.cols[K.filterFields.vendor], "vendor");
    select(box, T["filter.source"], cam.cols[K.filterFields.source], "source");
    app.countBox = el("p", "cm-note cm-count", box);
    foldable(box, compact);
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    return box;
  }});
  return Filter;
}

/* ---------------------------------------------------------------- base map (offline)
 * Roads, railways, water and place names from an OSM extract, one layer group per zoom
 * band, drawn on a canvas in a pane under the municipalities. */
var CM_BASEMAP_STYLE = {
  water: { color: "#8fb8dc", weight: 0.5, fillColor: "#b7d4ec", fillOpacity: 1 },
  river: { color: "#7fb0dc", weight: 2 },
  stream: { color: "#9cc2e4", weight: 1 },
  major: { color: "#c9875a", weight: 2.4 },
  secondary: { color: "#a89c90", weight: 1.6 },
  street: { color: "#aaa39c", weight: 1.1 },
  service: { color: "#c2bcb6", weight: 0.8 },
  rail: { color: "#555", weight: 1.2, dashArray: "5 3" }
};
var CM_BASEMAP_ORDER = ["water", "stream", "river", "service", "street", "secondary", "major",
                        "rail"];

function cameraMapDecode(flat, scale) {
  var out = [], lat = 0, lon = 0;
  for (var i = 0; i + 1 < flat.length; i += 2) {
    lat += flat[i]; lon += flat[i + 1];
    out.push([lat / scale, lon / scale]);
  }
  return out;
}

function cameraMapBasemap(map, cfg) {
  "use strict";
  var bm = cfg.basemap;
  var pane = map.createPane("cm-basemap");
  pane.style.zIndex = 250;
  pane.style.pointerEvents = "none";
  var renderer = L.canvas({ pane: "cm-basemap", padding: 0.3 });
  var group = L.layerGroup();
  var bands = bm.bands.map(function (band) {
    var g = L.layerGroup();
    CM_BASEMAP_ORDER.forEach(function (kind) {
      var style = L.extend({ renderer: renderer, pane: "cm-basemap", interactive: false,
                             lineCap: "round", lineJoin: "round" }, CM_BASEMAP_STYLE[kind]);
      (band.areas[kind] || []).forEach(function (rings) {
        g.addLayer(L.polygon(rings.map(function (r) { return cameraMapDecode(r, bm.scale); }),
                             style));
      });
      (band.lines[kind] || []).forEach(function (line) {
        g.addLayer(L.polyline(cameraMapDecode(line, bm.scale), style));
      });
    });
    return { min: band.z[0], max: band.z[1], group: g };
  });
  function show() {
    var z = Math.round(map.getZoom());
    bands.forEach(function (b) {
      var on = map.hasLayer(group) && z >= b.min && z <= b.max;
      if (on && !map.hasLayer(b.group)) { b.group.addTo(map); }
      if (!on && map.hasLayer(b.group)) { map.removeLayer(b.group); }
    });
  }
  group.on("add remove", function () { setTimeout(show, 0); });
  map.on("zoomend", show);
  map.getContainer().classList.add("cm-has-basemap");
  return { layer: group, show: show };
}

/* ---------------------------------------------------------------- labels
 * Unit names (ranked units first) and place names, placed greedily by priority: a label
 * is shown only where it overlaps no label placed before it, so labels never collide;
 * more appear as one zooms in. */
function cameraMapLabels(app) {
  "use strict";
  var map = app.map, cfg = app.cfg;
  var pane = map.createPane("cm-labels");
  pane.style.zIndex = 450;
  pane.style.pointerEvents = "none";
  pane.classList.add("leaflet-zoom-hide");
  var items = [];
  app.layers.units.eachLayer(function (layer) {
    var p = layer.feature.properties;
    if (!p.l || !p.n) { return; }
    var focus = cfg.focus && cfg.focus.indexOf(p.id) >= 0;
    var div = app.el("div", "cm-label cm-unit-label" + (p.top ? " cm-label-top" : "") +
                     (focus ? " cm-label-focus" : ""), pane, p.n);
    div.setAttribute("data-id", p.id);
    items.push({ div: div, ll: L.latLng(p.l[0], p.l[1]), layer: layer, unit: true,
                 prio: focus ? -1 : (p.top ? 0 : 1), order: p.r, minZoom: 0, top: !!p.top });
  });
  /* a city of several units (Beograd) is named once, over its members */
  (cfg.groups || []).forEach(function (g, i) {
    if (!g.l || !g.n) { return; }
    var focus = cfg.focus && g.m.some(function (id) { return cfg.focus.indexOf(id) >= 0; });
    var div = app.el("div", "cm-label cm-group-label" + (g.top ? " cm-label-top" : ""), pane,
                     g.n);
    items.push({ div: div, ll: L.latLng(g.l[0], g.l[1]), unit: true, group: true,
                 prio: g.top && !focus ? 0 : 1, order: -1000 + i, minZoom: 0, top: !!g.top,
                 maxZoom: 11 });
  });
  ((cfg.basemap && cfg.basemap.places) || []).forEach(function (pl, i) {
    var div = app.el("div", "cm-label cm-place-label", pane, pl[2]);
    items.push({ div: div, ll: L.latLng(pl[0], pl[1]), unit: false, prio: 2, order: i,
                 minZoom: pl[3] });
  });
  items.sort(function (a, b) { return a.prio - b.prio || a.order - b.order; });
  var measured = false;
  function measure() {
    items.forEach(function (it) { it.div.style.display = "block"; });
    items.forEach(function (it) { it.w = it.div.offsetWidth; it.h = it.div.offsetHeight; });
    measured = items.length === 0 || items[0].w > 0;
  }
  function overlaps(a, b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  }
  app.placedLabels = [];
  /* controls and cluster icons are obstacles too: a label never hides under them */
  function obstacles() {
    var c = map.getContainer(), origin = c.getBoundingClientRect(), out = [];
    var els = c.querySelectorAll(".leaflet-control, .marker-cluster");
    for (var i = 0; i < els.length; i++) {
      var r = els[i].getBoundingClientRect();
      if (!r.width || !r.height) { continue; }
      out.push({ x0: r.left - origin.left, x1: r.right - origin.left,
                 y0: r.top - origin.top, y1: r.bottom - origin.top });
    }
    return out;
  }
  function place() {
    if (!measured) { measure(); }
    var size = map.getSize(), z = map.getZoom(), placed = [], blocked = obstacles();
    var unitsOn = map.hasLayer(app.layers.units), placesOn = !app.basemap ||
      map.hasLayer(app.basemap.layer);
    function free(box) {
      if (box.x0 < 0 || box.y0 < 0 || box.x1 > size.x || box.y1 > size.y) { return false; }
      for (var j = 0; j < placed.length; j++) { if (overlaps(box, placed[j])) { return false; } }
      for (var k = 0; k < blocked.length; k++) { if (overlaps(box, blocked[k])) { return false; } }
      return true;
    }
    items.forEach(function (it) {
      var show = it.unit ? unitsOn : (placesOn && z >= it.minZoom);
      if (it.group && z > it.maxZoom) { show = false; }  /* zoomed in: members are named */
      var box = null;
      if (show && it.unit && !it.group && !it.top && it.prio > 0) {
        /* an unranked unit is named once its shape is wide enough for the name */
        var b = it.layer.getBounds();
        var a = map.latLngToContainerPoint(b.getNorthWest());
        var c = map.latLngToContainerPoint(b.getSouthEast());
        show = (c.x - a.x) >= it.w * 0.8 && (c.y - a.y) >= it.h * 1.5;
      }
      if (show) {
        /* at the label point, or just below or above it (a cluster may sit there) */
        var pt = map.latLngToContainerPoint(it.ll), off = 23 + it.h / 2, dy = [0, off, -off];
        show = false;
        for (var t = 0; t < dy.length && !show; t++) {
          box = { x0: pt.x - it.w / 2 - 3, x1: pt.x + it.w / 2 + 3,
                  y0: pt.y + dy[t] - it.h / 2 - 2, y1: pt.y + dy[t] + it.h / 2 + 2 };
          show = free(box);
          if (!it.unit) { break; }  /* a place name stays on its place */
        }
      }
      if (show) {
        placed.push(box);
        it.div.style.display = "block";
        L.DomUtil.setPosition(it.div, map.containerPointToLayerPoint(
          L.point(box.x0 + 3, box.y0 + 2)));
      } else {
        it.div.style.display = "none";
      }
    });
    app.placedLabels = placed;
  }
  map.on("zoomend moveend resize overlayadd overlayremove", place);
  app.layers.cluster.on("animationend", place);
  place();
  return { place: place, items: items };
}

/* ---------------------------------------------------------------- search
 * Names are compared folded (Latin script, no diacritics, lower case), the same way
 * camera_map.names.fold does in Python, so "Осечина", "Osečina" and "osecina" all match. */
var CM_CYR = { "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e",
  "ж": "ž", "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
  "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f",
  "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š" };
function cameraMapFold(text) {
  var s = String(text || "").toLowerCase().replace(/[\u0400-\u04ff]/g, function (ch) {
    return CM_CYR[ch] !== undefined ? CM_CYR[ch] : ch;
  });
  s = s.replace(/đ/g, "dj").replace(/ß/g, "ss").replace(/ø/g, "o").replace(/ł/g, "l")
       .replace(/æ/g, "ae");
  s = s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  return s.replace(/[^0-9a-z]+/g, " ").trim();
}

function cameraMapSearch(app) {
  "use strict";
  var map = app.map, cfg = app.cfg, T = cfg.text, el = app.el;
  var entries = [], bySlug = {}, byId = {};
  app.layers.units.eachLayer(function (layer) {
    var p = layer.feature.properties;
    byId[p.id] = layer;
    var e = { name: p.n, keys: p.k || [], slug: p.s, layers: [layer], unit: true };
    entries.push(e);
    if (p.s && !bySlug[p.s]) { bySlug[p.s] = e; }
  });
  (cfg.groups || []).forEach(function (g) {
    var layers = g.m.map(function (id) { return byId[id]; }).filter(Boolean);
    if (!layers.length) { return; }
    var e = { name: g.n, keys: g.k, slug: g.s, layers: layers, unit: false };
    entries.push(e);
    if (g.s) { bySlug[g.s] = e; }  /* "#town=beograd" is the city */
  });
  function score(e, q, loose) {
    var best = 9;
    e.keys.forEach(function (k) {
      var s = k === q || k === loose ? 0 : (k.indexOf(q) === 0 || k.indexOf(loose) === 0 ? 1
        : (k.indexOf(" " + q) >= 0 ? 2 : (k.indexOf(q) >= 0 || k.indexOf(loose) >= 0 ? 3 : 9)));
      if (s < best) { best = s; }
    });
    return best;
  }
  function find(text) {
    var q = cameraMapFold(text), loose = q.replace(/dj/g, "d");
    if (!q) { return []; }
    return entries.map(function (e) { return { e: e, s: score(e, q, loose) }; })
      .filter(function (r) { return r.s < 9; })
      .sort(function (a, b) {
        return a.s - b.s || (a.e.unit === b.e.unit ? 0 : (a.e.unit ? 1 : -1)) ||
          a.e.name.localeCompare(b.e.name, cfg.locale);
      })
      .slice(0, 8).map(function (r) { return r.e; });
  }
  function boundsOf(e) {
    var b = L.latLngBounds([]);
    e.layers.forEach(function (l) { b.extend(l.getBounds()); });
    return b;
  }
  function open(e) {
    if (!e.unit) { return; }
    var l = e.layers[0], p = l.feature.properties;
    l.openPopup(p.l ? L.latLng(p.l[0], p.l[1]) : l.getBounds().getCenter());
  }
  /* fly to a unit (or a city) and open its popup */
  function go(e, animate) {
    var b = boundsOf(e);
    var target = map.getBoundsZoom(b, false, L.point(40, 40));
    target = Math.min(target, 14);
    var centre = b.getCenter();
    var same = map.getZoom() === target && map.getCenter().distanceTo(centre) < 1;
    if (same || animate === false) {
      map.setView(centre, target, { animate: false });
      open(e);
    } else {
      map.once("moveend", function () { open(e); });
      map.flyTo(centre, target, { duration: 0.6 });
    }
  }
  var Search = L.Control.extend({ options: { position: "topright" }, onAdd: function () {
    var box = el("form", "cm-box cm-search");
    box.setAttribute("role", "search");
    var input = el("input", null, box);
    input.type = "search"; input.name = "q"; input.autocomplete = "off";
    input.placeholder = T["page.search"];
    input.setAttribute("aria-label", T["page.search_label"]);
    input.setAttribute("aria-controls", "cm-search-results");
    input.setAttribute("aria-autocomplete", "list");
    var list = el("ul", "cm-results", box);
    list.id = "cm-search-results";
    list.setAttribute("role", "listbox");
    var results = [], active = -1;
    function draw() {
      list.textContent = "";
      results.forEach(function (e, i) {
        var li = el("li", i === active ? "cm-active" : null, list, e.name);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(i === active));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(e); });
      });
      if (input.value.trim() && !results.length) {
        el("li", "cm-none", list, T["page.no_match"]);
      }
    }
    function choose(e) {
      input.value = e.name; results = []; active = -1; draw();
      go(e, true);
    }
    input.addEventListener("input", function () {
      results = find(input.value); active = results.length ? 0 : -1; draw();
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        if (results.length) {
          active = (active + (ev.key === "ArrowDown" ? 1 : results.length - 1)) % results.length;
          draw();
        }
        ev.preventDefault();
      } else if (ev.key === "Escape") {
        results = []; active = -1; draw();
      }
    });
    box.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var r = results.length ? results : find(input.value);
      if (r.length) { choose(r[Math.max(active, 0)]); }
    });
    input.addEventListener("blur", function () { results = []; active = -1; draw(); });
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    return box;
  }});
  new Search().addTo(map);
  return { find: find, go: go, bySlug: bySlug };
}

/* ---------------------------------------------------------------- deep links
 * "#town=<slug>" opens a unit (or a city) as its town page is named; "#zoom/lat/lon" (or
 * "#map=zoom/lat/lon") sets the view. Once the reader moves the map, the address shows the
 * view, so it can be shared. */
function cameraMapLinks(app, search) {
  "use strict";
  var map = app.map;
  function apply() {
    var h = "";
    try { h = decodeURIComponent(window.location.hash.replace(/^#/, "")); } catch (e) { return false; }
    var m = /^(?:map=)?(\d{1,2}(?:\.\d+)?)\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/.exec(h);
    if (m && Math.abs(+m[2]) <= 90 && Math.abs(+m[3]) <= 180) {
      map.setView([+m[2], +m[3]], Math.min(+m[1], map.getMaxZoom()), { animate: false });
      return true;
    }
    m = /^town=(.+)$/.exec(h);
    if (m) {
      var e = search.bySlug[m[1].trim().toLowerCase()] ||
              search.find(m[1].replace(/[-_]+/g, " "))[0];
      if (e) { search.go(e, false); return true; }
    }
    return false;
  }
  apply();
  window.addEventListener("hashchange", apply);
  /* only a view the reader chose goes into the address */
  var touched = false;
  ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (ev) {
    map.getContainer().addEventListener(ev, function () { touched = true; },
                                        { passive: true });
  });
  map.on("moveend", function () {
    if (!touched) { return; }
    var c = map.getCenter(), z = map.getZoom();
    var d = Math.max(0, Math.ceil(Math.log(Math.pow(2, z)) / Math.LN10));
    var hash = "#" + z + "/" + c.lat.toFixed(d) + "/" + c.lng.toFixed(d);
    if (window.history && window.history.replaceState) {
      try { window.history.replaceState(null, "", hash); } catch (e) { /* sandboxed frame */ }
    }
  });
}

/* ---------------------------------------------------------------- embedding
 * No scroll trap: inside an article (an iframe, or a page that scrolls) the wheel scrolls
 * the article until the reader clicks or focuses the map; Ctrl + wheel always zooms; a hint
 * says so. Popups stay above every control and the tooltip closes while a popup is open. */
function cameraMapEmbed(app) {
  "use strict";
  var map = app.map, c = map.getContainer(), T = app.cfg.text;
  var framed = false;
  try { framed = window.self !== window.top; } catch (e) { framed = true; }
  var scrolls = document.documentElement.scrollHeight > window.innerHeight + 2;
  app.wheelGated = framed || scrolls;
  if (!app.wheelGated) {
    map.scrollWheelZoom.enable();
  } else {
    var hint = app.el("div", "cm-scroll-hint", c, T["page.scroll_hint"]);
    hint.setAttribute("aria-live", "polite");
    var timer = null;
    var wake = function () {
      map.scrollWheelZoom.enable(); c.classList.add("cm-awake");
      hint.classList.remove("cm-show");
    };
    var sleep = function () { map.scrollWheelZoom.disable(); c.classList.remove("cm-awake"); };
    c.addEventListener("mousedown", wake);
    c.addEventListener("touchstart", wake, { passive: true });
    c.addEventListener("focusin", wake);  /* a keyboard reader tabbed into the map */
    /* asleep again once the reader is elsewhere: the pointer left the map, a click in the
     * page outside it, or the article around the frame took the focus */
    c.addEventListener("mouseleave", sleep);
    document.addEventListener("mousedown", function (e) {
      if (!c.contains(e.target)) { sleep(); }
    });
    window.addEventListener("blur", sleep);
    c.addEventListener("wheel", function (e) {
      if (map.scrollWheelZoom.enabled()) { return; }
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        var at = map.mouseEventToLatLng(e);
        map.setZoomAround(at, map.getZoom() + (e.deltaY < 0 ? 1 : -1));
        return;
      }
      hint.classList.add("cm-show");  /* the article scrolls: the event is not stopped */
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { hint.classList.remove("cm-show"); }, 1800);
    }, { passive: false });
  }

  /* popups: over every control (controls the popup covers step aside), no tooltip */
  function covered() {
    var open = map._popup && map.hasLayer(map._popup) ? map._popup.getElement() : null;
    var r = open ? open.getBoundingClientRect() : null;
    var controls = c.querySelectorAll(".leaflet-control");
    for (var i = 0; i < controls.length; i++) {
      var q = controls[i].getBoundingClientRect();
      var hit = r && q.left < r.right && r.left < q.right && q.top < r.bottom && r.top < q.bottom;
      controls[i].classList.toggle("cm-covered", !!hit);
    }
  }
  map.on("popupopen", function () {
    c.classList.add("cm-popup-open");
    app.layers.units.eachLayer(function (l) { l.closeTooltip(); });
    covered();
  });
  map.on("popupclose", function () {
    c.classList.remove("cm-popup-open");
    setTimeout(covered, 0);
  });
  map.on("moveend zoomend resize", covered);
  app.coveredControls = covered;

  /* the attribution leaves room for the scale bar on narrow screens */
  function fitAttribution() {
    var a = c.querySelector(".leaflet-control-attribution");
    var s = c.querySelector(".leaflet-control-scale");
    if (!a) { return; }
    /* the scale bar is at most 100 px wide (its maxWidth), whatever the zoom */
    var room = map.getSize().x - (s ? 140 : 20);
    a.style.maxWidth = Math.max(120, room) + "px";
  }
  map.on("resize", fitAttribution);
  fitAttribution();
}

/* Start the map from the page's data: the JSON in <script id="cm-data"> (never HTML). */
function cameraMapStart() {
  "use strict";
  var cfg = JSON.parse(document.getElementById("cm-data").textContent);
  /* Leaflet focuses the map on a click; in an article's iframe that focus scrolled the
   * article to the map's top edge. Focus without scrolling. */
  L.Map.Keyboard.prototype._onMouseDown = function () {
    if (this._focused) { return; }
    this._map._container.focus({ preventScroll: true });
  };
  var map = L.map("cm-map", { center: [0, 0], zoom: 1, maxZoom: cfg.maxZoom,
                              preferCanvas: false, zoomControl: false,
                              scrollWheelZoom: false });
  var overlays = {};
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution,
                                 maxZoom: cfg.tiles.maxZoom }).addTo(map);
  }
  var basemap = cfg.basemap ? cameraMapBasemap(map, cfg) : null;
  L.control.scale({ position: "bottomleft" }).addTo(map);
  var app = cameraMapApp(map, cfg);
  app.basemap = basemap;
  L.control.zoom({ position: "topleft" }).addTo(map);
  var search = cameraMapSearch(app);
  var names = cfg.layerNames;
  if (basemap) { overlays[names.basemap] = basemap.layer; basemap.layer.addTo(map); }
  var order = cfg.cameras.n ? ["units", "cluster", "heat", "cones"] : ["units"];
  var shown = { units: true, cluster: true, heat: false, cones: true };
  order.forEach(function (key) {
    var layer = app.layers[key];
    overlays[names[key]] = layer;
    if (shown[key]) { layer.addTo(map); }
  });
  L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  if (basemap) { basemap.show(); }
  app.labels = cameraMapLabels(app);
  cameraMapEmbed(app);
  cameraMapLinks(app, search);
  app.search = search;
  return app;
}
