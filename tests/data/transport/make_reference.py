#!/usr/bin/python3
"""Brute-force optimal transport costs for tst_emd (no LP solver needed, scipy is not available).

With integer margins the transportation polytope has integer vertices, so the LP optimum over real plans
equals the minimum over INTEGER plans with those margins; this script enumerates every such integer plan
(tiny totals) and keeps the cheapest. Masses are the integers divided by the total. Writes brute_force.json.
Run with /usr/bin/python3.
"""
import itertools
import json
import os
import random

random.seed(1125)


def compositions(total, caps):
    """All vectors x >= 0 with sum(x) == total and x[j] <= caps[j]."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    for first in range(min(total, caps[0]) + 1):
        for rest in compositions(total - first, caps[1:]):
            yield (first,) + rest


def brute_force(a, b, cost):
    n, m = len(a), len(b)
    best = None
    best_plan = None
    count = 0

    def rec(i, caps, rows, partial):
        nonlocal best, best_plan, count
        if i == n:
            count += 1
            if best is None or partial < best - 1e-15:
                best, best_plan = partial, [list(r) for r in rows]
            return
        for row in compositions(a[i], caps):
            rec(i + 1, tuple(c - x for c, x in zip(caps, row)), rows + [row],
                partial + sum(x * cost[i][j] for j, x in enumerate(row)))

    rec(0, tuple(b), [], 0.0)
    return best, best_plan, count


def random_margin(k, total):
    # every point gets at least one unit, so that no case degenerates to a smaller one
    cuts = sorted(random.randint(0, total - k) for _ in range(k - 1))
    return [1 + hi - lo for lo, hi in zip([0] + cuts, cuts + [total - k])]


cases = []
shapes = [(2, 2, 8), (3, 3, 12), (3, 4, 12), (4, 4, 12), (2, 5, 10), (5, 3, 11), (4, 5, 11)]
for index, (n, m, total) in enumerate(shapes):
    a = random_margin(n, total)
    b = random_margin(m, total)
    if index % 2 == 0:
        cost = [[round(random.uniform(0.0, 2.0), 3) for _ in range(m)] for _ in range(n)]
    else:  # a metric-like cost: points on a line, |x_i − y_j| with random positions
        xs = [random.uniform(0, 5) for _ in range(n)]
        ys = [random.uniform(0, 5) for _ in range(m)]
        cost = [[round(abs(x - y), 3) for y in ys] for x in xs]
    best, plan, count = brute_force(a, b, cost)
    cases.append({
        "source": [x / total for x in a],
        "target": [x / total for x in b],
        "cost": [c for row in cost for c in row],
        "rows": n, "cols": m,
        "emd": best / total,
        "plans_enumerated": count,
    })
    print(f"{n}x{m} total {total}: {count} integer plans, EMD {best / total:.6f}")

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "brute_force.json")
with open(path, "w") as f:
    json.dump({"cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", path)
