/*
 * valley_points.js: a Leaflet layer that draws up to millions of points from typed arrays on one canvas.
 *
 * Part of Valley Atlas (沟域经济地图). Copyright (c) 2026 the Valley Atlas authors.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Redistribution and use in source and binary forms, with or without modification, are permitted provided that
 * the following conditions are met:
 * 1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
 *    following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
 *    following disclaimer in the documentation and/or other materials provided with the distribution.
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
 * WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
 * PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY
 * DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES ARISING IN ANY WAY OUT OF THE USE
 * OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 *
 * Needs Leaflet 1.9 (static/vendor/leaflet-1.9.3). Written for layers/points.py, which sends:
 *   {count, bits: 16|32, extent: [minLon, minLat, maxLon, maxLat], x, y (base64 of little-endian uint16/uint32
 *    quantised to the extent), classes (base64 of uint8, one per point), styles: [{label, color, radius_px, ring,
 *    ring_px, dense_radius_px, dense_ring_px}], order: [class drawn first, ..., class drawn on top],
 *    names, ids (optional: one string per point, joined by "\n")}
 * Points are written as pixel sprites into one ImageData (no per-point objects, no per-point canvas calls),
 * culled to the view; hover and click find the point through a screen grid built lazily after each redraw.
 */
(function (L) {
    'use strict';

    var MAX_LAT = 85.0511287798;  // Web Mercator's limit, as Leaflet's SphericalMercator
    var GRID_PX = 16;  // cell size (device px) of the hover/click lookup grid
    var POINTS_PANE_Z = 390;  // a pane of our own sits just below Leaflet's overlayPane (400)

    function decodeBase64(text) {
        var bin = atob(text), n = bin.length, out = new Uint8Array(n);
        for (var i = 0; i < n; i++) { out[i] = bin.charCodeAt(i); }
        return out;
    }

    function mercatorY(lat) {  // normalised Web Mercator y in 0..1, north up (0 at the top)
        var phi = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180;
        return 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI);
    }

    function parseColor(css) {  // '#rrggbb' -> [r, g, b]
        var ctx = document.createElement('canvas').getContext('2d');
        ctx.fillStyle = css;
        var hex = ctx.fillStyle;  // normalised to #rrggbb by the canvas
        return [parseInt(hex.substr(1, 2), 16), parseInt(hex.substr(3, 2), 16), parseInt(hex.substr(5, 2), 16)];
    }

    function spritePixels(style, dense, dpr) {  // the opaque pixels of one drawn point: [dx, dy, abgr] triples
        var r = (dense ? style.dense_radius_px : style.radius_px) * dpr;
        var ring = (dense ? style.dense_ring_px : style.ring_px) * dpr;
        var half = Math.ceil(r + ring / 2) + 1, size = 2 * half + 1;
        var canvas = document.createElement('canvas');
        canvas.width = canvas.height = size;
        var ctx = canvas.getContext('2d');
        ctx.beginPath();
        ctx.arc(half + 0.5, half + 0.5, r, 0, 2 * Math.PI);
        ctx.fillStyle = style.color;
        ctx.fill();
        if (ring > 0) {
            ctx.lineWidth = ring;
            ctx.strokeStyle = style.ring;
            ctx.stroke();
        }
        var data = ctx.getImageData(0, 0, size, size).data, out = [];
        for (var y = 0; y < size; y++) {
            for (var x = 0; x < size; x++) {
                var k = 4 * (y * size + x);
                if (data[k + 3] >= 128) {
                    out.push(x - half, y - half, ((255 << 24) | (data[k + 2] << 16) | (data[k + 1] << 8) | data[k]) >>> 0);
                }
            }
        }
        if (!out.length) {  // a sub-pixel radius still shows one pixel
            var rgb = parseColor(style.color);
            out.push(0, 0, ((255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0);
        }
        return {pixels: out, half: half};
    }

    var ValleyPoints = L.Layer.extend({
        options: {
            pane: 'overlayPane',
            padding: 0.1,        // canvas margin around the view, as a share of its size (as Leaflet's renderers)
            hitPx: 6,            // how far (CSS px) from a point's centre hover and click still find it
            densePxPerPoint: 400, // above one visible point per this many px of canvas, points are drawn small
            interactive: true,
            key: null            // a name under which L.valleyPoints.registry keeps the layer (for setClasses)
        },

        initialize: function (data, options) {
            L.setOptions(this, options);
            this._load(data);
            this.drawCount = 0;
            this.lastDraw = null;
            if (this.options.key) { L.valleyPoints.registry[this.options.key] = this; }
        },

        _load: function (data) {
            var n = data.count, bits = data.bits, e = data.extent, levels = Math.pow(2, bits) - 1;
            var xb = decodeBase64(data.x), yb = decodeBase64(data.y);
            this._n = n;
            this._qx = bits === 16 ? new Uint16Array(xb.buffer) : new Uint32Array(xb.buffer);
            var qy = bits === 16 ? new Uint16Array(yb.buffer) : new Uint32Array(yb.buffer);
            this._extent = e;
            this._stepX = (e[2] - e[0]) / levels;
            this._stepY = (e[3] - e[1]) / levels;
            // Mercator y relative to the extent's top edge, once: a redraw is then two multiply-adds per point
            this._top = mercatorY(e[3]);
            var ym = new Float32Array(n), i;
            if (bits === 16) {
                var lut = new Float64Array(levels + 1);
                for (i = 0; i <= levels; i++) { lut[i] = mercatorY(e[1] + i * this._stepY) - this._top; }
                for (i = 0; i < n; i++) { ym[i] = lut[qy[i]]; }
            } else {
                for (i = 0; i < n; i++) { ym[i] = mercatorY(e[1] + qy[i] * this._stepY) - this._top; }
            }
            this._qy = qy;
            this._ym = ym;
            this._styles = data.styles;
            this._order = data.order;
            this._names = data.names ? data.names.split('\n') : null;
            this._ids = data.ids ? data.ids.split('\n') : null;
            this._setClassBytes(decodeBase64(data.classes));
            this._vis = new Int32Array(n);    // visible point indices, in draw order
            this._pos = new Int32Array(n);    // buffer offsets of the visible points, in index order
            this._scratch = new Int32Array(n);
            this._drawPos = new Int32Array(n);  // pixel offset of vis[k]
        },

        _setClassBytes: function (bytes) {
            if (bytes.length !== this._n) {
                throw new Error('valleyPoints: ' + bytes.length + ' classes for ' + this._n + ' points');
            }
            this._classes = bytes;
            this._rank = new Int32Array(256).fill(-1);
            for (var r = 0; r < this._order.length; r++) { this._rank[this._order[r]] = r; }
        },

        setClasses: function (base64) {
            this._setClassBytes(decodeBase64(base64));
            if (this._map) { this._draw(); }
            return this;
        },

        memoryBytes: function () {  // bytes held in typed arrays (outside the JS heap figure)
            var total = 0, arrays = [this._qx, this._qy, this._ym, this._classes, this._vis, this._pos, this._scratch,
                this._gridStart, this._gridItems];
            for (var i = 0; i < arrays.length; i++) { if (arrays[i]) { total += arrays[i].byteLength; } }
            return total + (this._image ? this._image.data.byteLength : 0);
        },

        onAdd: function (map) {
            var pane = this.options.pane;
            if (!map.getPane(pane)) {  // our own pane: below the vector overlays, so zones and belts draw on top
                map.createPane(pane).style.zIndex = POINTS_PANE_Z;
            }
            var canvas = this._container = L.DomUtil.create('canvas', 'leaflet-valley-points');
            canvas.style.pointerEvents = 'none';
            if (map._zoomAnimated) { L.DomUtil.addClass(canvas, 'leaflet-zoom-animated'); }
            this._ctx = canvas.getContext('2d');
            this.getPane().appendChild(canvas);
            this._update();
        },

        onRemove: function () {
            this._hideTooltip();
            L.DomUtil.remove(this._container);
            this._container = this._ctx = this._image = null;
        },

        getEvents: function () {
            var events = {
                viewreset: this._reset, zoom: this._onZoom, moveend: this._update, resize: this._update,
                movestart: this._onMoveStart
            };
            if (this._map && this._map._zoomAnimated) { events.zoomanim = this._onAnimZoom; }
            if (this.options.interactive) {
                events.mousemove = this._onMouseMove;
                events.click = this._onClick;
                events.mouseout = this._hideTooltip;
            }
            return events;
        },

        _onMoveStart: function () {
            this._moving = true;
            this._hideTooltip();
        },

        _onAnimZoom: function (ev) { this._updateTransform(ev.center, ev.zoom); },

        _onZoom: function () { this._updateTransform(this._map.getCenter(), this._map.getZoom()); },

        _updateTransform: function (center, zoom) {  // scale the drawn canvas during a zoom, as L.Renderer does
            var map = this._map, scale = map.getZoomScale(zoom, this._zoom),
                viewHalf = map.getSize().multiplyBy(0.5 + this.options.padding),
                currentCenterPoint = map.project(this._center, zoom),
                topLeftOffset = viewHalf.multiplyBy(-scale).add(currentCenterPoint)
                    .subtract(map._getNewPixelOrigin(center, zoom));
            if (L.Browser.any3d) {
                L.DomUtil.setTransform(this._container, topLeftOffset, scale);
            } else {
                L.DomUtil.setPosition(this._container, topLeftOffset);
            }
        },

        _reset: function () {
            this._update();
            this._updateTransform(this._center, this._zoom);
        },

        _update: function () {
            var map = this._map;
            if (!map || !this._container) { return; }
            var p = this.options.padding, size = map.getSize(),
                min = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
            this._bounds = new L.Bounds(min, min.add(size.multiplyBy(1 + p * 2)).round());
            this._center = map.getCenter();
            this._zoom = map.getZoom();
            var dpr = this._dpr = window.devicePixelRatio || 1,
                w = this._bounds.max.x - min.x, h = this._bounds.max.y - min.y, canvas = this._container;
            if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
                canvas.width = Math.round(w * dpr);
                canvas.height = Math.round(h * dpr);
                canvas.style.width = w + 'px';
                canvas.style.height = h + 'px';
            }
            L.DomUtil.setPosition(canvas, min);
            this._moving = false;
            this._draw();
        },

        _sprites: function (dense, bufferWidth) {  // per class: pixel offsets and colours for this buffer width
            var key = (dense ? 'd' : 'f') + bufferWidth + '@' + this._dpr;
            if (this._spriteKey === key) { return this._spriteCache; }
            var out = [], margin = 0;
            for (var c = 0; c < this._styles.length; c++) {
                var s = spritePixels(this._styles[c], dense, this._dpr), m = s.pixels.length / 3;
                var offs = new Int32Array(m), cols = new Uint32Array(m);
                for (var k = 0; k < m; k++) {
                    offs[k] = s.pixels[3 * k + 1] * bufferWidth + s.pixels[3 * k];
                    cols[k] = s.pixels[3 * k + 2];
                }
                out.push({offs: offs, cols: cols});
                margin = Math.max(margin, s.half);
            }
            this._spriteKey = key;
            this._spriteCache = out;
            return out;
        },

        _margin: function () {  // buffer margin (device px) so that sprites at the canvas edge need no clipping
            var m = 0;
            for (var c = 0; c < this._styles.length; c++) {
                var s = this._styles[c];
                m = Math.max(m, s.radius_px + s.ring_px, s.dense_radius_px + s.dense_ring_px);
            }
            return Math.ceil(m * (this._dpr || 1)) + 2;
        },

        _draw: function () {
            var start = performance.now();
            var map = this._map, canvas = this._container, dpr = this._dpr;
            var W = canvas.width, H = canvas.height, M = this._margin(), BW = W + 2 * M, BH = H + 2 * M;
            var S = 256 * Math.pow(2, this._zoom);
            var origin = map.getPixelOrigin().add(this._bounds.min);  // world px of the canvas' top-left corner
            var e = this._extent;
            var ax = this._stepX / 360 * S * dpr, bx = ((e[0] / 360 + 0.5) * S - origin.x) * dpr + M;
            var ay = S * dpr, by = (this._top * S - origin.y) * dpr + M;
            var lo = M, hiX = W + M, hiY = H + M;
            if (!this._image || this._image.width !== BW || this._image.height !== BH) {
                this._image = this._ctx.createImageData(BW, BH);
                this._buf = new Uint32Array(this._image.data.buffer);
            } else {
                this._buf.fill(0);
            }
            var qx = this._qx, ym = this._ym, cls = this._classes, rank = this._rank, n = this._n;
            var scratch = this._scratch, pos = this._pos, vis = this._vis, buf = this._buf;
            var nr = this._order.length, counts = new Int32Array(nr + 1), nv = 0, i;
            // cull: keep the points whose centre falls on the canvas, with their buffer offset, counted per rank
            for (i = 0; i < n; i++) {
                var X = qx[i] * ax + bx;
                if (X < lo || X >= hiX) { continue; }
                var Y = ym[i] * ay + by;
                if (Y < lo || Y >= hiY) { continue; }
                var r = rank[cls[i]];
                if (r < 0) { continue; }  // a class not drawn (hidden)
                scratch[nv] = i;
                pos[nv] = (Y | 0) * BW + (X | 0);
                counts[r + 1]++;
                nv++;
            }
            // order by draw rank (counting sort, stable): vis[] = point index, offsets into _drawPos
            for (r = 0; r < nr; r++) { counts[r + 1] += counts[r]; }
            var starts = counts.slice(), drawPos = this._drawPos;
            for (var j = 0; j < nv; j++) {
                var k = starts[rank[cls[scratch[j]]]]++;
                vis[k] = scratch[j];
                drawPos[k] = pos[j];
            }
            var dense = nv * this.options.densePxPerPoint > W * H / (dpr * dpr);
            var sprites = this._sprites(dense, BW);
            for (r = 0; r < nr; r++) {
                var sp = sprites[this._order[r]], offs = sp.offs, cols = sp.cols, m = offs.length;
                for (j = counts[r]; j < counts[r + 1]; j++) {
                    var p = drawPos[j];
                    for (var q = 0; q < m; q++) { buf[p + offs[q]] = cols[q]; }
                }
            }
            this._ctx.putImageData(this._image, -M, -M);
            this._visible = nv;
            this._dense = dense;
            this._reachPx = 0;
            for (var c = 0; c < this._styles.length; c++) {
                var st = this._styles[c];
                this._reachPx = Math.max(this._reachPx, dense ? st.dense_radius_px : st.radius_px);
            }
            this._bufferWidth = BW;
            this._gridStart = null;  // the lookup grid is rebuilt on the next hover or click
            this.drawCount++;
            this.lastDraw = {ms: performance.now() - start, visible: nv, dense: dense, at: performance.now(),
                count: this.drawCount};
            if (this.drawCount === 1) { this.firstDraw = this.lastDraw; }
            this.fire('redraw', this.lastDraw);
        },

        _buildGrid: function () {  // points on screen by grid cell (CSR arrays), in draw order
            var BW = this._bufferWidth, BH = this._image.height, cols = Math.ceil(BW / GRID_PX),
                rows = Math.ceil(BH / GRID_PX), cells = cols * rows, nv = this._visible, pos = this._drawPos;
            var start = new Int32Array(cells + 1), items = new Int32Array(nv), j;
            for (j = 0; j < nv; j++) {
                start[((pos[j] / BW | 0) / GRID_PX | 0) * cols + ((pos[j] % BW) / GRID_PX | 0) + 1]++;
            }
            for (j = 0; j < cells; j++) { start[j + 1] += start[j]; }
            var fill = start.slice();
            for (j = 0; j < nv; j++) {
                items[fill[((pos[j] / BW | 0) / GRID_PX | 0) * cols + ((pos[j] % BW) / GRID_PX | 0)]++] = j;
            }
            this._gridCols = cols;
            this._gridRows = rows;
            this._gridStart = start;
            this._gridItems = items;
        },

        pointAt: function (containerPoint) {  // index of the topmost point within hitPx of a container point, or -1
            if (!this._map || !this._image || this._moving) { return -1; }
            if (!this._gridStart) { this._buildGrid(); }
            var dpr = this._dpr, M = this._margin(), BW = this._bufferWidth;
            var lp = this._map.containerPointToLayerPoint(containerPoint).subtract(this._bounds.min);
            var u = lp.x * dpr + M, v = lp.y * dpr + M;
            var reach = (this._reachPx + this.options.hitPx) * dpr;
            var c0 = Math.max(0, Math.floor((u - reach) / GRID_PX)), c1 = Math.min(this._gridCols - 1, Math.floor((u + reach) / GRID_PX));
            var r0 = Math.max(0, Math.floor((v - reach) / GRID_PX)), r1 = Math.min(this._gridRows - 1, Math.floor((v + reach) / GRID_PX));
            var best = -1, bestD = reach * reach, start = this._gridStart, items = this._gridItems, pos = this._drawPos;
            for (var row = r0; row <= r1; row++) {
                for (var col = c0; col <= c1; col++) {
                    var cell = row * this._gridCols + col;
                    for (var k = start[cell]; k < start[cell + 1]; k++) {
                        var j = items[k], px = pos[j] % BW + 0.5, py = (pos[j] / BW | 0) + 0.5;
                        var d = (px - u) * (px - u) + (py - v) * (py - v);
                        if (d < bestD || (d === bestD && j > best)) { bestD = d; best = j; }
                    }
                }
            }
            return best < 0 ? -1 : this._vis[best];
        },

        latLngOf: function (i) {  // the (dequantised) position of point i, in the display datum
            var e = this._extent;
            return L.latLng(e[1] + this._qy[i] * this._stepY, e[0] + this._qx[i] * this._stepX);
        },

        labelOf: function (i) {
            var label = this._styles[this._classes[i]].label;
            return this._names ? this._names[i] + (label ? '（' + label + '）' : '') : label;
        },

        featureOf: function (i) {  // point i as a GeoJSON feature (what streamlit-folium returns as last_active_drawing)
            var ll = this.latLngOf(i), props = {point_index: i, class: this._classes[i]};
            if (this._ids) { props.village_id = this._ids[i]; }
            if (this._names) { props.name = this._names[i]; }
            return {type: 'Feature', geometry: {type: 'Point', coordinates: [ll.lng, ll.lat]}, properties: props};
        },

        _onMouseMove: function (ev) {
            this._lastMove = ev.containerPoint;
            if (this._hoverQueued) { return; }
            this._hoverQueued = true;
            var self = this;
            L.Util.requestAnimFrame(function () {
                self._hoverQueued = false;
                if (!self._map) { return; }
                var i = self.pointAt(self._lastMove);
                self._map.getContainer().style.cursor = i < 0 ? '' : 'pointer';
                if (i < 0) { self._hideTooltip(); return; }
                if (!self._tooltip) {
                    self._tooltip = L.tooltip({direction: 'top', offset: [0, -6], className: 'va-point-tooltip'});
                }
                self._tooltip.setLatLng(self.latLngOf(i)).setContent(self.labelOf(i));
                if (!self._map.hasLayer(self._tooltip)) { self._tooltip.addTo(self._map); }
                self.hovered = i;
            });
        },

        _hideTooltip: function () {
            this.hovered = -1;
            if (this._tooltip && this._map && this._map.hasLayer(this._tooltip)) { this._map.removeLayer(this._tooltip); }
        },

        _onClick: function (ev) {
            var i = this.pointAt(ev.containerPoint);
            if (i < 0) { return; }
            var feature = this.featureOf(i), text = this.labelOf(i);
            var proxy = {  // what streamlit-folium reads from a clicked layer: its GeoJSON and its tooltip text
                feature: feature,
                toGeoJSON: function () { return feature; },
                getTooltip: function () { return {getContent: function () { return text; }}; },
                _tooltip: {_content: text}
            };
            this.clicked = i;
            this.fire('click', {latlng: this.latLngOf(i), layer: proxy, sourceTarget: proxy, index: i,
                originalEvent: ev.originalEvent}, true);
        }
    });

    L.ValleyPoints = ValleyPoints;
    L.valleyPoints = function (data, options) { return new ValleyPoints(data, options); };
    L.valleyPoints.registry = {};
    L.valleyPoints.setClasses = function (key, base64) {  // recolour a layer already on the map (a year change)
        var layer = L.valleyPoints.registry[key];
        if (layer) { layer.setClasses(base64); }
        return layer;
    };
})(window.L);
