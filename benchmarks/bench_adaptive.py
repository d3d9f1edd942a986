"""Adaptive prune orders: the CNN + projection once, then only the blocks left at every step, against re-extracting
every block's output from the waveforms at every step (what `prune_order(..., adaptive=True)` did before issue 13).

A full-size random wav2vec2-base (12 blocks, width 768, the 7-layer CNN; layerdrop 0) on `--clips` one-second clips,
`bi_adaptive` with `--batch-size` clips per similarity batch. Both must give the same order and step scores; the
script checks it. Each time is the minimum of `--repeats` runs after a warm-up forward, in this process.

    python benchmarks/bench_adaptive.py --clips 32 --threads 2
"""
import argparse, math, os, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def reextracting(model, clips, batch_size):
    "The baseline: at every step, every block's output of the pruned model from the waveforms, then static BI."
    from redundancy_nb.models import encoder_layers, extract_features
    from redundancy_nb.pruning import prune_order, without_blocks
    L, removed, steps = len(encoder_layers(model)), [], []
    for _ in range(L - 1):
        kept = [i for i in range(L) if i not in removed]
        with without_blocks(model, removed):
            order = prune_order("bi", extract_features(model, clips, progress=False, device="cpu"), batch_size=batch_size)
        scores = {kept[i]: s for i, s in order.scores.items()}
        removed.append(min(scores, key=lambda b: (scores[b], b)))
        steps.append(scores)
    return removed, steps


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=32); p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--threads", type=int, default=2); p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
    from redundancy_nb.pruning import prune_order
    torch.manual_seed(0)
    model = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(num_labels=10, layerdrop=0.0)).eval()
    g = torch.Generator().manual_seed(1)
    clips = 0.1 * torch.randn(args.clips, 16_000, generator=g)
    with torch.inference_mode(): model(clips[:2])
    def best(run):
        t, out = math.inf, None
        for _ in range(args.repeats):
            s = time.perf_counter(); out = run(); t = min(t, time.perf_counter() - s)
        return t, out
    t_new, new = best(lambda: prune_order("bi_adaptive", model=model, data=clips, batch_size=args.batch_size, device="cpu"))
    t_old, (order, steps) = best(lambda: reextracting(model, clips, args.batch_size))
    diff = max(abs(a[b] - s[b]) for a, s in zip(new.steps, steps) for b in s)
    print(f"wav2vec2-base (random), {args.clips} clips, batches of {args.batch_size}, {args.threads} thread(s), load {os.getloadavg()[0]:.1f}")
    print(f"bi_adaptive, projection reused: {t_new:.1f} s; re-extracting every step: {t_old:.1f} s = {t_old / t_new:.2f}x; "
          f"same order: {list(new) == order}, max |step score difference| {diff:.1e}")


if __name__ == "__main__":
    main()
