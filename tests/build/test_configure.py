# SPDX-License-Identifier: GPL-2.0-or-later
"""configure refuses an FRR source tree that does not match installed FRR.

A module built against other structure layouts would corrupt bgpd's memory
silently, so these checks must stop the build with a clear message.
"""

import glob
import os
import re
import shutil
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FRR_SOURCE = os.environ.get("CFN_FRR_SOURCE")
GENERATED = ["config.h", "lib/version.h", "lib/route_types.h", "lib/clippy",
             "bgpd/bgpd.h"]
# What configure reads: itself, its helpers and every Makefile.in.
CONFIGURE_INPUTS = ["configure", "cfn_config.h.in", "build-aux",
                    "lib/cfn_service.h"] + [
    os.path.relpath(path, TOP)
    for path in glob.glob(os.path.join(TOP, "**", "Makefile.in"),
                          recursive=True)
    if "/build/" not in path]

pytestmark = pytest.mark.skipif(
    not FRR_SOURCE or not os.path.exists(os.path.join(TOP, "configure")),
    reason="needs CFN_FRR_SOURCE and a bootstrapped tree")


def fake_frr_tree(tmp_path, edit=None):
    """A copy of the prepared tree's checked files, config.h edited."""
    root = tmp_path / "frr"
    for rel in GENERATED:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(FRR_SOURCE, rel), root / rel)
    if edit:
        config = (root / "config.h").read_text()
        (root / "config.h").write_text(edit(config))
    return root


def configure(tmp_path, frr):
    """Run configure in a copy of what it reads, leaving the tree alone."""
    src = tmp_path / "src"
    for rel in CONFIGURE_INPUTS:
        copy = shutil.copytree if os.path.isdir(os.path.join(TOP, rel)) \
            else shutil.copy
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        copy(os.path.join(TOP, rel), src / rel)
    return subprocess.run(["./configure", f"--with-frr-source={frr}"],
                          cwd=src, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)


def redefine(name, value):
    return lambda text: re.sub(rf"#define {name} .*", f"#define {name} {value}",
                               text)


def test_matching_tree_accepted(tmp_path):
    out = configure(tmp_path, fake_frr_tree(tmp_path))
    assert out.returncode == 0, out.stdout
    assert "MULTIPATH_NUM matches the installed FRR... yes" in out.stdout


def test_version_mismatch_refused(tmp_path):
    frr = fake_frr_tree(tmp_path, redefine("PACKAGE_VERSION", '"8.4.3"'))
    out = configure(tmp_path, frr)
    assert out.returncode != 0
    assert "FRR source version 8.4.3" in out.stdout
    assert "differs from the installed bgpd (8.4.4)" in out.stdout


def test_multipath_mismatch_refused(tmp_path):
    frr = fake_frr_tree(tmp_path, redefine("MULTIPATH_NUM", "16"))
    out = configure(tmp_path, frr)
    assert out.returncode != 0
    assert "MULTIPATH_NUM is 16" in out.stdout
    assert "256 in the installed FRR" in out.stdout


def test_vnc_mismatch_refused(tmp_path):
    frr = fake_frr_tree(
        tmp_path, lambda text: text.replace("#define ENABLE_BGP_VNC 1", ""))
    out = configure(tmp_path, frr)
    assert out.returncode != 0
    assert "ENABLE_BGP_VNC is ''" in out.stdout


def test_unprepared_tree_refused(tmp_path):
    frr = fake_frr_tree(tmp_path)
    os.unlink(frr / "lib" / "clippy")
    out = configure(tmp_path, frr)
    assert out.returncode != 0
    assert "lib/clippy is missing" in out.stdout
