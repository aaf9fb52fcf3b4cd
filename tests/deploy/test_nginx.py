"""deploy/nginx.conf passes `nginx -t`, as sites-enabled/diagnose of Debian's /etc/nginx and under a bare main
config. The test's copy differs from the shipped file only where the deployment's own world is out of reach:
the upstream hosts (names only its internal DNS resolves; nginx resolves them when it loads) and the
certificate, self-signed here."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx.conf"
DEBIAN_NGINX = Path("/etc/nginx")
NGINX = shutil.which("nginx")

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (make test installs Debian's nginx-light when run as root)"
)


def _certificate(folder: Path) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificate for the TLS server block")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=diagnose.example.cn", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _site(tmp: Path, text: str) -> str:
    """The shipped file with the test's upstream addresses and certificate."""
    cert, key = _certificate(tmp)
    replacements = {
        "web1.internal:8000": "127.0.0.1:8000",
        "web2.internal:8000": "127.0.0.2:8000",
        "/etc/ssl/diagnose/fullchain.pem": str(cert),
        "/etc/ssl/diagnose/privkey.pem": str(key),
    }
    for shipped, ours in replacements.items():
        assert shipped in text, f"deploy/nginx.conf no longer names {shipped}: update this test"
        text = text.replace(shipped, ours)
    return text


def _temp_paths(tmp: Path) -> str:
    # nginx makes its temporary folders when it loads; Debian's are root's.
    return "".join(
        f"    {name}_temp_path {tmp / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )


def _debian_layout(tmp: Path, site: str) -> tuple[Path, Path]:
    """A copy of Debian's /etc/nginx with the site enabled beside the default one, its paths moved into tmp;
    the main config and the site's file."""
    if not (DEBIAN_NGINX / "nginx.conf").is_file():
        pytest.skip("no Debian /etc/nginx/nginx.conf to include the site from")
    etc = tmp / "etc-nginx"
    shutil.copytree(DEBIAN_NGINX, etc, symlinks=True)
    (etc / "sites-enabled" / "diagnose").write_text(site)
    main = (etc / "nginx.conf").read_text()
    for shipped, ours in (
        ("/etc/nginx", str(etc)),
        ("/run/nginx.pid", str(tmp / "nginx.pid")),
        ("/var/log/nginx", str(tmp)),
    ):
        main = main.replace(shipped, ours)
    (etc / "nginx.conf").write_text(main.replace("http {\n", "http {\n" + _temp_paths(tmp), 1))
    return etc / "nginx.conf", etc / "sites-enabled" / "diagnose"


def _bare_layout(tmp: Path, site: str) -> tuple[Path, Path]:
    """The smallest main config that includes the site; it and the site's file."""
    (tmp / "diagnose.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(
        f"pid {tmp / 'nginx.pid'};\nevents {{}}\nhttp {{\n{_temp_paths(tmp)}    include {tmp / 'diagnose.conf'};\n}}\n"
    )
    return main, tmp / "diagnose.conf"


def _nginx_t(tmp: Path, main: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX is not None
    return subprocess.run(
        [NGINX, "-t", "-e", str(tmp / "error.log"), "-c", str(main)],  # Debian's prefix: its modules
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


LAYOUTS: dict[str, Callable[[Path, str], tuple[Path, Path]]] = {
    "debian": _debian_layout,
    "bare": _bare_layout,
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_shipped_nginx_config_passes_nginx_t(tmp_path: Path, layout: str) -> None:
    main, site = LAYOUTS[layout](tmp_path, _site(tmp_path, SHIPPED.read_text()))
    result = _nginx_t(tmp_path, main)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # Debian's own lines may warn (its `user` directive, unless run as root); the site's must not.
    about_site = [line for line in result.stderr.splitlines() if str(site) in line]
    assert about_site == [], "\n".join(about_site)


def test_nginx_t_here_does_notice_a_broken_site(tmp_path: Path) -> None:
    broken = SHIPPED.read_text().replace("proxy_pass http://diagnose_web;", "proxy_pass http://diagnose_wbe;")
    result = _nginx_t(tmp_path, _bare_layout(tmp_path, _site(tmp_path, broken))[0])
    assert result.returncode != 0 and "diagnose_wbe" in result.stderr
