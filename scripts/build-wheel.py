#!/usr/bin/env python3
"""Packs the harness binary and the `migration_harness` Python package (its pytest plugin) into a
wheel of the distribution `migration-harness`, as tools written in Rust ship to Python teams: the
binary goes to the environment's scripts folder, so `pip install`, `uv tool install` and `uvx`
give a `harness` command.

Usage: scripts/build-wheel.py [--binary PATH] [--out DIR] [--platform TAG]

--binary defaults to target/release/harness (build it first: cargo build --release); the platform
tag defaults to this machine's: manylinux_2_N_x86_64 (or _aarch64), N the newest glibc symbol
version the binary needs. Prints the wheel's path. Standard library only.
"""

import argparse
import base64
import hashlib
import os
import platform
import re
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "migration_harness"
DISTRIBUTION = "migration-harness"


def version():
    with open(os.path.join(ROOT, "Cargo.toml")) as handle:
        for line in handle:
            found = re.match(r'version\s*=\s*"([^"]+)"', line)
            if found:
                return found.group(1)
    raise SystemExit("no version in Cargo.toml")


def platform_tag(binary):
    """manylinux_2_N_<arch> from the newest GLIBC_2.N the binary names; macOS and others by
    Python's own tag."""
    machine = platform.machine().lower()
    if sys.platform.startswith("linux"):
        with open(binary, "rb") as handle:
            needed = set(int(m) for m in re.findall(rb"GLIBC_2\.(\d+)", handle.read()))
        minor = max(needed) if needed else 17
        return "manylinux_2_%d_%s" % (max(minor, 17), machine)
    import sysconfig
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def metadata(version):
    with open(os.path.join(ROOT, "README.md")) as handle:
        readme = handle.read()
    return (
        "Metadata-Version: 2.1\n"
        "Name: %s\n"
        "Version: %s\n"
        "Summary: Replays database migrations (Alembic) on real engines and runtimes before a deploy\n"
        "License: MIT OR Apache-2.0\n"
        "Requires-Python: >=3.8\n"
        "Classifier: Framework :: Pytest\n"
        "Classifier: Programming Language :: Rust\n"
        "Classifier: Topic :: Database\n"
        "Description-Content-Type: text/markdown\n"
        "\n%s" % (DISTRIBUTION, version, readme)
    )


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def build(binary, out, tag):
    ver = version()
    wheel = "%s-%s-py3-none-%s.whl" % (NAME, ver, tag)
    info = "%s-%s.dist-info" % (NAME, ver)
    data = "%s-%s.data" % (NAME, ver)
    files = []
    package = os.path.join(ROOT, "python", NAME)
    for entry in sorted(os.listdir(package)):
        if entry.endswith(".py"):
            with open(os.path.join(package, entry), "rb") as handle:
                files.append(("%s/%s" % (NAME, entry), handle.read(), 0o644))
    with open(binary, "rb") as handle:
        files.append(("%s/scripts/harness" % data, handle.read(), 0o755))
    files.append(("%s/METADATA" % info, metadata(ver).encode(), 0o644))
    files.append(("%s/WHEEL" % info, (
        "Wheel-Version: 1.0\nGenerator: migration-harness build-wheel\nRoot-Is-Purelib: false\n"
        "Tag: py3-none-%s\n" % tag).encode(), 0o644))
    files.append(("%s/entry_points.txt" % info,
                  b"[pytest11]\nharness = migration_harness.pytest_plugin\n", 0o644))
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, wheel)
    records = [record_line(name, content) for name, content, _ in files]
    records.append("%s/RECORD,," % info)
    files.append(("%s/RECORD" % info, ("\n".join(records) + "\n").encode(), 0o644))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content, mode in files:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "harness"))
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "wheels"))
    parser.add_argument("--platform", default=None)
    args = parser.parse_args()
    if not os.path.isfile(args.binary):
        raise SystemExit("%s: no such binary (cargo build --release first)" % args.binary)
    print(build(args.binary, args.out, args.platform or platform_tag(args.binary)))


if __name__ == "__main__":
    main()
