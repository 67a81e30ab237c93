#!/usr/bin/env python3
"""The PyTorch side of `npm run bench:vs-torch`: decode JPEGs with PIL and run torchvision's MobileNetV2 (random
weights: timing only) to the two layers the engine reads -- block 12's output as an NHWC map, and block 16's
expansion (ReLU6) averaged over positions -- in channels_last with a frozen TorchScript graph (the fastest
PyTorch configuration we know for this CPU). Prints one JSON line per run.

Needs python3-torch and python3-torchvision (Debian: apt-get install python3-torch python3-torchvision).
"""
import argparse
import json
import sys
import time

try:
    import torch
    import torchvision
    from PIL import Image
except ImportError as e:  # the Node side prints the install hint too
    print(json.dumps({"error": f"missing {e.name}: apt-get install python3-torch python3-torchvision"}))
    sys.exit(3)


class ToLayers(torch.nn.Module):
    """torchvision's features[13] is Keras's block_12 (features[1] is the unnumbered first block); features[17]
    .conv[0] is block_16's expansion conv + BN + ReLU6."""

    def __init__(self):
        super().__init__()
        f = torchvision.models.mobilenet_v2(weights=None).features
        self.low = torch.nn.Sequential(*f[:14])
        self.high = torch.nn.Sequential(*f[14:17], f[17].conv[0])

    def forward(self, x):
        m = self.low(x)
        pooled = self.high(m).mean(dim=(2, 3))
        return m.permute(0, 2, 3, 1), pooled


def decode(path, size, draft):
    im = Image.open(path)
    if draft:
        im.draft("RGB", (size, size))  # JPEG shrink-on-load, as libvips does for sharp
    im = im.convert("RGB").resize((size, size), Image.BILINEAR)
    return torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(size, size, 3)


def build(size, batch):
    model = ToLayers().eval().to(memory_format=torch.channels_last)
    example = torch.rand(batch, 3, size, size).to(memory_format=torch.channels_last)
    with torch.inference_mode():
        traced = torch.jit.trace(model, example)
        traced = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        for _ in range(3):
            traced(example)
    return traced


def run(paths, model, size, batch, draft):
    decode_s = infer_s = 0.0
    c0 = time.process_time()
    t0 = time.perf_counter()
    n = 0
    with torch.inference_mode():
        for start in range(0, len(paths), batch):
            d0 = time.perf_counter()
            hwc = torch.stack([decode(p, size, draft) for p in paths[start:start + batch]])
            x = hwc.permute(0, 3, 1, 2).float().div_(255).contiguous(memory_format=torch.channels_last)
            d1 = time.perf_counter()
            m, pooled = model(x)
            maps = m.contiguous().numpy()  # the map as the cache stores it: NHWC, in memory
            pooled = pooled.numpy()
            infer_s += time.perf_counter() - d1
            decode_s += d1 - d0
            n += maps.shape[0]
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0  # all threads of this process: comparable on a shared machine
    return {"images": n, "seconds": seconds, "imagesPerS": n / seconds, "cpuSeconds": cpu, "decodeSeconds": decode_s,
            "inferSeconds": infer_s, "mapShape": list(maps.shape[1:]), "pooledC": int(pooled.shape[1])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", required=True, help="file with one image path per line")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-draft", action="store_true", help="full-size JPEG decode before resizing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.list) as fh:
        paths = [line.strip() for line in fh if line.strip()]
    model = build(a.size, a.batch)
    for k in range(a.runs):
        r = run(paths, model, a.size, a.batch, not a.no_draft)
        print(json.dumps({"runtime": "torch", "run": k + 1, "inputSize": a.size, "threads": a.threads,
                          "batch": a.batch, "draft": not a.no_draft, "torch": torch.__version__,
                          "torchvision": torchvision.__version__, **r}), flush=True)


if __name__ == "__main__":
    main()
