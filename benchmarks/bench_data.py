"""Benchmark of `redundancy_nb.data` (a script, not a test): synthesis rate and DataLoader read rate.

1. Synthesis: `make_synthetic_speech_commands` with its defaults into a fresh temporary folder, in clips/s
   (espeak-ng + resampling + level/position/noise + WAV writing + checksums + manifest). Baseline, measured
   in the same run: bare espeak-ng synthesis of the same number of words with one `EspeakNG` instance.
2. Reading: one full pass of `audio_loader(..., batch_size=64)` over every clip of that dataset (all three
   subsets, through `SpeechCommands`), in clips/s, after one warm-up pass (files in the page cache). Baseline:
   a plain `soundfile.read` loop over the same files.

Targets on a 2-core machine: >= 200 clips/s synthesized, >= 1,000 clips/s read.

    python benchmarks/bench_data.py [--n-speakers 120] [--repeats 3] [--num-workers 0]
"""
import argparse, os, shutil, tempfile, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
import soundfile as sf
import torch
from torch.utils.data import ConcatDataset
from redundancy_nb.data import (CORE_WORDS, SUBSETS, EspeakNG, SpeechCommands, audio_loader,
                                make_synthetic_speech_commands)

def best_of(repeats, f):
    "The shortest of `repeats` timed calls of `f` (seconds)."
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    return min(times)

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-speakers", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num-workers", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_clips = args.n_speakers * len(CORE_WORDS)
    work = tempfile.mkdtemp(prefix="bench_data-")
    try:
        def bare_synthesis():
            with EspeakNG() as tts:
                for i in range(n_clips): tts.synthesize(CORE_WORDS[i % len(CORE_WORDS)], rate=130 + i % 70, pitch=25 + i % 50)
        bare = best_of(args.repeats, bare_synthesis)

        roots = []
        def build():
            roots.append(make_synthetic_speech_commands(os.path.join(work, f"sc{len(roots)}"), n_speakers=args.n_speakers, progress=False))
        full = best_of(args.repeats, build)
        root = roots[0]

        data = ConcatDataset([SpeechCommands(root, s) for s in SUBSETS])
        files = [f for d in data.datasets for f in d.files]
        assert len(files) == n_clips, (len(files), n_clips)
        def loader_pass():
            n = sum(len(b["labels"]) for b in audio_loader(data, batch_size=64, num_workers=args.num_workers))
            assert n == n_clips
        def soundfile_pass():
            for f in files: sf.read(f, dtype="float32")
        loader_pass()  # warm-up: page cache, lazy imports
        read = best_of(args.repeats, loader_pass)
        raw = best_of(args.repeats, soundfile_pass)
    finally:
        shutil.rmtree(work)

    print(f"dataset: {n_clips} clips ({len(CORE_WORDS)} words x {args.n_speakers} speakers), "
          f"torch threads 1, DataLoader workers {args.num_workers}, best of {args.repeats}")
    print(f"synthesis (make_synthetic_speech_commands): {n_clips / full:8.0f} clips/s   target >= 200")
    print(f"  baseline, bare espeak-ng synthesis:        {n_clips / bare:8.0f} clips/s   ratio {bare / full:.2f}")
    print(f"read (audio_loader, batch 64, full pass):   {n_clips / read:8.0f} clips/s   target >= 1000")
    print(f"  baseline, soundfile.read loop:             {n_clips / raw:8.0f} clips/s   ratio {raw / read:.2f}")

if __name__ == "__main__": main()
