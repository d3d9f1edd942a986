"""Repository checks that `make test` runs first, on a temporary copy (the working tree is not touched):
the package equals what `nbdev_export` writes from nbs/, notebooks are `nbdev_clean`, README.md and its gallery of figures (gallery/*.png) are current, Markdown states no result by hand, and
notebooks keep imports in cells of their own (`tools/lint_nbs.py`, so the docs build can run them)."""
import filecmp, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def _diff(a, b, suffix):
    "Relative paths of `suffix` files that differ or exist on one side only."
    fa = {p.relative_to(a) for p in a.rglob(f'*{suffix}') if '.ipynb_checkpoints' not in p.parts}
    fb = {p.relative_to(b) for p in b.rglob(f'*{suffix}') if '.ipynb_checkpoints' not in p.parts}
    return sorted(str(p) for p in fa ^ fb) + sorted(str(p) for p in fa & fb if not filecmp.cmp(a/p, b/p, shallow=False))

def main():
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for f in ('settings.ini', 'setup.py'): shutil.copy(ROOT/f, tmp/f)
        shutil.copytree(ROOT/'nbs', tmp/'nbs', ignore=shutil.ignore_patterns('_runs', '.ipynb_checkpoints', '_proc'))
        shutil.copytree(ROOT/'redundancy_nb', tmp/'redundancy_nb', ignore=shutil.ignore_patterns('__pycache__'))
        subprocess.run([BIN/'nbdev_export'], cwd=tmp, check=True)
        if d := _diff(ROOT/'redundancy_nb', tmp/'redundancy_nb', '.py'):
            problems.append(f'redundancy_nb/ is out of sync with nbs/ (run nbdev_export): {d}')
        subprocess.run([BIN/'nbdev_clean'], cwd=tmp, check=True)
        if d := _diff(ROOT/'nbs', tmp/'nbs', '.ipynb'):
            problems.append(f'notebooks are not clean (run nbdev_clean): {d}')
    for tool in (['readme.py', '--check'], ['lint_nbs.py']):
        r = subprocess.run([sys.executable, ROOT/'tools'/tool[0], *tool[1:]], capture_output=True, text=True)
        if r.returncode: problems.append(r.stderr.strip() or r.stdout.strip())
    if problems: sys.exit('\n'.join(['repository check failed:'] + problems))
    print('repository check: package in sync, notebooks clean and docs-buildable, no result typed into Markdown, README and gallery current')

if __name__ == '__main__': main()
