// An invented web-map export (uMap style), as a page publishes it: GeoJSON in a JavaScript
// variable. The first two cameras carry OpenStreetMap tags; the third has no properties.
var kamere = {"type": "FeatureCollection", "_umap_options": {"name": "Kamere Osečina"}, "features": [
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6011, 44.3701]}, "properties": {"name": "Trg", "man_made": "surveillance", "surveillance": "public", "surveillance:type": "camera", "camera:type": "dome", "camera:direction": "NE", "manufacturer": "Dahua", "_umap_options": {"color": "Red"}}},
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6032, 44.3712]}, "properties": {"name": "Pijaca", "man_made": "surveillance", "surveillance:type": "ALPR"}},
{"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.5987, 44.3689]}}
]};
