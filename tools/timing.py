"""Where `make test` spends its time: each step (install, repository check, demo build, notebooks, pytest) records its
wall and CPU seconds, and `report` prints one table with every notebook and every test file. CPU seconds (user + system,
the step's child processes included) stay meaningful on a busy machine, where wall seconds do not. Standard library only:
it runs before the virtual environment exists.

    python tools/timing.py reset [--keep install]
    python tools/timing.py step NAME -- COMMAND ...      # runs COMMAND, records NAME, exits with its status
    python tools/timing.py report

Records are JSON lines in `$REDUNDANCY_NB_TIMINGS` (default: `.timings/` in the repository): `steps.jsonl` here,
`notebooks.jsonl` from tools/nbtest.py and `pytest.jsonl` from tests/conftest.py."""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def timings_dir() -> Path:
    "Where the records go: `$REDUNDANCY_NB_TIMINGS`, else `.timings/` in the repository."
    return Path(os.environ.get("REDUNDANCY_NB_TIMINGS") or ROOT/".timings")

def cpu_seconds(children:bool=True) -> float:
    "User + system CPU seconds of this process (and of its finished child processes)."
    who = [resource.RUSAGE_SELF] + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime for w in who)

def load() -> float:
    "The 1-minute load average (how busy the machine was)."
    return round(os.getloadavg()[0], 2)

def record(kind:str, **fields):
    "Append one record to `<timings_dir>/<kind>.jsonl` (a no-op when the folder cannot be written)."
    try:
        d = timings_dir(); d.mkdir(parents=True, exist_ok=True)
        with open(d/f"{kind}.jsonl", "a") as f: f.write(json.dumps(fields) + "\n")
    except OSError: pass

def read(kind:str) -> list[dict]:
    "The records of `kind`, the last one of each name only."
    path = timings_dir()/f"{kind}.jsonl"
    if not path.is_file(): return []
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip(): r = json.loads(line); rows[r["name"]] = r
    return list(rows.values())

def step(name:str, cmd:list[str]) -> int:
    "Run `cmd`, record its wall and CPU seconds under `name`, return its exit status."
    t0, c0, l0 = time.time(), cpu_seconds(), load()
    parent = os.environ.get("TIMING_STEP")      # a step run inside another step's command is a part of it
    rc = subprocess.call(cmd, env={**os.environ, "TIMING_STEP": name})
    record("steps", name=name, wall=round(time.time() - t0, 1), cpu=round(cpu_seconds() - c0, 1), rc=rc,
           load=max(l0, load()), at=time.strftime("%H:%M:%S"), **({"part_of": parent} if parent else {}))
    return rc

def _name_width(title:str, rows:list[dict], width:int) -> int:
    "Width of the name column: at least `width`, the title and every name (+ 2: the parts of a step are indented)."
    return max(width, len(title), *(len(r["name"]) + 2 for r in rows))

def _table(title:str, rows:list[dict], total:bool=True, width:int=32) -> list[str]:
    if not rows: return []
    w = _name_width(title, rows, width)
    lines = [f"{title:<{w}}  {'wall s':>8}  {'CPU s':>8}  {'load':>5}  ok", "-" * (w + 32)]
    for r in rows:
        ok = "yes" if r.get("rc", 0) == 0 else "NO"
        name = f"  {r['name']}" if r.get("part_of") else r["name"]
        lines.append(f"{name:<{w}}  {r['wall']:>8.1f}  {r['cpu']:>8.1f}  {r.get('load', float('nan')):>5.1f}  {ok}")
    if total and len(rows) > 1:
        lines.append(f"{'sum (run in parallel: more than wall)':<{w}}  {sum(r['wall'] for r in rows):>8.1f}  {sum(r['cpu'] for r in rows):>8.1f}")
    return lines + [""]

def _nested(steps:list[dict]) -> list[dict]:
    "The steps in the order they were recorded, each step's parts (recorded before it, as they finish first) under it."
    parts = {}
    for r in steps:
        if r.get("part_of"): parts.setdefault(r["part_of"], []).append(r)
    out = []
    for r in steps:
        if not r.get("part_of"): out += [r, *parts.pop(r["name"], [])]
    return out + [r for rows in parts.values() for r in rows]     # parts of a step that did not finish

def report() -> str:
    "The timing table of the last `make test`: steps, then notebooks and test files, slowest first."
    steps, nbs, tests = _nested(read("steps")), read("notebooks"), read("pytest")
    title = "step (indented: its parts, run at the same time)"
    out = _table(title, steps, total=False, width=44)
    w = _name_width(title, steps, 44)
    steps = [r for r in steps if not r.get("part_of")]    # the totals count each second once
    if steps:
        total = lambda name, rows: f"{name:<{w}}  {sum(r['wall'] for r in rows):>8.1f}  {sum(r['cpu'] for r in rows):>8.1f}"
        extra = [r for r in steps if r["name"].endswith("]")]     # the other tiers: "pytest [more]", "notebooks [slow]"
        out[-1:-1] = ([total("total of make test (names without [...])", [r for r in steps if r not in extra])] if extra else []) + [total("total of the steps", steps)]
    out += _table("notebook (nbtest)", sorted(nbs, key=lambda r: -r["wall"]))
    out += _table("test file (pytest)", sorted(tests, key=lambda r: -r["wall"]))
    return "\n".join(out) if out else f"no timings recorded in {timings_dir()}"

def reset(keep:list[str]):
    "Forget the records, except the steps named in `keep`."
    d = timings_dir()
    kept = [r for r in read("steps") if r["name"] in keep]
    for kind in ("steps", "notebooks", "pytest"): (d/f"{kind}.jsonl").unlink(missing_ok=True)
    for r in kept: record("steps", **r)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reset"); r.add_argument("--keep", nargs="*", default=[])
    s = sub.add_parser("step"); s.add_argument("name"); s.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("report")
    a = p.parse_args(argv)
    if a.cmd == "reset": reset(a.keep)
    elif a.cmd == "report": print(report())
    else:
        cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
        if not cmd: p.error("step needs a command after --")
        sys.exit(step(a.name, cmd))

if __name__ == "__main__": main()
