"""The workspace: the user's villages and zones per region and a change log, behind one interface with two back ends.

`Workspace(location)` opens the back end the location names: a GeoPackage file (the embedded default, below) or a
PostgreSQL + PostGIS database for `postgresql://…` (geo/workspace_postgis.py), with the same guarantees. Every write
takes an `actor` (geo.access.Actor): it is refused with AccessDenied unless the actor may edit that region, recorded
in the change log by name and in the audit log (geo.access.store) with its result. `actor=None` is the local
operating-system user of a process that can write the storage directly (a script, a test), unless the workspace was
opened with `require_actor=True`, as the app does.

The GeoPackage back end: one file (opens in QGIS).

Guarantees:
- atomic saves: a save writes a complete new file next to the old one and renames it over it (os.replace), so
  a crash or kill mid-save leaves the previous state intact;
- concurrency: saves hold an exclusive lock (fcntl) and re-read the file before applying their change, so two
  sessions saving at once never lose each other's objects — last writer wins per object (village or zone id);
- undo: every save records what it replaced; undo_last restores it (itself an atomic save);
- a revision: every write (save or undo) bumps a counter stored in the file, so whatever was derived from an
  earlier state can tell that it is stale (revision(); geo.region_data.data_version builds on it);
- the bundled seed data is never written: the workspace lives outside the package (default ~/.local/share);
- DEMs: a user's elevation GeoTIFF for a region is stored as a file in a folder beside the GeoPackage
  (`workspace.dems/`, named by region and content hash, never overwritten) and referenced from the `dems` table
  inside it; saving or undoing one is a write like any other (a revision, a change-log entry), so everything
  derived from the region's terrain refreshes. The file stays a plain GeoTIFF in its own CRS (opens in QGIS).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.access.rights import Actor
from geo.access.store import AccessStore, access_location, is_database_url
from geo.errors import AccessDenied, WorkspaceError
from geo.i18n import t

LAYERS = ("villages", "zones")
ID_COLUMN = {"villages": "village_id", "zones": "zone_id"}
HISTORY_TABLE = "change_log"
HISTORY_KEYS = ("version", "time", "region", "layer", "source", "summary", "actor", "undo")
META_TABLE = "workspace_meta"  # key/value: "revision" counts every write, undos included
DEM_TABLE = "dems"  # region -> DEM file in the folder beside the GeoPackage (see dem_folder)
DEM_LAYER = "dem"  # the change log's layer name for a DEM save
INDICATOR_LAYER = "indicators"  # the change log's layer name for a save of indicator values only
DEFINITION_COLUMNS = ["region", "indicator", "name_zh", "name_en", "unit_zh", "unit_en", "kind", "aggregation",
                      "weight", "header"]  # geo.indicators.DEFINITION_TABLE


def default_workspace_location() -> Path | str:
    """Return $VALLEY_ATLAS_WORKSPACE (a path or a postgresql:// URL), or the default GeoPackage path."""
    env = os.environ.get("VALLEY_ATLAS_WORKSPACE")
    if env and is_database_url(env):
        return env
    return default_workspace_path()


def default_workspace_path() -> Path:
    """Return $VALLEY_ATLAS_WORKSPACE, or ~/.local/share/valley-atlas/workspace.gpkg (never inside the package)."""
    env = os.environ.get("VALLEY_ATLAS_WORKSPACE")
    if env and is_database_url(env):
        raise WorkspaceError("VALLEY_ATLAS_WORKSPACE is a database URL, not a file: open it with Workspace()")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "valley-atlas" / "workspace.gpkg"



class Workspace:
    """The interface both back ends implement: read, history, revision, save, save_import, undo_last.

    `Workspace(location)` returns the back end for the location (`Workspace()`: $VALLEY_ATLAS_WORKSPACE or the default
    GeoPackage); `require_actor=True` refuses writes that name no actor (the app's sessions always name one).
    """

    location: str  # where it lives, for people and the data version: a path, or a URL without its password
    require_actor: bool = False

    def __new__(cls, location=None, *args, **kwargs):
        if cls is Workspace:
            where = default_workspace_location() if location is None else location
            if is_database_url(str(where)):
                from geo.workspace_postgis import PostgisWorkspace

                cls = PostgisWorkspace
            else:
                cls = GeoPackageWorkspace
        return super().__new__(cls)

    # ------------------------------------------------------------------ the interface
    def read(self, layer: str, region: str | None = None) -> gpd.GeoDataFrame | None:
        """Return a layer (optionally one region's rows) as saved, or None when the workspace has none."""
        raise NotImplementedError

    def history(self) -> list[dict]:
        """Return the change log, newest last: version, time, region, layer, source, summary, actor."""
        raise NotImplementedError

    def revision(self) -> str:
        """Return a token that changes with every write, by this process or any other ("0" before the first)."""
        raise NotImplementedError

    def save(self, layer: str, region: str, frame: gpd.GeoDataFrame, *, source: str, replace_region: bool = False,
             delete_ids: list[str] | None = None, actor: Actor | None = None, action: str | None = None) -> int:
        """Save objects of one region to a layer (upsert by id; or replace the region's rows); return the version."""
        raise NotImplementedError

    def undo_last(self, *, actor: Actor | None = None, region: str | None = None) -> dict | None:
        """Undo the newest save (of a region, when given); return the entry undone, or None when there is none."""
        raise NotImplementedError

    def read_indicators(self, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return a region's stored long indicator table (geo.indicators.LONG_COLUMNS) and its custom indicator
        definitions (DEFINITION_COLUMNS); both empty when nothing is stored."""
        raise NotImplementedError

    def save_indicators(self, region: str, long_table: pd.DataFrame, definitions: pd.DataFrame | None = None, *,
                        source: str, actor: Actor | None = None, replace: bool = False,
                        action: str | None = None) -> int:
        """Save a region's indicator values (long rows) and custom definitions; return the version.

        A row replaces the stored row of the same village, indicator, year and month; other stored rows stay
        (replace=True drops the region's stored rows first). Authorised, audited, in the change log (layer
        "indicators"); undo restores the region's previous rows.
        """
        return self.save(INDICATOR_LAYER, region, None, source=source, actor=actor, action=action,
                         indicators=(long_table, definitions), replace_indicators=replace)

    def save_import(self, report, layer: str, region: str, *, actor: Actor | None = None) -> int:
        """Save what an import report validated (its villages or zones, replacing the region's layer) — and, for
        villages, the indicator values the file holds (report.indicators) in the same write, so one undo takes
        both back; refuse a report with errors, so that a failed import never touches the workspace. Return the
        version."""
        frame = getattr(report, layer, None)
        if report.errors or frame is None:
            raise WorkspaceError(f"{report.file} has {len(report.errors)} errors: nothing was saved")
        indicators = getattr(report, "indicators", None) if layer == "villages" else None
        extra = {}
        if indicators is not None and len(indicators):
            extra["indicators"] = (indicators, getattr(report, "indicator_definitions", None))
        return self.save(layer, region, frame, source=report.file, replace_region=True, actor=actor,
                         action="import", **extra)

    # ------------------------------------------------------------------ access and audit, shared by the back ends
    def access(self) -> AccessStore:
        """Return the accounts and audit log of this workspace (geo.access.store.access_location says where)."""
        if getattr(self, "_access", None) is None:
            self._access = AccessStore(access_location(self._access_base()))
        return self._access

    def _access_base(self):
        raise NotImplementedError

    def _check_save(self, layer: str, region: str, frame, *, source: str, delete_ids, indicators, action,
                    actor) -> tuple:
        """Check what a save gets (WGS84, its id column) and who saves it; return (frame, incoming indicator rows,
        action, audit object, actor) — or raise WorkspaceError / AccessDenied before anything is written."""
        if layer == INDICATOR_LAYER:
            frame = None
        else:
            id_column = ID_COLUMN[layer]
            if frame.crs is None or frame.crs.to_epsg() != 4326:
                raise WorkspaceError(f"{layer} must be WGS84 (EPSG:4326) to be saved, got {frame.crs}")
            if id_column not in frame.columns:
                raise WorkspaceError(f"{layer} has no {id_column} column")
        incoming_rows = incoming_indicators(region, indicators) if indicators is not None else None
        action = save_action(action, frame, delete_ids)
        obj = (audit_object(layer, source, [*frame[ID_COLUMN[layer]], *(delete_ids or [])]) if frame is not None
               else f"{INDICATOR_LAYER} <- {source} [{len(incoming_rows[0]) if incoming_rows else 0} values]")
        return frame, incoming_rows, action, obj, self._authorize(actor, region, action, obj)

    def _authorize(self, actor: Actor | None, region: str, action: str, obj: str) -> Actor:
        """Return who acts; record and raise AccessDenied unless they may change this region (the server's check)."""
        if actor is None:
            if self.require_actor:
                self.access().record("(none)", action, region=region, obj=obj, result="refused: no actor")
                raise AccessDenied(f"{action} of region {region} names no user: sign in first", action=action,
                                   region=region)
            actor = Actor.local()
        try:
            actor.require_edit(region, action)
        except AccessDenied:
            self.access().record(actor.name, action, region=region, obj=obj, result="refused: no right")
            raise
        return actor

    @contextmanager
    def _audited(self, who: Actor, action: str, region: str, obj: str):
        """Record the write's result: failed (and re-raise) or ok, unless the back end recorded ok itself (done)."""
        done = {"recorded": False, "detail": ""}
        try:
            yield done
        except Exception as exc:
            self.access().record(who.name, action, region=region, obj=obj, result=f"failed: {type(exc).__name__}")
            raise
        if not done["recorded"]:
            self.access().record(who.name, action, region=region, obj=obj, detail=done["detail"])

    def _before_commit(self) -> None:
        """Run after a write is complete and before it becomes visible (tests stop a process here to kill it)."""


def audit_object(layer: str, source: str, ids) -> str:
    """Return what a write touched, for the audit log: the layer, the source and up to 20 ids."""
    ids = [str(i) for i in ids]
    shown = ",".join(ids[:20]) + (f",… ({len(ids)})" if len(ids) > 20 else "")
    return f"{layer} <- {source}" + (f" [{shown}]" if shown else "")


def save_action(action: str | None, frame, delete_ids) -> str:
    """Return what the audit log calls a save: as given, or delete when it only deletes, else save."""
    if action:
        return action
    return "delete" if delete_ids and frame is not None and not len(frame) else "save"


def empty_definitions() -> pd.DataFrame:
    """Return custom indicator definitions with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in DEFINITION_COLUMNS})


def incoming_indicators(region: str, indicators) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (long rows, definitions) of a save, checked and with every row's region set to the region saved."""
    from geo.indicators import registry_with_definitions, validate_long, with_region

    long_table, definitions = indicators
    definitions = empty_definitions() if definitions is None or not len(definitions) else \
        definitions.reindex(columns=DEFINITION_COLUMNS).assign(region=region)
    registry = registry_with_definitions(definitions)
    long_table = validate_long(with_region(long_table, region), registry=registry, name="indicators")
    return long_table, definitions.reset_index(drop=True)


def merged_indicators(before: tuple[pd.DataFrame, pd.DataFrame], incoming: tuple[pd.DataFrame, pd.DataFrame],
                      *, replace: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a region's indicator rows after a save: incoming rows win per (village, indicator, year, month);
    definitions win per indicator; replace drops the stored rows first."""
    from geo.indicators import sort_long

    (old_rows, old_defs), (new_rows, new_defs) = before, incoming
    if replace:
        old_rows, old_defs = old_rows.iloc[0:0], old_defs.iloc[0:0]
    rows = pd.concat([new_rows, old_rows], ignore_index=True)
    rows = rows[~rows.assign(_m=rows["month"].fillna(0)).duplicated(["village_id", "indicator", "year", "_m"])]
    defs = pd.concat([new_defs, old_defs], ignore_index=True).drop_duplicates("indicator")
    return sort_long(rows), defs.reset_index(drop=True)


def indicator_undo(rows: pd.DataFrame, definitions: pd.DataFrame) -> dict:
    """Return a region's indicator rows and definitions as JSON-able data for the change log's undo."""
    from geo.indicators import storage_rows

    return {"rows": storage_rows(rows),
            "definitions": [[None if pd.isna(v) else v for v in row]
                            for row in definitions.reindex(columns=DEFINITION_COLUMNS).itertuples(index=False)]}


def indicators_from_undo(undo: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (long rows, definitions) from indicator_undo's data."""
    from geo.indicators import LONG_COLUMNS, _typed, empty_long

    rows = _typed(pd.DataFrame(undo["rows"], columns=LONG_COLUMNS)) if undo["rows"] else empty_long()
    definitions = pd.DataFrame(undo["definitions"], columns=DEFINITION_COLUMNS) if undo["definitions"] \
        else empty_definitions()
    return rows, definitions

class GeoPackageWorkspace(Workspace):
    """A GeoPackage of the user's own layers, keyed by region."""

    def __init__(self, path: Path | str | None = None, *, require_actor: bool = False):
        self.path = Path(path) if path else default_workspace_path()
        self.location = str(self.path)
        self.require_actor = require_actor
        package = Path(__file__).resolve().parent.parent
        if package in self.path.resolve().parents:
            raise WorkspaceError(f"{self.path} is inside the application folder; keep the workspace elsewhere")

    def _access_base(self):
        return self.path

    # ------------------------------------------------------------------ reading
    def read(self, layer: str, region: str | None = None) -> gpd.GeoDataFrame | None:
        """Return a layer (optionally one region's rows) as saved, or None when the workspace has none."""
        if layer not in LAYERS:
            raise ValueError(f"layer {layer!r} is not one of {', '.join(LAYERS)}")
        if layer not in self._layers():
            return None
        frame = pyogrio.read_dataframe(self.path, layer=layer)
        if region is not None:
            frame = frame[frame["region"] == region].reset_index(drop=True)
        return frame

    def dem_folder(self) -> Path:
        """Return the folder beside the GeoPackage that holds the user's DEM files (workspace.dems/)."""
        return self.path.with_suffix(".dems")

    def dem_path(self, region: str) -> Path | None:
        """Return the user's DEM GeoTIFF for a region, or None when the region uses the bundled/national DEM."""
        entry = self._read_dems().get(region)
        if entry is None:
            return None
        path = self.dem_folder() / entry["file"]
        return path if path.exists() else None

    def dems(self) -> dict[str, dict]:
        """Return {region: {file, crs, sha256, source, time}} of the DEMs stored in the workspace."""
        return self._read_dems()

    def history(self) -> list[dict]:
        """Return the change log, newest last: version, time, region, layer, source and the counts of the change
        (saved, replaced, deleted; summary_text(entry, lang) words them)."""
        return [_public(entry) for entry in self._read_history()]

    def read_indicators(self, region: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return a region's stored long indicator table and its custom indicator definitions (empty when none)."""
        from geo.indicators import registry_with_definitions, validate_long

        rows, definitions = self._read_indicator_tables()
        rows = rows[rows["region"] == region]
        definitions = definitions[definitions["region"] == region].reset_index(drop=True)
        registry = registry_with_definitions(definitions)
        return validate_long(rows, registry=registry, name=f"{self.path.name} indicators"), definitions

    def revision(self) -> str:
        """Return a token that changes with every write to the file, by this process or any other.

        It joins the counter our writes store in the file with the file's identity and modification time, so an
        edit made outside the app (QGIS, another program) is seen too. "0" when there is no file yet.
        """
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return "0"
        try:
            counter = self._stored_revision()
        except sqlite3.DatabaseError:
            counter = 0  # a file being replaced or not ours: its stat still identifies this state
        return f"{counter}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"

    def _stored_revision(self) -> int:
        if not self.path.exists():
            return 0
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            if not con.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (META_TABLE,)).fetchone()[0]:
                return 0
            row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'revision'").fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ writing
    def save(self, layer: str, region: str, frame: gpd.GeoDataFrame | None, *, source: str,
             replace_region: bool = False, delete_ids: list[str] | None = None, actor: Actor | None = None,
             action: str | None = None, indicators=None, replace_indicators: bool = False) -> int:
        """Save objects of one region to a layer (upsert by id; or replace the region's rows); return the version.

        frame must be WGS84 with the layer's id column. delete_ids removes those objects. the actor must be allowed to edit the
        region (AccessDenied otherwise); action names the write in the audit log (import, save, delete).
        indicators: (long rows, custom definitions) of the region saved in the same write (merged per key; see
        Workspace.save_indicators); layer "indicators" with frame None saves only them.
        """
        frame, incoming_rows, action, obj, who = self._check_save(layer, region, frame, source=source,
                                                                  delete_ids=delete_ids, indicators=indicators,
                                                                  action=action, actor=actor)
        id_column = ID_COLUMN.get(layer)
        with self._audited(who, action, region, obj) as audit, self._locked():
            current = {name: self._read_all(name) for name in LAYERS}
            all_rows, all_defs = self._read_indicator_tables()
            undo: dict = {"ids": [], "replaced": None}
            counts = {"saved": 0, "replaced": 0, "deleted": 0}
            if frame is not None:
                incoming = frame.copy()
                incoming["region"] = region
                before = current[layer]
                if before is None:
                    before = incoming.iloc[0:0]
                in_region = before["region"] == region
                if replace_region:
                    replaced = before[in_region]
                    kept = before[~in_region]
                else:
                    touched = set(incoming[id_column]) | set(delete_ids or [])
                    hit = in_region & before[id_column].isin(touched)
                    replaced = before[hit]
                    kept = before[~hit]
                current[layer] = gpd.GeoDataFrame(pd.concat([kept, incoming], ignore_index=True), geometry="geometry",
                                                  crs=4326)
                counts = {"saved": len(incoming), "replaced": len(replaced), "deleted": len(delete_ids or [])}
                undo = {"ids": list(map(str, incoming[id_column])),
                        "replaced": json.loads(replaced.to_json(drop_id=True)) if len(replaced) else None}
            if incoming_rows is not None:
                here, def_here = all_rows["region"] == region, all_defs["region"] == region
                before_rows = (all_rows[here], all_defs[def_here])
                rows, defs = merged_indicators(before_rows, incoming_rows, replace=replace_indicators)
                undo["indicators"] = indicator_undo(*before_rows)
                all_rows = pd.concat([all_rows[~here], rows], ignore_index=True)
                all_defs = pd.concat([all_defs[~def_here], defs], ignore_index=True)
                counts["values"] = len(incoming_rows[0])
                if frame is None:
                    counts["saved"] = len(incoming_rows[0])
            history = self._read_history()
            version = (max((h["version"] for h in history), default=0)) + 1
            history.append({
                "version": version, "time": time.strftime("%Y-%m-%d %H:%M:%S"), "region": region, "layer": layer,
                "source": source,
                "summary": json.dumps(counts),  # counts: worded in the reader's language
                "actor": who.name,
                "undo": json.dumps(undo),
            })
            self._write_atomically(current, history, indicators=(all_rows, all_defs))
            audit["detail"] = f"version {version}: {history[-1]['summary']}"
            return version

    def save_dem(self, region: str, tif: Path | str, *, source: str, crs: str = "",
                 actor: Actor | None = None) -> int:
        """Store a DEM GeoTIFF as a region's elevation (copied beside the GeoPackage); return the version.

        The file is copied under a content-addressed name, so an undo can point back at the previous one.
        """
        import hashlib
        import shutil

        tif = Path(tif)
        digest = hashlib.sha256(tif.read_bytes()).hexdigest()
        name = f"{region}-{digest[:16]}.tif"
        obj = f"dem {name} <- {source}"
        who = self._authorize(actor, region, "save", obj)
        with self._audited(who, "save", region, obj), self._locked():
            folder = self.dem_folder()
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            if not target.exists():
                part = folder / (name + ".part")
                shutil.copyfile(tif, part)
                os.replace(part, target)
            dems = self._read_dems()
            previous = dems.get(region)
            dems[region] = {"file": name, "crs": crs, "sha256": digest, "source": source,
                            "time": time.strftime("%Y-%m-%d %H:%M:%S")}
            history = self._read_history()
            version = (max((h["version"] for h in history), default=0)) + 1
            history.append({"version": version, "time": dems[region]["time"], "region": region, "layer": DEM_LAYER,
                            "source": source, "summary": json.dumps({"saved": 1, "replaced": int(previous is not None)}),
                            "actor": who.name,
                            "undo": json.dumps({"dem": previous})})
            current = {layer: self._read_all(layer) for layer in LAYERS}
            self._write_atomically(current, history, dems=dems)
            return version

    def undo_last(self, *, actor: Actor | None = None, region: str | None = None) -> dict | None:
        """Undo the newest save (of a region, when given): remove what it saved and restore what it replaced; return
        the entry undone. the actor must be allowed to edit the entry's region (AccessDenied otherwise)."""
        if region is not None:  # refused before looking, whether or not there is anything to undo
            actor = self._authorize(actor, region, "undo", f"newest change of {region}")
        with self._locked():
            history = self._read_history()
            candidates = [i for i, h in enumerate(history) if region is None or h["region"] == region]
            if not candidates:
                return None
            entry = history[candidates[-1]]
            obj = f"{entry['layer']} version {entry['version']} <- {entry['source']}"
            who = actor if region is not None else self._authorize(actor, entry["region"], "undo", obj)
            with self._audited(who, "undo", entry["region"], obj):
                return self._undo(history, candidates[-1])

    def _undo(self, history: list[dict], position: int) -> dict:
        entry = history.pop(position)
        current = {name: self._read_all(name) for name in LAYERS}
        layer, region = entry["layer"], entry["region"]
        undo = json.loads(entry["undo"])
        if layer == DEM_LAYER:  # the DEM file stays on disk (content-addressed); the reference goes back
            dems = self._read_dems()
            if undo["dem"] is None:
                dems.pop(region, None)
            else:
                dems[region] = undo["dem"]
            self._write_atomically(current, history, dems=dems)
            return _public(entry)
        indicators = None
        if "indicators" in undo:  # the region's indicator rows as they were before the save
            all_rows, all_defs = self._read_indicator_tables()
            rows, defs = indicators_from_undo(undo["indicators"])
            indicators = (pd.concat([all_rows[all_rows["region"] != region], rows], ignore_index=True),
                          pd.concat([all_defs[all_defs["region"] != region], defs], ignore_index=True))
        if layer in LAYERS:
            frame = current[layer]
            id_column = ID_COLUMN[layer]
            if frame is not None:
                frame = frame[~((frame["region"] == region) & frame[id_column].astype(str).isin(undo["ids"]))]
            if undo["replaced"]:
                restored = gpd.GeoDataFrame.from_features(undo["replaced"]["features"], crs=4326)
                frame = restored if frame is None else gpd.GeoDataFrame(
                    pd.concat([frame, restored], ignore_index=True), geometry="geometry", crs=4326)
            current[layer] = frame
        self._write_atomically(current, history, indicators=indicators)
        return _public(entry)

    # ------------------------------------------------------------------ internals
    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_suffix(self.path.suffix + ".lock")
        with open(lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_all(self, layer: str) -> gpd.GeoDataFrame | None:
        try:
            return self.read(layer)
        except Exception as exc:  # a workspace that cannot be read is reported, never overwritten
            raise WorkspaceError(f"cannot read {layer} from {self.path}: {exc}") from exc

    def _layers(self) -> set[str]:
        """Return the feature layers in the file (none when every layer was emptied: the file then holds only the
        change log, which is not a GeoPackage that GDAL will open)."""
        if not self.path.exists():
            return set()
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            if not con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents'").fetchone()[0]:
                return set()
            return {name for (name,) in con.execute("SELECT table_name FROM gpkg_contents")}

    def _read_history(self) -> list[dict]:
        if not self.path.exists():
            return []
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            exists = con.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (HISTORY_TABLE,)).fetchone()[0]
            if not exists:
                return []
            columns = {c[1] for c in con.execute(f"PRAGMA table_info({HISTORY_TABLE})")}
            actor = "actor" if "actor" in columns else "'' AS actor"  # files written before accounts existed
            rows = con.execute(f"SELECT version, time, region, layer, source, summary, {actor}, undo "
                               f"FROM {HISTORY_TABLE} ORDER BY version").fetchall()
        return [dict(zip(HISTORY_KEYS, r)) for r in rows]

    def _read_dems(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            if not con.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (DEM_TABLE,)).fetchone()[0]:
                return {}
            rows = con.execute(f"SELECT region, file, crs, sha256, source, time FROM {DEM_TABLE}").fetchall()
        return {r[0]: dict(zip(("file", "crs", "sha256", "source", "time"), r[1:])) for r in rows}

    def _read_indicator_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return every region's stored indicator rows and definitions, as stored (empty when the file has none)."""
        from geo.indicators import DEFINITION_TABLE, INDICATOR_TABLE, LONG_COLUMNS, _typed, empty_long

        rows, definitions = empty_long(), empty_definitions()
        if not self.path.exists():
            return rows, definitions
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
            names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if INDICATOR_TABLE in names:
                rows = _typed(pd.read_sql_query(f"SELECT {', '.join(LONG_COLUMNS)} FROM {INDICATOR_TABLE}", con))
            if DEFINITION_TABLE in names:
                definitions = pd.read_sql_query(f"SELECT {', '.join(DEFINITION_COLUMNS)} FROM {DEFINITION_TABLE}", con)
        return rows, definitions

    def _write_atomically(self, layers: dict, history: list[dict], *, dems: dict | None = None,
                          indicators: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> None:
        from geo.indicators import write_indicator_tables

        revision = self._stored_revision() + 1  # under the lock: no other writer between this read and the rename
        dems = self._read_dems() if dems is None else dems  # carried over by every write
        indicators = self._read_indicator_tables() if indicators is None else indicators  # likewise
        fd, tmp = tempfile.mkstemp(prefix=".workspace-", suffix=".gpkg", dir=self.path.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            for name, frame in layers.items():
                if frame is not None and len(frame):
                    out = frame.copy()
                    for column in out.columns:
                        if column != "geometry" and out[column].map(lambda v: isinstance(v, (list, dict))).any():
                            out[column] = out[column].map(json.dumps)
                    out["geometry"] = shapely.make_valid(out.geometry.values)
                    pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG")
            with sqlite3.connect(tmp) as con:
                con.execute(f"CREATE TABLE {HISTORY_TABLE} (version INTEGER PRIMARY KEY, time TEXT, region TEXT, "
                            "layer TEXT, source TEXT, summary TEXT, actor TEXT, undo TEXT)")
                con.executemany(f"INSERT INTO {HISTORY_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                [tuple(h.get(k, "") for k in HISTORY_KEYS) for h in history])
                con.execute(f"CREATE TABLE {DEM_TABLE} (region TEXT PRIMARY KEY, file TEXT, crs TEXT, sha256 TEXT, "
                            "source TEXT, time TEXT)")
                con.executemany(f"INSERT INTO {DEM_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
                                [(region, d["file"], d["crs"], d["sha256"], d["source"], d["time"])
                                 for region, d in dems.items()])
                write_indicator_tables(con, *indicators)
                con.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
                con.execute(f"INSERT INTO {META_TABLE} VALUES ('revision', ?)", (str(revision),))
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            self._before_commit()
            os.replace(tmp, self.path)  # the one step that changes what readers see
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


_OLD_SUMMARY = re.compile(r"(\d+) saved, (\d+) replaced(?:, (\d+) deleted)?")  # written before the counts were


def change_counts(summary: str) -> dict[str, int]:
    """Return the counts (saved, replaced, deleted) of a change-log entry's stored summary."""
    try:
        counts = json.loads(summary)
    except (TypeError, ValueError):
        match = _OLD_SUMMARY.fullmatch(summary or "")
        counts = dict(zip(("saved", "replaced", "deleted"), (int(g or 0) for g in match.groups()))) if match else {}
    return {k: int(counts.get(k, 0)) for k in ("saved", "replaced", "deleted")}


def _public(entry: dict) -> dict:
    out = {k: v for k, v in entry.items() if k not in ("undo", "summary")}
    return {**out, **change_counts(entry["summary"])}


def summary_text(entry: dict, lang: str = "zh") -> str:
    """Word a change-log entry's counts in a language: "保存 10 个，替换 0 个" / "10 saved, 0 replaced"."""
    text = t("history_summary", lang, saved=entry["saved"], replaced=entry["replaced"])
    if entry.get("deleted"):
        text += t("history_summary_deleted", lang, deleted=entry["deleted"])
    return text
