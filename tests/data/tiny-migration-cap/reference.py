#!/usr/bin/env python3
"""Independent reference for this fixture: enumerates all 3^8 placements with the cost model of
docs/MODEL.md §2 reduced to what this fixture uses (PUE 1, no renewables, no carbon price,
migrations that cost nothing), and prints the optimum with and without the per-VM limit."""
import itertools, math

SITES = "ABC"
PRICE = [[200, 20, 100] if t % 2 == 0 else [20, 200, 100] for t in range(4)]
CPU, UTIL, HOST_CPU, IDLE_W, PEAK_W, HOSTS = 2, 0.5, 4, 100, 300, 1


def cost(plan):
    total = 0.0
    for t in range(4):
        for s in range(3):
            here = [v for v in range(2) if plan[v][t] == s]
            if not here:
                continue
            n = math.ceil(CPU * len(here) / HOST_CPU)
            if n > HOSTS:
                return None
            busy = CPU * UTIL * len(here)
            it_kw = (n * IDLE_W + (PEAK_W - IDLE_W) * busy / HOST_CPU) / 1000
            total += it_kw * 1.0 * PRICE[t][s] / 1000
    return total


def moves(path):
    before, count = 0, 0
    for s in path:
        count += s != before
        before = s
    return count


def best(cap):
    found = None
    for cells in itertools.product(range(3), repeat=8):
        plan = [cells[:4], cells[4:]]
        if cap is not None and any(moves(p) > cap for p in plan):
            continue
        c = cost(plan)
        if c is not None and (found is None or c < found[0]):
            found = (c, plan)
    return found


stay = cost([(0, 0, 0, 0), (0, 0, 0, 0)])
print("stay", repr(stay))
for cap in (None, 2):
    c, plan = best(cap)
    print("cap", cap, repr(c), ["".join(SITES[s] for s in p) for p in plan])
