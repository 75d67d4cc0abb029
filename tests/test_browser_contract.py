"""The page's data and its script agree (camera_map/render/contract.py <-> map.js).

map.js runs in Debian's Chromium on a payload Python wrote; each camera's flags, marker
colour and filters, and each unit's class fill, must come out as Python meant them. The
bits are also swapped (``fr`` 2, ``alpr`` 1) and the colours changed: a script that kept
numbers or colours of its own would then draw and filter the wrong cameras.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browserutil import open_page
from render_fixtures import ATTRIBUTION, load_units, many_cameras

from camera_map.render import METRICS, classify, contract, prepare_units, render_map

pytestmark = pytest.mark.browser

#: (face recognition, surveillance_type, manufacturer) of each camera, by its source_ref.
CAMERAS = {
    "node/1": (True, "camera", "Dahua"),
    "node/2": (False, "ALPR", "Huawei"),
    "node/3": (True, "ANPR", None),
    "node/4": (None, "camera", "Dahua"),
    "node/5": (False, None, "Hikvision"),
}


def _cameras() -> Any:
    cams = many_cameras(len(CAMERAS))
    refs = list(CAMERAS)
    cams["source_ref"] = pd.Series(refs, dtype="string")
    cams["camera_id"] = pd.Series([f"osm-node-{r[5:]}" for r in refs], dtype="string")
    cams["facial_recognition"] = pd.Series([v[0] for v in CAMERAS.values()], dtype="boolean")
    cams["surveillance_type"] = pd.Series([v[1] for v in CAMERAS.values()], dtype="string")
    cams["manufacturer"] = pd.Series([v[2] for v in CAMERAS.values()], dtype="string")
    return cams


def _expected_colour(fr: bool, alpr: bool) -> str:
    colours = contract.CAMERA_COLOURS
    return colours["fr"] if fr else (colours["alpr"] if alpr else colours["other"])


#: Per camera (by ref): what map.js decoded and drew.
DECODED = """() => { const app = cameraMap, cam = app.cfg.cameras, ref = cam.cols.source_ref;
  const name = i => ref.d ? ref.d[ref.i[i] - 1] : ref.v[i];
  const drawn = {};
  app.layers.cluster.getLayers().forEach(m => { drawn[name(m.cmIndex)] = m.options.fillColor; });
  const out = {};
  for (let i = 0; i < cam.n; i++) { out[name(i)] = {can: app.can(i), fill: drawn[name(i)]}; }
  return out; }"""
SHOWN = """() => { const cam = cameraMap.cfg.cameras, ref = cam.cols.source_ref;
  return cameraMap.shown.map(i => ref.d ? ref.d[ref.i[i] - 1] : ref.v[i]).sort(); }"""


@pytest.mark.parametrize("swapped", [False, True], ids=["as-defined", "bits-and-colours-swapped"])
def test_map_js_decodes_every_flag_class_and_colour_as_python_meant(
        browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, swapped: bool) -> None:  # type: ignore[no-untyped-def]
    if swapped:
        monkeypatch.setitem(contract.CAMERA_FLAGS, "fr", 2)
        monkeypatch.setitem(contract.CAMERA_FLAGS, "alpr", 1)
        monkeypatch.setitem(contract.CAMERA_COLOURS, "fr", "#112233")
        monkeypatch.setitem(contract.CAMERA_COLOURS, "other", "#445566")
        monkeypatch.setitem(contract.UNIT_COLOURS, "unknown", "#778899")
    units = load_units()
    path = render_map(units, _cameras(), tmp_path / "map.html", title="t",
                      attribution=ATTRIBUTION)
    with open_page(browser, path, viewport=(1200, 900)) as visit:
        page = visit.page
        decoded = page.evaluate(DECODED)
        assert set(decoded) == set(CAMERAS)
        for ref, (fr, kind, _) in CAMERAS.items():
            alpr = kind in ("ALPR", "ANPR")
            assert decoded[ref]["can"] == {"fr": bool(fr), "alpr": alpr}, ref
            assert decoded[ref]["fill"] == _expected_colour(bool(fr), alpr), ref

        # the filters pick the cameras Python flagged, and the vendor column it named
        page.check("input[name=fr]")
        assert page.evaluate(SHOWN) == sorted(r for r, v in CAMERAS.items() if v[0])
        page.uncheck("input[name=fr]")
        page.check("input[name=alpr]")
        assert page.evaluate(SHOWN) == sorted(
            r for r, v in CAMERAS.items() if v[1] in ("ALPR", "ANPR"))
        page.uncheck("input[name=alpr]")
        page.select_option("select[name=vendor]", label="Dahua")
        assert page.evaluate(SHOWN) == sorted(r for r, v in CAMERAS.items() if v[2] == "Dahua")

        # the legend shows the contract's colours, in its order
        dots = page.evaluate("""() => [...document.querySelectorAll('.cm-camera-legend .cm-dot')]
            .map(d => getComputedStyle(d).backgroundColor)""")
        swatch = page.evaluate("""() => getComputedStyle(
            document.querySelector('.cm-sw-unknown')).backgroundColor""")

        # each unit is filled by its class: a class colour, the hatch, or "unknown"
        fills = page.evaluate("""() => { const out = {};
            cameraMap.layers.units.eachLayer(l => {
              out[l.feature.properties.id] = l._path.getAttribute('fill'); });
            return out; }""")
        assert visit.errors == [] and visit.external == []
    assert dots == [_rgb(contract.CAMERA_COLOURS[k]) for k in ("fr", "alpr", "other")]
    assert swatch == _rgb(contract.UNIT_COLOURS["unknown"])
    classes = classify(prepare_units(units), METRICS[0])
    kinds = set()
    for uid, klass in zip(units["id"], classes.klass, strict=True):
        if klass == contract.NO_EVIDENCE:
            expected = "url(#cm-hatch)"
        elif klass == contract.UNKNOWN_FIGURE:
            expected = contract.UNIT_COLOURS["unknown"]
        else:
            expected = classes.colors[klass]
        kinds.add(min(int(klass), 0))
        assert fills[str(uid)] == expected, uid
    assert kinds == {0, contract.NO_EVIDENCE, contract.UNKNOWN_FIGURE}  # the fixture has every kind


def _rgb(hex_colour: str) -> str:
    """``#d7191c`` (or ``#555``) as the browser's computed ``rgb(215, 25, 28)``."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"
