# SPDX-License-Identifier: GPL-2.0-or-later
"""The frr-cfn YANG module and its sample data validate with yanglint;
data breaking the model is refused; doc/netconf.md shows the module's
current tree."""

import os
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
YANG = os.path.join(TOP, "yang")
MODULE = os.path.join(YANG, "frr-cfn.yang")
EXAMPLES = sorted(os.path.join(YANG, "examples", f)
                  for f in os.listdir(os.path.join(YANG, "examples")))


def yanglint(*args):
    return subprocess.run(["yanglint", "-p", YANG, *args],
                          capture_output=True, text=True)


def test_module_is_valid_yang():
    out = yanglint(MODULE)
    assert out.returncode == 0 and not out.stderr, out.stderr


@pytest.mark.parametrize("example", EXAMPLES,
                         ids=[os.path.basename(e) for e in EXAMPLES])
def test_sample_data_validates(example):
    out = yanglint("-t", "config", MODULE, example)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("edit,reason", [
    ("<max-paths>2</max-paths>", "<max-paths>99</max-paths>"),
    ("<sid>198.51.100.10/32</sid>", ""),
    ("<value>35.5</value>", "<value>-1</value>"),
    ("<min>5</min>", "<min>99</min>"),
], ids=["range", "mandatory SID", "negative metric", "min above max"])
def test_data_breaking_the_model_is_refused(tmp_path, edit, reason):
    text = open(EXAMPLES[0]).read()
    assert edit in text
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace(edit, reason))
    assert yanglint("-t", "config", MODULE, str(bad)).returncode != 0


def test_doc_shows_the_current_tree():
    tree = yanglint("-f", "tree", MODULE).stdout.strip()
    doc = open(os.path.join(TOP, "doc", "netconf.md")).read()
    assert tree in doc, "doc/netconf.md: paste `yanglint -f tree " \
        "yang/frr-cfn.yang`"
