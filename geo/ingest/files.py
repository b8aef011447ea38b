"""Reading uploaded files safely: size limits, hostile zip archives, and vector files (GeoJSON, KML, GeoPackage,
zipped Shapefile) in whatever CRS and encoding they come in.

Every problem is a FileProblem (a ValueError) whose message says what was wrong and how to fix it; callers turn it
into a validation error. Archives are checked entry by entry before anything is extracted, into a temporary folder
that is removed whatever happens.
"""
from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from geo.errors import FileProblem
from geo.i18n import Message

DEFAULT_MAX_UPLOAD_MB = 200
MAX_ZIP_ENTRIES = 200  # a Shapefile is 3-8 files; a few layers in one archive is fine, thousands are not
MAX_ZIP_RATIO = 100  # uncompressed / compressed per entry and overall; real GIS files compress 2-10x
MAX_ZIP_UNCOMPRESSED = 2 * 1024 ** 3
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
VECTOR_SUFFIXES = (".geojson", ".json", ".kml", ".gpkg", ".shp", ".zip")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# DBF header byte 29 (language driver id) -> Python codec, for Shapefiles without a .cpg
DBF_LDID = {0x4D: "gb18030", 0x7A: "gb18030", 0x57: "latin-1", 0x03: "cp1252", 0x00: None}


def max_upload_bytes() -> int:
    """Return the upload limit: $VALLEY_ATLAS_MAX_UPLOAD_MB (megabytes) or 200 MB."""
    raw = os.environ.get("VALLEY_ATLAS_MAX_UPLOAD_MB", str(DEFAULT_MAX_UPLOAD_MB))
    try:
        megabytes = float(raw)
    except ValueError:
        raise FileProblem("upload_limit_setting", value=raw) from None
    return int(megabytes * 1024 * 1024)


def check_size(data: bytes, file_name: str) -> None:
    """Refuse a file above the upload limit, saying the limit and how to raise it."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise FileProblem("too_large", file=file_name, size_mb=len(data) / 1e6, limit_mb=limit / 1e6)


def check_zip(archive: zipfile.ZipFile, file_name: str) -> list[zipfile.ZipInfo]:
    """Return the archive's file entries after checking every one; raise FileProblem on anything hostile.

    Refused: more than MAX_ZIP_ENTRIES entries, absolute paths or '..' (path traversal), symbolic links, an entry or
    the whole archive expanding more than MAX_ZIP_RATIO times, more than MAX_ZIP_UNCOMPRESSED bytes in all.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileProblem("zip_too_many_entries", file=file_name, count=len(entries), limit=MAX_ZIP_ENTRIES)
    total_in = total_out = 0
    files = []
    for entry in entries:
        name = entry.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or path.is_absolute():
            raise FileProblem("zip_absolute_path", file=file_name, entry=name)
        if ".." in path.parts:
            raise FileProblem("zip_traversal", file=file_name, entry=name)
        mode = entry.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise FileProblem("zip_symlink", file=file_name, entry=name)
        if entry.is_dir():
            continue
        if entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1) and entry.file_size > 1024 * 1024:
            raise FileProblem("zip_bomb_entry", file=file_name, entry=name, size_mb=entry.file_size / 1e6,
                              ratio=entry.file_size / max(entry.compress_size, 1))
        total_in += entry.compress_size
        total_out += entry.file_size
        files.append(entry)
    if total_out > MAX_ZIP_UNCOMPRESSED or (total_out > MAX_ZIP_RATIO * max(total_in, 1) and total_out > 1024 * 1024):
        raise FileProblem("zip_bomb_total", file=file_name, out_mb=total_out / 1e6, in_mb=total_in / 1e6)
    return files


