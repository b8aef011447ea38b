"""The PostgreSQL + PostGIS back end of the workspace, for several app servers sharing one province's data.

Same guarantees as the GeoPackage file (geo/workspace.py), from the database:
- atomic saves: a save is one transaction (delete what it replaces, COPY the new rows, log, bump the revision, audit);
  a client killed midway leaves nothing, since PostgreSQL rolls back an unfinished transaction;
- concurrency: writers take one advisory transaction lock and apply their change to the rows as they are then, so
  two servers saving at once never lose each other's objects — last writer wins per object (region + id);
- undo: the change log holds what each save replaced, as the GeoPackage's does; undo is itself a transaction;
- a revision counter row bumped in the same transaction as every write (revision()).
Tables: va_villages and va_zones (one row per object: region, id, attributes as JSON (key order kept), PostGIS geometry in EPSG:4326,
and an insertion sequence so rows read back in the order they were saved), va_change_log, va_meta, and the indicator
tables of geo.indicators.STORAGE_DDL (village_indicators, indicator_definitions), written in the same transaction.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import shapely

from geo.access.rights import Actor
from geo.access.store import is_database_url
from geo.errors import AccessDenied, WorkspaceError
from geo.indicators import DEFINITION_TABLE, INDICATOR_TABLE, LONG_COLUMNS, STORAGE_DDL, _typed, storage_rows
from geo.workspace import (
    DEFINITION_COLUMNS,
    HISTORY_KEYS,
    ID_COLUMN,
    LAYERS,
    Workspace,
    _public,
    default_workspace_location,
    empty_definitions,
    indicator_undo,
    indicators_from_undo,
    merged_indicators,
)

TABLES = {"villages": "va_villages", "zones": "va_zones"}
WRITE_LOCK = 0x5641_5753  # advisory lock id every writer takes ("VAWS")
_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE IF NOT EXISTS va_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO va_meta VALUES ('revision', '0') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS va_change_log (version INTEGER PRIMARY KEY, time TEXT NOT NULL, region TEXT NOT NULL,
    layer TEXT NOT NULL, source TEXT NOT NULL, summary TEXT NOT NULL, actor TEXT NOT NULL, undo TEXT NOT NULL);
""" + "".join(f"""
CREATE TABLE IF NOT EXISTS {table} (seq BIGSERIAL PRIMARY KEY, region TEXT NOT NULL, object_id TEXT NOT NULL,
    properties JSON NOT NULL, geom geometry(Geometry, 4326));
CREATE INDEX IF NOT EXISTS {table}_key ON {table} (region, object_id);
CREATE INDEX IF NOT EXISTS {table}_geom ON {table} USING GIST (geom);
""" for table in TABLES.values()) + "".join(f"{statement};\n" for statement in STORAGE_DDL)
_READY: set[str] = set()  # database URLs whose tables exist (one per workspace the process opens: bounded)
_READY_LOCK = threading.Lock()


