"""Zip the reviewed Superset bundle (assets/) and import it: the dashboard as code.

Run with the Python of Superset's environment (it imports Superset), after
``superset db upgrade``, ``superset init`` and the admin user exist (init.sh does all
four in order)::

    SUPERSET_CONFIG_PATH=stack/superset/superset_config.py \\
        "$SUPERSET_VENV/bin/python" stack/superset/provision.py

What it does:
1. renders the bundle: ``__SOCIALPULSE_WAREHOUSE_URI__`` in databases/*.yaml becomes
   ``duckdb:///<SOCIALPULSE_HOME>/warehouse.duckdb`` (absolute), so the committed
   files name no machine's path;
2. writes the zip (``$SUPERSET_STATE_DIR/socialpulse_assets.zip``, by default under
   ``$SOCIALPULSE_HOME/superset/``, unless ``--zip``): the same file imports through
   the UI or ``/api/v1/assets/import/``;
3. imports it with Superset's asset importer, which overwrites the database,
   datasets, charts and dashboard it names (matched by uuid): a changed YAML file,
   or another SOCIALPULSE_HOME, is applied on every run. Idempotent.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
URI_PLACEHOLDER = "__SOCIALPULSE_WAREHOUSE_URI__"
BUNDLE_ROOT = "socialpulse_assets"


def socialpulse_home() -> Path:
    return Path(os.environ.get("SOCIALPULSE_HOME", "data")).expanduser().resolve()


def state_dir(home: Path) -> Path:
    """SUPERSET_STATE_DIR, default $SOCIALPULSE_HOME/superset (as superset_config.py)."""
    return Path(os.environ.get("SUPERSET_STATE_DIR") or home / "superset").expanduser().resolve()


def warehouse_uri(home: Path) -> str:
    """SQLAlchemy URI of the serving warehouse: duckdb:/// + an absolute path."""
    return f"duckdb:///{home / 'warehouse.duckdb'}"


def render_bundle(assets: Path, uri: str) -> dict[str, str]:
    """Every YAML file of the bundle, keyed by its path inside the bundle, rendered."""
    files = sorted(p for p in assets.rglob("*.yaml") if p.is_file())
    if not any(p.name == "metadata.yaml" for p in files):
        raise SystemExit(f"provision: no metadata.yaml under {assets}")
    return {
        p.relative_to(assets).as_posix(): p.read_text(encoding="utf-8").replace(URI_PLACEHOLDER, uri) for p in files
    }


def write_zip(contents: dict[str, str], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in contents.items():
            bundle.writestr(f"{BUNDLE_ROOT}/{name}", text)
    tmp.replace(target)


def import_zip(target: Path, username: str) -> None:
    """Superset's ImportAssetsCommand, as the admin, inside the app context."""
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager
        from superset.commands.exceptions import CommandInvalidError
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.utils.core import override_user

        user = security_manager.find_user(username=username)
        if user is None:
            raise SystemExit(f"provision: no Superset user {username!r}: create the admin first (init.sh)")
        with zipfile.ZipFile(target) as bundle:
            contents = get_contents_from_bundle(bundle)
        with override_user(user):
            try:
                ImportAssetsCommand(contents).run()
            except CommandInvalidError as exc:
                details = exc.normalized_messages() if hasattr(exc, "normalized_messages") else ""
                raise SystemExit(f"provision: the bundle is invalid: {exc} {details}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=HERE / "assets")
    parser.add_argument("--zip", type=Path, default=None, help="where to write the bundle")
    parser.add_argument("--zip-only", action="store_true", help="write the zip, import nothing")
    parser.add_argument("--username", default=os.environ.get("SUPERSET_ADMIN_USERNAME", "admin"))
    args = parser.parse_args(argv)

    home = socialpulse_home()
    uri = warehouse_uri(home)
    target = args.zip or state_dir(home) / "socialpulse_assets.zip"
    contents = render_bundle(args.assets, uri)
    write_zip(contents, target)
    print(f"provision: bundle of {len(contents)} files -> {target}", file=sys.stderr)
    if not (home / "warehouse.duckdb").exists():
        print(
            f"provision: warning: {home / 'warehouse.duckdb'} does not exist yet; the charts "
            "show an error until a build publishes it",
            file=sys.stderr,
        )
    if args.zip_only:
        return 0
    import_zip(target, args.username)
    print(f"provision: imported (database {uri})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
