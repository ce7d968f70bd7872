"""Make sure Debian's Varnish and its xkey module are there for the front-cache test."""

import os
import shutil
import subprocess
import sys

VARNISHD = "/usr/sbin/varnishd"
XKEY = "/usr/lib/x86_64-linux-gnu/varnish/vmods/libvmod_xkey.so"


def installed() -> bool:
    return os.path.exists(VARNISHD) and os.path.exists(XKEY)


def main() -> int:
    if installed():
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's varnish and varnish-modules for the front-cache test ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "varnish", "varnish-modules"],
            env=env,
            check=False,
            stdout=subprocess.DEVNULL,
        )
    if not installed():
        print("Varnish with xkey is not installed: the front-cache test will be skipped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