def redacted(url: str) -> str:
    """Return a database URL without its password (for people, logs and the data version)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    user = f"{info['user']}@" if info.get("user") else ""
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{info.get('host', '')}{port}/{info.get('dbname', '')}"


class PostgisWorkspace(Workspace):
    """The user's layers, change log and revision in a PostgreSQL + PostGIS database."""

    def __init__(self, url: str | None = None, *, require_actor: bool = False):
        self.url = str(url or default_workspace_location())
        if not is_database_url(self.url):
            raise WorkspaceError(f"{self.url!r} is not a postgresql:// URL")
        self.location = redacted(self.url)
        self.require_actor = require_actor

    def _access_base(self):
        return self.url

    # ------------------------------------------------------------------ connections
    @contextmanager
    def _connect(self):
        try:
            con = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise WorkspaceError(f"cannot connect to the workspace database {self.location}: {exc}") from exc
        with con:
            yield con

    def _exists(self, con) -> bool:
        if self.url in _READY:
            return True
        return con.execute("SELECT to_regclass('va_change_log') IS NOT NULL").fetchone()[0]

    def _ensure(self, cur) -> None:
        """Create the tables once (under the write lock, so two servers starting together do not race)."""
        if self.url in _READY:
            return
        try:
            cur.execute(_SCHEMA)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise WorkspaceError(f"{self.location}: cannot create the workspace tables or the postgis extension "
                                 f"({exc}); ask the database owner to run CREATE EXTENSION postgis") from exc
        with _READY_LOCK:
            _READY.add(self.url)

    def _audit_here(self) -> bool:
        """Return whether the audit log lives in this database (then a write and its record commit together)."""
        return self.access().postgres and self.access().location == self.url

    # ------------------------------------------------------------------ reading
    def read(self, layer: str, region: str | None = None) -> gpd.GeoDataFrame | None:
        """Return a layer (optionally one region's rows) as saved, or None when the workspace has none."""
        if layer not in LAYERS:
            raise ValueError(f"layer {layer!r} is not one of {', '.join(LAYERS)}")
        table = TABLES[layer]
        with self._connect() as con:
            if not self._exists(con) or not con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                return None
            sql = f"SELECT region, properties::text, ST_AsBinary(geom) FROM {table}"
            rows = (con.execute(sql + " ORDER BY seq") if region is None else
                    con.execute(sql + " WHERE region = %s ORDER BY seq", (region,))).fetchall()
        if not rows:
            return gpd.GeoDataFrame({ID_COLUMN[layer]: [], "region": []}, geometry=[], crs=4326)
        frame = pd.DataFrame(json.loads("[" + ",".join(r[1] for r in rows) + "]"))
        frame["region"] = [r[0] for r in rows]
        geometry = shapely.from_wkb([None if r[2] is None else bytes(r[2]) for r in rows])
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)

    def history(self) -> list[dict]:
        """Return the change log, newest last: version, time, region, layer, source, actor and the counts of the
        change (saved, replaced, deleted; geo.workspace.summary_text words them)."""
        return [_public(entry) for entry in self._read_history()]

    def read_indicators(self, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return a region's stored long indicator table and its custom indicator definitions (empty when none)."""
        from geo.indicators import empty_long, registry_with_definitions, validate_long

        with self._connect() as con:
            if not con.execute(f"SELECT to_regclass('{INDICATOR_TABLE}') IS NOT NULL").fetchone()[0]:
                return empty_long(), empty_definitions()
            rows, definitions = self._region_indicators(con, region)
        return validate_long(rows, registry=registry_with_definitions(definitions), name="indicators"), definitions

    @staticmethod
    def _region_indicators(cur, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        from geo.indicators import empty_long

        found = cur.execute(f"SELECT {', '.join(LONG_COLUMNS)} FROM {INDICATOR_TABLE} WHERE region = %s",
                            (region,)).fetchall()
        rows = _typed(pd.DataFrame(found, columns=LONG_COLUMNS)) if found else empty_long()
        found = cur.execute(f"SELECT {', '.join(DEFINITION_COLUMNS)} FROM {DEFINITION_TABLE} WHERE region = %s "
                            "ORDER BY indicator", (region,)).fetchall()
        definitions = pd.DataFrame(found, columns=DEFINITION_COLUMNS) if found else empty_definitions()
        return rows, definitions

    @staticmethod
    def _replace_indicators(cur, region: str, rows: pd.DataFrame, definitions: pd.DataFrame) -> None:
        """Replace a region's indicator rows and definitions (inside the caller's transaction)."""
        cur.execute(f"DELETE FROM {INDICATOR_TABLE} WHERE region = %s", (region,))
        cur.execute(f"DELETE FROM {DEFINITION_TABLE} WHERE region = %s", (region,))
        with cur.copy(f"COPY {INDICATOR_TABLE} ({', '.join(LONG_COLUMNS)}) FROM STDIN") as copy:
            for row in storage_rows(rows.assign(region=region)):
                copy.write_row(row)
        if len(definitions):
            cur.executemany(f"INSERT INTO {DEFINITION_TABLE} ({', '.join(DEFINITION_COLUMNS)}) VALUES "
                            f"({', '.join('%s' for _ in DEFINITION_COLUMNS)})",
                            [tuple(None if pd.isna(v) else v for v in row) for row in
                             definitions.assign(region=region)[DEFINITION_COLUMNS].itertuples(index=False)])

    def dem_path(self, region: str) -> Path | None:
        """Return None: a shared database keeps no DEM files (regions use the bundled or national DEM)."""
        return None

    def dems(self) -> dict[str, dict]:
        """Return {}: see dem_path."""
        return {}

    def save_dem(self, region: str, tif, *, source: str, crs: str = "", actor: Actor | None = None) -> int:
        """Refuse: a user's DEM is stored beside a GeoPackage workspace, not in a shared database (yet)."""
        raise WorkspaceError("a DEM cannot be stored in a PostgreSQL workspace yet: install the national DEM on "
                             "every app server (make dem), or use a GeoPackage workspace for your own DEM")

    def _read_history(self, cur=None, *, region: str | None = None, newest: bool = False) -> list[dict]:
        sql = (f"SELECT {', '.join(HISTORY_KEYS)} FROM va_change_log" + (" WHERE region = %s" if region else "")
               + (" ORDER BY version DESC LIMIT 1" if newest else " ORDER BY version"))
        params = (region,) if region else ()
        if cur is not None:
            rows = cur.execute(sql, params).fetchall()
        else:
            with self._connect() as con:
                if not self._exists(con):
                    return []
                rows = con.execute(sql, params).fetchall()
        return [dict(zip(HISTORY_KEYS, r)) for r in rows]

    def revision(self) -> str:
        """Return the revision counter (bumped in the transaction of every write), "0" before the first write."""
        with self._connect() as con:
            if not self._exists(con):
                return "0"
            row = con.execute("SELECT value FROM va_meta WHERE key = 'revision'").fetchone()
        return f"pg:{row[0] if row else 0}"

    # ------------------------------------------------------------------ writing
    def save(self, layer: str, region: str, frame: gpd.GeoDataFrame | None, *, source: str,
             replace_region: bool = False, delete_ids: list[str] | None = None, actor: Actor | None = None,
             action: str | None = None, indicators=None, replace_indicators: bool = False) -> int:
        """Save objects of one region to a layer (upsert by id; or replace the region's rows); return the version.

        frame must be WGS84 with the layer's id column. delete_ids removes those objects. The actor must be allowed
        to edit the region (AccessDenied otherwise); action names the write in the audit log (import, save, delete).
        indicators: (long rows, custom definitions) saved in the same transaction (see Workspace.save_indicators);
        layer "indicators" with frame None saves only them.
        """
        frame, incoming_rows, action, obj, who = self._check_save(layer, region, frame, source=source,
                                                                  delete_ids=delete_ids, indicators=indicators,
                                                                  action=action, actor=actor)
        id_column = ID_COLUMN.get(layer)
        with self._audited(who, action, region, obj) as audit, self._connect() as con, con.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            self._ensure(cur)
            undo: dict = {"ids": [], "replaced": None}
            counts = {"saved": 0, "replaced": 0, "deleted": 0}
            if frame is not None:
                table = TABLES[layer]
                ids = [str(i) for i in frame[id_column]]
                if replace_region:
                    where, params = "region = %s", (region,)
                else:
                    where, params = "region = %s AND object_id = ANY(%s)", (region, sorted(set(ids) | set(
                        map(str, delete_ids or []))))
                replaced = cur.execute(f"SELECT properties::text, ST_AsGeoJSON(geom), region FROM {table} "
                                       f"WHERE {where} ORDER BY seq", params).fetchall()
                cur.execute(f"DELETE FROM {table} WHERE {where}", params)
                self._insert(cur, layer, region, frame)
                counts = {"saved": len(frame), "replaced": len(replaced), "deleted": len(delete_ids or [])}
                undo = {"ids": ids, "replaced": {"type": "FeatureCollection", "features": [
                    {"type": "Feature", "properties": {**json.loads(p), "region": r},
                     "geometry": json.loads(g) if g else None} for p, g, r in replaced]} if replaced else None}
            if incoming_rows is not None:
                before = self._region_indicators(cur, region)
                rows, definitions = merged_indicators(before, incoming_rows, replace=replace_indicators)
                self._replace_indicators(cur, region, rows, definitions)
                undo["indicators"] = indicator_undo(*before)
                counts["values"] = len(incoming_rows[0])
                if frame is None:
                    counts["saved"] = len(incoming_rows[0])
            version = cur.execute("SELECT coalesce(max(version), 0) + 1 FROM va_change_log").fetchone()[0]
            summary = json.dumps(counts)  # counts: worded in the reader's language
            cur.execute("INSERT INTO va_change_log VALUES (%s, to_char(now(), 'YYYY-MM-DD HH24:MI:SS'), %s, %s, %s, "
                        "%s, %s, %s)", (version, region, layer, source, summary, who.name, json.dumps(undo)))
            self._bump(cur)
            if self._audit_here():
                self.access().record(who.name, action, region=region, obj=obj, detail=f"version {version}: {summary}",
                                     cursor=cur)
                audit["recorded"] = True
            else:
                audit["detail"] = f"version {version}: {summary}"
            self._before_commit()
        return version

    def undo_last(self, *, actor: Actor | None = None, region: str | None = None) -> dict | None:
        """Undo the newest save (of a region, when given): remove what it saved and restore what it replaced; return
        the entry undone. The actor must be allowed to edit the entry's region (AccessDenied otherwise)."""
        who, entry, obj = None, None, ""
        if region is not None:  # refused before looking, whether or not there is anything to undo
            actor = self._authorize(actor, region, "undo", f"newest change of {region}")
        try:
            with self._connect() as con, con.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                if not self._exists(con):
                    return None
                found = self._read_history(cur, region=region, newest=True)
                if not found:
                    return None
                entry = found[0]
                obj = f"{entry['layer']} version {entry['version']} <- {entry['source']}"
                who = actor if region is not None else self._authorize(actor, entry["region"], "undo", obj)
                layer = entry["layer"]
                undo = json.loads(entry["undo"])
                if layer in TABLES:
                    table = TABLES[layer]
                    cur.execute(f"DELETE FROM {table} WHERE region = %s AND object_id = ANY(%s)",
                                (entry["region"], undo["ids"]))
                    if undo["replaced"]:
                        restored = gpd.GeoDataFrame.from_features(undo["replaced"]["features"], crs=4326)
                        for restored_region, rows in restored.groupby("region", sort=False):
                            self._insert(cur, layer, restored_region, rows.drop(columns="region"))
                if "indicators" in undo:
                    self._ensure(cur)
                    self._replace_indicators(cur, entry["region"], *indicators_from_undo(undo["indicators"]))
                cur.execute("DELETE FROM va_change_log WHERE version = %s", (entry["version"],))
                self._bump(cur)
                if self._audit_here():
                    self.access().record(who.name, "undo", region=entry["region"], obj=obj, cursor=cur)
                self._before_commit()
        except AccessDenied:
            raise
        except Exception as exc:
            if who is not None:
                self.access().record(who.name, "undo", region=entry["region"], obj=obj,
                                     result=f"failed: {type(exc).__name__}")
            raise
        if not self._audit_here():
            self.access().record(who.name, "undo", region=entry["region"], obj=obj)
        return _public(entry)

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _bump(cur) -> None:
        cur.execute("UPDATE va_meta SET value = (value::bigint + 1)::text WHERE key = 'revision'")

    @staticmethod
    def _insert(cur, layer: str, region: str, frame: gpd.GeoDataFrame) -> None:
        """COPY a region's objects into a layer's table (attributes as JSON, geometry as EWKB, made valid)."""
        if not len(frame):
            return
        attributes = pd.DataFrame(frame.drop(columns=[c for c in ("geometry", "region") if c in frame.columns]))
        for column in attributes.columns:
            if attributes[column].map(lambda v: isinstance(v, (list, dict))).any():
                attributes[column] = attributes[column].map(json.dumps)  # as the GeoPackage stores them
        lines = attributes.to_json(orient="records", lines=True, force_ascii=False, date_format="iso").splitlines()
        geometry = shapely.set_srid(shapely.make_valid(frame.geometry.values), 4326)
        ewkb = shapely.to_wkb(geometry, hex=True, include_srid=True)
        ids = frame[ID_COLUMN[layer]].astype(str).tolist()
        with cur.copy(f"COPY {TABLES[layer]} (region, object_id, properties, geom) FROM STDIN") as copy:
            for object_id, properties, geom in zip(ids, lines, ewkb):
                copy.write_row((region, object_id, properties, geom))
