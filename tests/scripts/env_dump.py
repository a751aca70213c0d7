#!/usr/bin/env python3
"""Print every JOBTUI_* variable as NAME=value, sorted, then ARGV=<json of argv[1:]>."""
import json
import os
import sys

for name in sorted(n for n in os.environ if n.startswith("JOBTUI_")):
    print(f"{name}={os.environ[name]}")
print("ARGV=" + json.dumps(sys.argv[1:]))
