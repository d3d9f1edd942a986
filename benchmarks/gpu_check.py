"""One short check of the GPU paths CI cannot run (CUDA-event timing, bf16 extraction, similarity and distillation
on the GPU), printing its numbers. Run on a CUDA machine from the repository root:

    PYTHONPATH=. python benchmarks/gpu_check.py

Falls back to the CPU (and says so) where there is no GPU, so it can be tried anywhere.
"""
import time, json
import torch
from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification
from redundancy_nb.models import extract_features, tiny_model
from redundancy_nb.similarity import layer_similarity
from redundancy_nb.distill import MimickingNetwork, head_only, teacher_features, train_student, predict_features
from redundancy_nb.efficiency import inference_time, relative_inference_time, count_parameters

cuda = torch.cuda.is_available()
dev = torch.device("cuda" if cuda else "cpu")
print(json.dumps(dict(device=torch.cuda.get_device_name() if cuda else "cpu (no CUDA: this is only a dry run)",
                      torch=torch.__version__)), flush=True)
sync = torch.cuda.synchronize if cuda else (lambda: None)
torch.manual_seed(0)

# 1. feature extraction on a full-size random wav2vec2-base: fp32 vs bf16 autocast, and agreement with the CPU
base = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(num_labels=35)).eval()
clips = torch.randn(64 if cuda else 4, 16000)
for dtype in (None, "bf16"):
    extract_features(base, clips[:8], pool="mean", device=dev, dtype=dtype, progress=False)   # warm-up
    sync(); t = time.perf_counter()
    f = extract_features(base, clips, pool="mean", device=dev, dtype=dtype, batch_size=32, progress=False)
    sync(); print(f"extract_features {dtype or 'fp32'}: {len(clips)} clips in {time.perf_counter() - t:.3f} s, shape {tuple(f.shape)}", flush=True)
    if dtype is None: f32 = f
cpu = extract_features(base, clips[:4], pool="mean", device="cpu", progress=False)
print(f"  GPU fp32 vs CPU max rel diff {((f32[:, :4] - cpu).abs().max() / cpu.abs().max()).item():.2e}; "
      f"bf16 vs fp32 max rel diff {((f[:, :4] - f32[:, :4]).abs().max() / f32.abs().max()).item():.2e}", flush=True)

# 2. all three similarity matrices of wav2vec2-large-shaped features on the GPU
feats = torch.randn(24, 128, 49 * 1024, device=dev)
for metric in ("cosine", "cka", "mutual_knn"):
    layer_similarity(feats[:, :16], metric); sync(); t = time.perf_counter()
    s = layer_similarity(feats, metric); sync()
    print(f"layer_similarity {metric} 24x24 (n=128, D=50176): {1000 * (time.perf_counter() - t):.1f} ms", flush=True)
del feats

# 3. distillation on the GPU: a tiny teacher, one epoch of each step; logits agree with the CPU after training
teacher = tiny_model("wav2vec2", num_labels=5, num_hidden_layers=4)
waves = [{"input_values": torch.randn(16000), "label": i % 5} for i in range(64)]
tf = teacher_features(teacher, waves, blocks=(1, 3), device=dev, progress=False)
student = MimickingNetwork(teacher.cpu(), "transformer", n_layers=2, hidden=64, nhead=8 if teacher.config.hidden_size % 8 == 0 else 4, targets=(1, 3))
import tempfile
rec = train_student(student, tf, tf, tempfile.mkdtemp(), mimic_epochs=1, adapt_epochs=1, batch_size=16, device=dev, progress=False)
gpu_logits = predict_features(student, tf, device=dev)
cpu_logits = predict_features(student.cpu(), tf, device="cpu")
print(f"distillation on {dev}: {json.dumps(rec['steps'], default=str)[:240]}; "
      f"logits GPU vs CPU max diff {(gpu_logits - cpu_logits).abs().max().item():.2e}", flush=True)

# 4. inference time at batch 1, 1 s of audio: CUDA events, and normalised by the teacher (the paper's Fig. 3-6 axis)
lin = MimickingNetwork(base, "linear", n_layers=1, hidden=768)
trf = MimickingNetwork(base, "transformer", n_layers=1, hidden=768)
models = {"teacher": base, "linear N=1 z=768": lin, "transformer N=1 z=768": trf, "head only": head_only(base)}
n_runs = 100 if cuda else 3
table = relative_inference_time(models, "teacher", n_runs=n_runs, warmup=10 if cuda else 1, device=dev)
table["parameters"] = [count_parameters(m) for m in models.values()]
print(table.to_string(), flush=True)
t = inference_time(base, n_runs=n_runs, warmup=10 if cuda else 1, device=dev)
print(f"teacher alone: {t}", flush=True)
