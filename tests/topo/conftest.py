# SPDX-License-Identifier: GPL-2.0-or-later
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from topolib import Topology  # noqa: E402


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("topology tests need root (network namespaces)", 2)
    Topology.cleanup_stale()
