"""redis-py RedisCluster workload through the tunnel. Prints one JSON line.

Run with /usr/bin/python3 (Debian's python3-redis). Usage: redis_py_workload.py HOST PORT KEYS [PASSWORD]
(the password is the tunnel's --local-password; without one, no AUTH is sent).
"""
import json
import sys

from redis.cluster import RedisCluster

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
password = sys.argv[4] if len(sys.argv) > 4 else None
errors = []
rc = RedisCluster(host=host, port=port, socket_timeout=10, password=password)
nodes = sorted(f"{n.host}:{n.port}" for n in rc.get_nodes())
for i in range(count):
    try:
        rc.set(f"py:{i}", f"value-{i}")
        rc.incr(f"py:counter:{i % 7}")
        rc.hset(f"py:h:{i % 50}", f"f{i}", i)
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(repr(e))
mismatches = 0
for i in range(count):
    try:
        if rc.get(f"py:{i}") != f"value-{i}".encode():
            mismatches += 1
    except Exception as e:  # noqa: BLE001
        errors.append(repr(e))
pipe = rc.pipeline()
for i in range(200):
    pipe.set(f"py:pipe:{i}", i)
try:
    pipe.execute()
except Exception as e:  # noqa: BLE001
    errors.append(repr(e))
print(json.dumps({"nodes": nodes, "errors": errors[:5], "error_count": len(errors), "mismatches": mismatches}))
