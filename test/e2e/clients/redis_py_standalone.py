"""redis-py Redis() (standalone, cluster-unaware) workload through the smart port, no password.
Prints one JSON line. Run with /usr/bin/python3. Usage: redis_py_standalone.py HOST PORT KEYS
"""
import json
import sys

import redis

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
errors = []
r = redis.Redis(host=host, port=port, socket_timeout=10)
for i in range(count):
    try:
        r.set(f"spy:{i}", f"value-{i}")
        r.incr(f"spy:counter:{i % 7}")
        r.hset(f"spy:h:{i % 50}", f"f{i}", i)
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(repr(e))
mismatches = 0
for i in range(count):
    try:
        if r.get(f"spy:{i}") != f"value-{i}".encode():
            mismatches += 1
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))
try:
    got = r.mget([f"spy:{i}" for i in range(count)])
    mismatches += sum(1 for i, v in enumerate(got) if v != f"value-{i}".encode())
    pipe = r.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"spy:pipe:{i}", i)
    pipe.execute()
    scanned = set(r.scan_iter(match="spy:pipe:*", count=50))
    if len(scanned) != 200:
        errors.append(f"scan found {len(scanned)} of 200")
except Exception as e:  # noqa: BLE001
    errors.append(repr(e))
print(json.dumps({"errors": errors[:5], "error_count": len(errors), "mismatches": mismatches}))
