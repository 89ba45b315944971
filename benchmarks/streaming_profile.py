"""Summarises callgrind_annotate's output (stdin) for benchmarks/run_streaming.

    callgrind_annotate --inclusive=no|yes FILE | python3 streaming_profile.py STEPS WHO INCLUSIVE TOP

Entries are summed by function, with template arguments, parameter lists,
return types and clone suffixes dropped (callgrind files code inlined from
another header under that header's name; the sum is the function's own
cost, or with --inclusive=yes its cost with its callees). Prints the TOP
entries as instructions (Ir) per step and share of the total.
"""
import re
import sys

steps, who, inclusive, top = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "yes", int(sys.argv[4])


def simplify(fn):
    fn = re.sub(r" \[[^\]]*\]$", "", fn)  # the object file
    fn = re.sub(r" \[clone [^\]]*\]", "", fn)
    fn = fn.replace("(anonymous namespace)::", "").replace("operator()", "operator@@")
    for pattern in (r"<[^<>]*>", r"\([^()]*\)"):
        while re.search(pattern, fn):
            fn = re.sub(pattern, "", fn)
    fn = re.sub(r"(\s+const)+$", "", fn.replace("operator@@", "operator()").strip())
    fn = fn.split(" ")[-1] if " " in fn else fn
    # Code without symbols in an anonymous mapping: libxsmm's JIT kernels here.
    return "JIT code at " + fn if fn.startswith("0x") else fn


# Exclusive: a function's entries (one per header its code came from) add up.
# Inclusive: each such entry carries the whole call's cost, so the largest
# is taken per full name (instantiation), and instantiations add up.
total, costs, started = None, {}, False
line_re = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$")
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        if "file:function" in line:
            started = True
        elif "annotated source" in line:
            break
        continue
    ir, what = int(m.group(1).replace(",", "")), m.group(2)
    if what.startswith("PROGRAM TOTALS"):
        total = ir
        continue
    if not started:
        continue
    full = re.sub(r" \[[^\]]*\]$", "", what.split(":", 1)[1] if ":" in what else what)
    costs[full] = max(costs.get(full, 0), ir) if inclusive else costs.get(full, 0) + ir

by_name = {}
for full, ir in costs.items():
    by_name[simplify(full)] = by_name.get(simplify(full), 0) + ir

if not total:
    sys.exit("streaming_profile.py: no PROGRAM TOTALS in callgrind_annotate's output")
print()
kind = "inclusive (with callees)" if inclusive else "exclusive (own instructions)"
print(f"GRU(1 -> 8) {who}: {total / steps:.0f} instructions per step; top entries, {kind}:")
# With callees: what encloses the steps (main, the loop over them) is 100%.
skip = ("main", "__libc_start_main@@GLIBC_2.34", "__libc_start_call_main", "profile", "profile_steps")
rows = [(fn, ir) for fn, ir in sorted(by_name.items(), key=lambda kv: -kv[1])
        if fn and not (inclusive and (fn in skip or fn.startswith("0x000000000001") or ir == total))]
width = max((len(fn) for fn, _ in rows[:top]), default=10)
print(f"| {'function'.ljust(width)} | Ir/step | share |")
print(f"|{'-' * (width + 2)}|---------|-------|")
for fn, ir in rows[:top]:
    print(f"| {fn.ljust(width)} | {ir / steps:7.1f} | {100 * ir / total:4.1f}% |")
