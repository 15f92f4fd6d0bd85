# SPDX-License-Identifier: Apache-2.0
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(here))
sys.path.insert(0, here)

pytest_plugins = ["mynasim.pytest_plugin"]
