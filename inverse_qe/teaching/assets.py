"""The dashboard's front end, offline: Solara's CDN files from the npm registry.

Solara serves its browser code (the Vuetify app, RequireJS, Font Awesome) from a
CDN through a local cache directory, fetching each file the first time a page
asks for it. A machine without that CDN (CI, a classroom behind a firewall) gets
a blank page. :func:`fill_cache` fills the cache ahead of time from the npm
registry with the ordinary client (``npm pack``), for exactly the package
versions the installed Solara's page template asks for.

``inverse-qe app`` (and the browser test) point Solara at :func:`cache_dir` with
``SOLARA_ASSETS_PROXY_CACHE_DIR``; online, Solara still fills in anything missing.

Run ``python -m inverse_qe.teaching.assets`` to fill the cache (``.ci/install-browser``
does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: A CDN reference in Solara's page template: ``{{cdn}}/<package>@<version>/<file>``.
_REFERENCE = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")
#: The same in a Vue widget: ``${this.getCdn()}/<package>@<version>/<file>``.
_VUE_REFERENCE = re.compile(r"getCdn\(\)\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")
_PATH = re.compile(r"/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/")


def cache_dir() -> Path:
    """Where the dashboard keeps Solara's front-end files.

    ``INVERSE_QE_SOLARA_CDN`` if set, else ``$XDG_CACHE_HOME/inverse-qe/solara-cdn``
    (``~/.cache/...``).
    """
    explicit = os.environ.get("INVERSE_QE_SOLARA_CDN")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inverse-qe" / "solara-cdn"


def server_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Solara server: our asset cache, and no telemetry."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SOLARA_ASSETS_PROXY_CACHE_DIR", str(cache_dir()))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    return env


def required_packages() -> list[tuple[str, str]]:
    """(package, version) of every CDN package the dashboard's page can load.

    Read from the installed Solara: its page template, its Font Awesome setting,
    and its Vue widgets and components (the draggable grid the dashboard uses
    loads its own script). Markdown's KaTeX and Mermaid are left out: the
    dashboard writes its text as HTML, with no maths.
    """
    import solara
    from solara.server import settings

    root = Path(solara.__file__).parent
    sources = [root / "server" / "templates" / "solara.html.j2"]
    sources += sorted((root / "widgets" / "vue").glob("*.vue"))
    sources += sorted((root / "components").glob("*.vue"))
    found: set[tuple[str, str]] = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        found.update(_REFERENCE.findall(text))
        found.update(_VUE_REFERENCE.findall(text))
    fontawesome = _PATH.match(settings.assets.fontawesome_path)
    if fontawesome:
        found.add(fontawesome.groups())
    return sorted(found)


def missing(directory: Path | None = None) -> list[tuple[str, str]]:
    """The required packages not yet in the cache."""
    directory = cache_dir() if directory is None else directory
    return [(p, v) for p, v in required_packages() if not (directory / f"{p}@{v}").is_dir()]


def fill_cache(directory: Path | None = None, npm: str = "npm") -> list[str]:
    """Fetch every missing package with ``npm pack`` and unpack it into the cache.

    Returns the ``package@version`` names fetched. Raises ``RuntimeError`` if npm is
    missing or a package cannot be fetched.
    """
    directory = cache_dir() if directory is None else directory
    if shutil.which(npm) is None:
        raise RuntimeError(f"{npm} is not on the PATH; install it (Debian: apt-get install npm)")
    fetched = []
    for package, version in missing(directory):
        with tempfile.TemporaryDirectory() as work:
            done = subprocess.run(
                [npm, "pack", f"{package}@{version}", "--silent", "--pack-destination", work],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            tarballs = list(Path(work).glob("*.tgz"))
            if done.returncode != 0 or not tarballs:
                raise RuntimeError(f"npm pack {package}@{version} failed: {done.stderr.strip()}")
            target = directory / f"{package}@{version}"
            staging = Path(work) / "unpacked"
            with tarfile.open(tarballs[0]) as archive:
                archive.extractall(staging, filter="data")
            root = staging / "package"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root if root.is_dir() else staging, target)
        fetched.append(f"{package}@{version}")
    return fetched


def main() -> int:
    """Fill the cache; print what was fetched."""
    directory = cache_dir()
    try:
        fetched = fill_cache(directory)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name in fetched:
        print(f"fetched {name}")
    print(f"Solara front end ready in {directory} ({len(required_packages())} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