@contextmanager
def extracted_zip(data: bytes, file_name: str):
    """Check a zip archive, extract it into a temporary folder and yield the folder; the folder is always removed."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileProblem("zip_unreadable", file=file_name) from None
    with archive, tempfile.TemporaryDirectory(prefix="valley-atlas-upload-") as folder:
        root = Path(folder).resolve()
        for entry in check_zip(archive, file_name):
            target = (root / entry.filename).resolve()
            if root not in target.parents:  # belt and braces after check_zip
                raise FileProblem("zip_traversal", file=file_name, entry=entry.filename)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry) as source, open(target, "wb") as sink:
                written = 0
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > entry.file_size:  # a lying header
                        raise FileProblem("zip_size_lie", file=file_name, entry=entry.filename)
                    sink.write(chunk)
        yield root


@dataclass
class VectorFile:
    """A vector layer as read: the frame (its own CRS, maybe None), which layer and encoding, and notes."""

    frame: gpd.GeoDataFrame
    layer: str
    encoding: str | None = None
    notes: list[Message] = field(default_factory=list)


def shapefile_encoding(shp: Path) -> tuple[str, str]:
    """Return (codec, how it was decided) for a Shapefile's attributes: its .cpg, the DBF's code page, or detection."""
    cpg = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".cpg"), None)
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        key = declared.lower().replace("-", "").replace("_", "").replace(" ", "")
        aliases = {"936": "gb18030", "cp936": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
                   "65001": "utf-8", "utf8": "utf-8", "1252": "cp1252", "cp1252": "cp1252", "88591": "latin-1",
                   "iso88591": "latin-1"}
        codec = aliases.get(key)
        if codec:
            return codec, f".cpg says {declared}"
    dbf = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        return "utf-8", "no .dbf"
    raw = dbf.read_bytes()
    if len(raw) > 32 and DBF_LDID.get(raw[29]) == "gb18030":
        return "gb18030", "the .dbf code page says GBK"
    header_length = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    body = raw[header_length:]
    try:
        body.decode("utf-8")
        return "utf-8", "detected UTF-8"
    except UnicodeDecodeError:
        try:
            body.decode("gb18030")
            return "gb18030", "detected GBK/GB18030 (no .cpg)"
        except UnicodeDecodeError:
            return "latin-1", "unknown; read as Latin-1 (add a .cpg file naming the encoding)"


def read_vector(data: bytes, file_name: str) -> VectorFile:
    """Read the first layer of a GeoJSON, KML, GeoPackage or zipped Shapefile (or a zip holding one of those)."""
    check_size(data, file_name)
    suffix = Path(file_name).suffix.lower()
    if not data:
        raise FileProblem("file_empty", file=file_name)
    if suffix == ".zip":
        with extracted_zip(data, file_name) as folder:
            candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in
                                (".shp", ".geojson", ".json", ".kml", ".gpkg") and not p.name.startswith("._"))
            if not candidates:
                names = ", ".join(sorted(p.name for p in folder.rglob("*") if p.is_file())[:10]) or "nothing"
                raise FileProblem("zip_no_layer", file=file_name, names=names)
            path = candidates[0]
            notes = [Message("note_several_layers", {"count": len(candidates), "layer": path.name})] \
                if len(candidates) > 1 else []
            if path.suffix.lower() == ".shp":
                missing = [s for s in (".shx", ".dbf") if not any(p.stem == path.stem and p.suffix.lower() == s
                                                                  for p in path.parent.iterdir())]
                if missing:
                    raise FileProblem("shapefile_incomplete", file=file_name, shp=path.name, missing=" ".join(missing))
                if not any(p.stem == path.stem and p.suffix.lower() == ".prj" for p in path.parent.iterdir()):
                    notes.append(Message("note_no_prj", {"shp": path.name}))
                encoding, how = shapefile_encoding(path)
                notes.append(Message("note_encoding", {"encoding": encoding, "how": how}))
                return _read_path(path, file_name, encoding=encoding, notes=notes)
            return _read_path(path, file_name, notes=notes)
    if suffix in (".geojson", ".json", ".kml", ".gpkg"):
        with tempfile.TemporaryDirectory(prefix="valley-atlas-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            return _read_path(path, file_name)
    if suffix == ".shp":
        raise FileProblem("bare_shapefile", file=file_name)
    raise FileProblem("not_a_vector_file", file=file_name, suffix=suffix or "(no extension)")


def _read_path(path: Path, file_name: str, *, encoding: str | None = None,
               notes: list[Message] | None = None) -> VectorFile:
    notes = list(notes or [])
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:
        raise FileProblem("vector_unreadable", file=file_name, error=_first_line(exc)) from None
    if len(layers) == 0:
        raise FileProblem("vector_no_layer", file=file_name)
    layer = str(layers[0][0])
    if len(layers) > 1:
        notes.append(Message("note_several_layers", {"count": len(layers), "layer": layer}))
    options = {"encoding": encoding} if encoding else {}
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, **options)
    except Exception as exc:
        raise FileProblem("vector_unreadable", file=file_name, error=_first_line(exc)) from None
    return VectorFile(frame=frame, layer=layer, encoding=encoding, notes=notes)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
